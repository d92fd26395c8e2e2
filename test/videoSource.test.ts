import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { FlowGate } from '../src/video/flowGate.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { FrameCutter } from '../src/video/frameCutter.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { VideoError } from '../src/video/videoError.js';
import { videoFrames, type VideoFrame } from '../src/video/videoFrames.js';
import { cli } from './helpers/cli.js';
import { shared, SHARED_MISSING } from './helpers/sharedData.js';

const VIDEOS = [
  ['pyfeat_media', 'WolfgangLanger_Pexels.mp4'],
  ['pyfeat_media', 'single_face.mp4'],
  ['pyfeat_media', 'no_face.mp4'],
  ['pyfeat_media', 'face_noface.mov'],
  ['pyfeat_media', 'noface_face.mov'],
  ['hamilton_clip', 'short_hamilton_clip.mp4'],
];
const SINGLE = shared('pyfeat_media', 'single_face.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-video-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Decoded frames as ffprobe counts them: the reference for exact frame accounting. */
function ffprobeCount(path: string): number {
  const out = execFileSync(ffmpegTools().ffprobe, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    path,
  ]);
  return Number(String(out).trim());
}

const ffmpeg = (...args: string[]) => execFileSync(ffmpegTools().ffmpeg, ['-v', 'error', '-y', ...args]);
const allFrames = async (path: string, gate?: FlowGate) => lastValueFrom(videoFrames(await probeVideo(path), { gate }).pipe(toArray()));

describe('ffmpeg frame source', () => {
  test('FrameCutter cuts any chunking into exact frames and keeps the remainder', () => {
    const cutter = new FrameCutter(10);
    const bytes = Uint8Array.from({ length: 47 }, (_, i) => i);
    const frames = [3, 9, 1, 20, 14].reduce<Uint8Array[]>((acc, n, i, sizes) => {
      const at = sizes.slice(0, i).reduce((a, b) => a + b, 0);
      return [...acc, ...cutter.push(bytes.subarray(at, at + n))];
    }, []);
    assert.equal(frames.length, 4);
    frames.forEach((f, i) =>
      assert.deepEqual(
        [...f],
        Array.from({ length: 10 }, (_, k) => i * 10 + k),
      ),
    );
    assert.equal(cutter.pendingBytes, 7, 'a trailing partial frame is kept, for the source to report');
    const first = frames[0];
    cutter.recycle(first);
    assert.equal(cutter.push(new Uint8Array(3)).length, 1, 'finishes the pending frame');
    const [reused] = cutter.push(Uint8Array.from({ length: 10 }, (_, k) => 100 + k));
    assert.equal(reused, first, 'a recycled buffer holds a later frame');
    assert.deepEqual(
      [...reused],
      Array.from({ length: 10 }, (_, k) => 100 + k),
    );
  });

  for (const [folder, name] of VIDEOS) {
    const path = shared(folder, name);
    test(`${name}: one frame per decoded frame, as ffprobe -count_frames counts`, { skip: !path && SHARED_MISSING }, async () => {
      const frames = await allFrames(path!);
      assert.equal(frames.length, ffprobeCount(path!));
      const info = await probeVideo(path!);
      frames.forEach((f, i) => {
        assert.equal(f.frameIndex, i);
        assert.equal(f.image.data.length, info.width * info.height * 3);
        if (i > 0) assert.ok(f.ptsMs > frames[i - 1].ptsMs, `pts increase: frame ${i} at ${f.ptsMs} after ${frames[i - 1].ptsMs}`);
      });
    });
  }

  test(
    'variable frame rate keeps each frame its own time (noface_face.mov)',
    { skip: !shared('pyfeat_media', 'noface_face.mov') && SHARED_MISSING },
    async () => {
      const frames = await allFrames(shared('pyfeat_media', 'noface_face.mov')!);
      const gaps = new Set(frames.slice(1).map((f, i) => Math.round(f.ptsMs - frames[i].ptsMs)));
      assert.ok(gaps.size > 1, `frame intervals vary: ${[...gaps].join(', ')} ms`);
    },
  );

  test(
    'rotation metadata is honoured: a 640x360 clip tagged 90 degrees comes out 360x640',
    { skip: !SINGLE && SHARED_MISSING },
    async () => {
      const rotated = join(tmp, 'rotated.mp4');
      ffmpeg('-i', SINGLE!, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated);
      const info = await probeVideo(rotated);
      assert.equal(info.rotation % 180, 90);
      const frames = await allFrames(rotated);
      assert.equal(frames.length, 72);
      assert.deepEqual([frames[0].image.width, frames[0].image.height], [360, 640]);
    },
  );

  test('odd frame sizes are cut exactly (331x197)', async () => {
    const odd = join(tmp, 'odd.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=331x197:r=7:d=2', '-pix_fmt', 'yuv444p', '-c:v', 'libx264', odd);
    const frames = await allFrames(odd);
    assert.equal(frames.length, 14);
    assert.ok(frames.every((f) => f.image.width === 331 && f.image.height === 197 && f.image.data.length === 331 * 197 * 3));
  });

  test('backpressure: decoding pauses while the consumer is behind; nothing is dropped', { skip: !SINGLE && SHARED_MISSING }, async () => {
    const gate = new FlowGate(4, 1);
    let most = 0;
    const seen: number[] = [];
    const info = await probeVideo(SINGLE!);
    await new Promise<void>((resolve, reject) => {
      videoFrames(info, { gate }).subscribe({
        next: (f: VideoFrame) => {
          most = Math.max(most, gate.pending);
          seen.push(f.frameIndex);
          setTimeout(() => gate.leave(), 5); // a slow consumer
        },
        error: reject,
        complete: resolve,
      });
    });
    assert.equal(seen.length, 72);
    assert.ok(most <= gate.high + 1, `at most ${gate.high} frames in flight (plus one in the chunk being cut), saw ${most}`);
  });

  test('unsubscribing kills ffmpeg', { skip: !SINGLE && SHARED_MISSING }, async () => {
    const marked = join(tmp, 'kill-me-unique.mp4');
    copyFileSync(SINGLE!, marked);
    const first = await lastValueFrom(videoFrames(await probeVideo(marked)).pipe(take(2), toArray()));
    assert.equal(first.length, 2);
    await new Promise((r) => setTimeout(r, 300));
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    assert.ok(!ps.includes('kill-me-unique'), 'no ffmpeg left reading the file');
  });

  test('FrameCutter filled in place (a socket reading into its free space) gives the frames push gives', () => {
    const bytes = Uint8Array.from({ length: 35 }, (_, i) => i);
    const cutter = new FrameCutter(10);
    const inPlace: Uint8Array[] = [];
    let at = 0;
    for (const wanted of [4, 6, 10, 3, 9, 3]) {
      const room = cutter.space();
      const n = Math.min(wanted, room.length);
      room.set(bytes.subarray(at, at + n));
      at += n;
      const frame = cutter.wrote(n);
      if (frame) inPlace.push(frame);
    }
    const pushed = new FrameCutter(10);
    assert.deepEqual(
      inPlace.map((f) => [...f]),
      pushed.push(bytes.subarray(0, at)).map((f) => [...f]),
    );
    assert.equal(inPlace.length, 3);
    assert.equal(cutter.pendingBytes, pushed.pendingBytes);
  });

  // ffmpeg writes the frames to a unix socket it listens on, in a folder of its own (video/frameSocket.ts).
  const socketFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith('fer-frames-')).length;

  test(
    'frames come over a unix socket into shared buffers; its folder is gone once a run ends, fails or is dropped',
    { skip: !SINGLE && SHARED_MISSING },
    async () => {
      const before = socketFolders();
      const info = await probeVideo(SINGLE!);
      let open = 0;
      const frames = await lastValueFrom(
        videoFrames(info).pipe(
          tap(() => (open = Math.max(open, socketFolders() - before))),
          toArray(),
        ),
      );
      assert.equal(frames.length, 72);
      assert.equal(open, 1, 'one socket folder while decoding');
      assert.ok(frames.every((f) => f.image.data.buffer instanceof SharedArrayBuffer));
      assert.equal((await lastValueFrom(videoFrames(info).pipe(take(2), toArray()))).length, 2);
      // ffmpeg fails before it listens: the source stops trying to connect and says why.
      await assert.rejects(lastValueFrom(videoFrames(info, { inputArgs: ['-i', join(tmp, 'missing.mp4')] })), VideoError);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(socketFolders(), before, 'no socket folder left behind');
    },
  );

  test(
    "without a unix socket at hand (a temporary folder's path too long for one) the same frames come through ffmpeg's stdout",
    { skip: !SINGLE && SHARED_MISSING },
    async () => {
      const overSocket = await allFrames(SINGLE!);
      const long = join(tmp, 'x'.repeat(110));
      mkdirSync(long, { recursive: true });
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = long;
      try {
        const overPipe = await allFrames(SINGLE!);
        assert.equal(readdirSync(long).length, 0, 'no socket was tried there');
        assert.equal(overPipe.length, overSocket.length);
        overPipe.forEach((f, i) => {
          assert.equal(f.ptsMs, overSocket[i].ptsMs);
          assert.ok(Buffer.from(f.image.data).equals(Buffer.from(overSocket[i].image.data)), `frame ${i} differs`);
        });
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
    },
  );

  test(
    'damage in the middle is decoded past: frames as ffprobe counts them, the damage reported',
    { skip: !SINGLE && SHARED_MISSING },
    async () => {
      const bytes = Buffer.from(readFileSync(SINGLE!));
      const at = bytes.indexOf('mdat') + 100_000;
      for (let k = 0; k < 3000; k++) bytes[at + k] = (k * 37) % 256;
      const damaged = join(tmp, 'damaged.mp4');
      writeFileSync(damaged, bytes);
      const damage: string[] = [];
      const frames = await lastValueFrom(videoFrames(await probeVideo(damaged), { onDamage: (m) => damage.push(m) }).pipe(toArray()));
      assert.equal(frames.length, ffprobeCount(damaged));
      assert.ok(frames.length < 72 && frames.length > 60, `${frames.length} frames`);
      assert.ok(damage.length > 0);
    },
  );

  test('a cut-short file is a truncated error naming the frames delivered', { skip: !SINGLE && SHARED_MISSING }, async () => {
    const whole = join(tmp, 'faststart.mp4');
    ffmpeg('-i', SINGLE!, '-c', 'copy', '-movflags', '+faststart', whole);
    const cut = join(tmp, 'cut.mp4');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await assert.rejects(allFrames(cut), (err: unknown) => {
      assert.ok(err instanceof VideoError);
      assert.equal(err.kind, 'truncated');
      assert.ok(err.details.framesDelivered! > 0 && err.details.framesDelivered! < 72);
      assert.ok(err.details.stderrTail);
      return true;
    });
  });
});

describe('bad video input: one line on stderr, exit 1, no output file', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => join(tmp, 'nope.mp4'), /no such file/],
    ['a zero-byte file', () => (writeFileSync(join(tmp, 'zero.mp4'), ''), join(tmp, 'zero.mp4')), /empty \(0 bytes\)/],
    [
      'a folder given as a video',
      () => (mkdirSync(join(tmp, 'clip.mp4'), { recursive: true }), join(tmp, 'clip.mp4')),
      /is a folder, not a video file/,
    ],
    ['garbage bytes', () => (writeFileSync(join(tmp, 'junk.mp4'), Buffer.alloc(5000, 7)), join(tmp, 'junk.mp4')), /not a readable video/],
  ];
  if (SINGLE) {
    cases.push(
      [
        'an audio-only file',
        () => (
          ffmpeg('-i', shared('pyfeat_media', 'WolfgangLanger_Pexels.mp4')!, '-vn', '-c:a', 'copy', join(tmp, 'audio.mka')),
          join(tmp, 'audio.mka')
        ),
        /has no video stream \(only audio\)/,
      ],
      [
        'an audio file with cover art',
        () => {
          ffmpeg(
            '-i',
            shared('pyfeat_media', 'WolfgangLanger_Pexels.mp4')!,
            '-i',
            shared('pyfeat_media', 'single_face.jpg')!,
            '-map',
            '0:a',
            '-map',
            '1',
            '-t',
            '2',
            '-c:a',
            'libmp3lame',
            '-c:v',
            'mjpeg',
            '-disposition:v',
            'attached_pic',
            join(tmp, 'song.mp3'),
          );
          return join(tmp, 'song.mp3');
        },
        /has no video stream \(only audio, cover art\)/,
      ],
      [
        'a truncated video',
        () => {
          ffmpeg('-i', SINGLE, '-c', 'copy', '-movflags', '+faststart', join(tmp, 'fs2.mp4'));
          const b = readFileSync(join(tmp, 'fs2.mp4'));
          writeFileSync(join(tmp, 'trunc.mp4'), b.subarray(0, Math.floor(b.length * 0.6)));
          return join(tmp, 'trunc.mp4');
        },
        /decoding stopped after \d+ frame\(s\).*cut short or damaged/,
      ],
      [
        'an unsupported codec',
        () => {
          // The H.264 sample entry renamed to a fourcc no decoder knows.
          const b = Buffer.from(readFileSync(SINGLE));
          const at = b.indexOf('avc1', b.indexOf('stsd'));
          b.write('zzzz', at);
          writeFileSync(join(tmp, 'codec.mp4'), b);
          return join(tmp, 'codec.mp4');
        },
        /codec/,
      ],
    );
  }
  test('rejects an FFMPEG_PATH that does not run, naming it', { skip: !SINGLE && SHARED_MISSING }, async () => {
    const out = join(tmp, 'no-ffmpeg.txt');
    const r = await cli(['--input', SINGLE!, '--out', out, '--quiet'], { FFMPEG_PATH: join(tmp, 'no-such-ffmpeg') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^fer-stream: cannot run ffmpeg at .*no-such-ffmpeg .*check FFMPEG_PATH/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(out));
  });

  for (const [what, make, message] of cases) {
    test(`rejects ${what}`, async () => {
      const input = make();
      const out = join(tmp, `out-${what.replace(/\W+/g, '-')}.txt`);
      const r = await cli(['--input', input, '--out', out, '--quiet']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.ok(!existsSync(out), 'no output file');
    });
  }
});
