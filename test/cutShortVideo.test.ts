import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { probeVideo } from '../src/video/probeVideo.js';
import { VideoError } from '../src/video/videoError.js';
import { videoFrames } from '../src/video/videoFrames.js';
import { cli } from './helpers/cli.js';

// Real files cut with `head -c`: ffmpeg reads an AVI, MKV, WebM or FLV to where its bytes end and exits 0,
// so only the container's own numbers (frame count, duration) show that frames are missing.
const SAMPLE = join(PACKAGE_ROOT, 'samples', 'video.mp4');
const tmp = mkdtempSync(join(tmpdir(), 'fer-cut-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ffmpeg = (...args: string[]) => execFileSync(ffmpegTools().ffmpeg, ['-v', 'error', '-y', ...args]);
const headC = (from: string, to: string, bytes: number) => writeFileSync(to, execFileSync('head', ['-c', String(bytes), from]));
const frames = async (path: string, acceptShort?: (m: string) => void) =>
  lastValueFrom(videoFrames(await probeVideo(path), { acceptShort }).pipe(toArray()));

const CONTAINERS = ['avi', 'mkv', 'webm', 'flv'] as const;
const whole = (c: string) => join(tmp, `whole.${c}`);
const half = (c: string) => join(tmp, `half.${c}`);

before(() => {
  for (const c of CONTAINERS) {
    // 4 s of the sample at 320x180, 25 fps: 100 frames; WebM needs its own codec.
    ffmpeg('-i', SAMPLE, '-t', '4', '-s', '320x180', ...(c === 'webm' ? ['-c:v', 'libvpx', '-b:v', '300k'] : []), whole(c));
    headC(whole(c), half(c), Math.floor(readFileSync(whole(c)).length / 2));
  }
  headC(whole('avi'), join(tmp, 'tiny.avi'), 30000);
});

describe('a video cut short is never a shorter video', () => {
  for (const c of CONTAINERS) {
    test(`${c}: the whole file completes; cut at half it is a truncated error naming the shortfall`, async () => {
      assert.equal((await frames(whole(c))).length, 100);
      await assert.rejects(frames(half(c)), (err: unknown) => {
        assert.ok(err instanceof VideoError, String(err));
        assert.equal(err.kind, 'truncated');
        assert.match(err.message, /decoded \d+ .*of the .*declares: the file is cut short or still being written/);
        assert.ok(err.details.framesDelivered! > 20 && err.details.framesDelivered! < 80, err.message);
        return true;
      });
    });
  }

  test('acceptShort: the frames that are there, and why the file is short', async () => {
    const said: string[] = [];
    const got = await frames(half('mkv'), (m) => said.push(m));
    assert.ok(got.length > 20 && got.length < 80);
    assert.equal(said.length, 1);
    assert.match(said[0], /covering 2\.\d\d s of the 4\.00 s its stream duration declares/);
  });

  test('sound that outlasts the picture in a container with per-stream durations is not a cut', async () => {
    const withSound = join(tmp, 'sound.mkv');
    ffmpeg('-i', SAMPLE, '-f', 'lavfi', '-i', 'sine=d=14', '-c:v', 'copy', '-c:a', 'libvorbis', withSound);
    assert.equal((await frames(withSound)).length, 300);
  });

  test('file mode: exit 1, one line naming the shortfall, no output; --accept-short scores what is there with a warning', async () => {
    const out = join(tmp, 'tiny.txt');
    const r = await cli(['--input', join(tmp, 'tiny.avi'), '--out', out, '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^fer-stream: .*tiny\.avi: decoding stopped after \d+ frame\(s\): decoded \d+ of the 100 frames its header declares/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out));

    const ok = await cli(['--input', half('avi'), '--out', out]);
    assert.equal(ok.code, 1);
    const accepted = await cli(['--input', half('avi'), '--out', out, '--accept-short']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(
      accepted.stderr,
      /warning: .*half\.avi: decoding stopped after (\d+) frame\(s\).*scored as far as it goes \(--accept-short\)/,
    );
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.ok(lines.length > 21 && lines.length < 81, `${lines.length} lines`);
  });

  test('batch: a cut-short video fails (the others are done); --accept-short records it done, and why', async () => {
    const dir = join(tmp, 'set');
    mkdirSync(dir);
    ffmpeg('-i', whole('mkv'), '-c', 'copy', join(dir, 'a.mkv'));
    writeFileSync(join(dir, 'b.mkv'), readFileSync(half('mkv')));
    const outDir = join(tmp, 'preds');
    const r = await cli(['batch', '--input', dir, '--out-dir', outDir, '--quiet', '--jobs', '1']);
    assert.equal(r.code, 1, r.stderr);
    const summary = JSON.parse(readFileSync(join(outDir, 'batch-summary.json'), 'utf8'));
    const byName = Object.fromEntries(summary.videos.map((v: { name: string }) => [v.name, v]));
    assert.equal(byName.a.status, 'done');
    assert.equal(byName.b.status, 'failed');
    assert.match(byName.b.error, /cut short/);
    assert.ok(!existsSync(join(outDir, 'b.txt')));

    const again = await cli(['batch', '--input', dir, '--out-dir', outDir, '--quiet', '--jobs', '1', '--accept-short']);
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(readFileSync(join(outDir, 'batch-summary.json'), 'utf8'));
    const b = second.videos.find((v: { name: string }) => v.name === 'b');
    assert.equal(b.status, 'done');
    assert.match(b.short, /cut short/);
    assert.ok(b.frames > 20 && b.frames < 80);
    // A later run that does not accept short videos does not keep it as finished.
    const strict = await cli(['batch', '--input', dir, '--out-dir', outDir, '--quiet', '--jobs', '1']);
    assert.equal(strict.code, 1);
  });
});

describe('paths that are not files say what they are', () => {
  test('a loop of symbolic links is not "no such file"', async () => {
    symlinkSync(join(tmp, 'loop-b.mp4'), join(tmp, 'loop-a.mp4'));
    symlinkSync(join(tmp, 'loop-a.mp4'), join(tmp, 'loop-b.mp4'));
    const r = await cli(['--input', join(tmp, 'loop-a.mp4'), '--out', join(tmp, 'loop.txt'), '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /loop-a\.mp4: a loop of symbolic links, not a file/);
  });

  test('abaw-expr-single refuses a video name with a comma or line break, before any work', async () => {
    const named = join(tmp, 'a,b.avi');
    writeFileSync(named, readFileSync(whole('avi')));
    const out = join(tmp, 'single.txt');
    const started = Date.now();
    const r = await cli(['--input', named, '--out', out, '--format', 'abaw-expr-single', '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /abaw-expr-single cannot name video "a,b"/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.ok(!existsSync(out));
    assert.ok(Date.now() - started < 5000, 'refused before the models load');
  });
});
