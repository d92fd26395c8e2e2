import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { FrameRecord } from '../src/pipeline/faceRecords.js';
import { labelNewest } from '../src/pipeline/labelNewest.js';
import { LiveTracks } from '../src/pipeline/liveTracks.js';
import type { VideoFaceLabeler } from '../src/pipeline/videoFaceLabeler.js';
import { ClientChannel } from '../src/serve/clientChannel.js';
import { parseServeConfig } from '../src/serve/serveConfig.js';
import { backoffMs } from '../src/serve/streamRunner.js';
import { RotatingLineFile } from '../src/sinks/rotatingLineFile.js';
import { ffmpegTools } from '../src/video/ffmpegBinaries.js';
import { liveInputArgs, liveProbeArgs, liveSourceKind } from '../src/video/liveInput.js';
import type { VideoFrame } from '../src/video/videoFrames.js';

const tmp = mkdtempSync(join(tmpdir(), 'fer-live-units-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const frame = (i: number): VideoFrame => ({
  frameIndex: i,
  ptsMs: i * 40,
  image: { width: 2, height: 2, data: new Uint8Array(12) },
  receivedAtMs: Date.now(),
});

/**
 * A labeler that takes `ms` per frame and records what it labelled; it prefetches (reads the pixels of) every
 * even frame that waits, for `ms` too, and leaves the detection of every labelled frame divisible by 3 reading
 * for `ms` after its label (deferDetections), recording each frame it was reading when told to release it.
 */
function slowLabeler(ms: number, seen: number[]) {
  const reading = new Set<number>();
  const readWhileReleased: number[] = [];
  const deferred = new Map<number, Promise<unknown>>();
  return {
    reading,
    readWhileReleased,
    prefetch(f: VideoFrame): Promise<unknown> | undefined {
      if (f.frameIndex % 2) return undefined;
      reading.add(f.frameIndex);
      return new Promise((r) => setTimeout(r, ms)).then(() => reading.delete(f.frameIndex));
    },
    releaseLabelled(f: VideoFrame): void {
      const pending = deferred.get(f.frameIndex);
      if (pending) void pending.then(() => f.release?.());
      else f.release?.();
    },
    async label(frames: VideoFrame[]): Promise<FrameRecord[]> {
      await new Promise((r) => setTimeout(r, ms));
      seen.push(...frames.map((f) => f.frameIndex));
      for (const f of frames.filter((g) => g.frameIndex % 3 === 0)) {
        reading.add(f.frameIndex);
        deferred.set(
          f.frameIndex,
          new Promise((r) => setTimeout(r, ms)).then(() => reading.delete(f.frameIndex)),
        );
      }
      return frames.map((f) => ({ frameIndex: f.frameIndex, ptsMs: f.ptsMs, faces: [], detected: true, sceneCut: false }));
    },
  };
}

describe('live labelling: newest frame wins', () => {
  test('frames that arrive while labelling is behind are dropped oldest first and counted', async () => {
    const seen: number[] = [];
    const dropped: number[] = [];
    const released: number[] = [];
    const labeler = slowLabeler(20, seen);
    const frames = Array.from({ length: 10 }, (_, i) => ({
      ...frame(i),
      release: () => {
        if (labeler.reading.has(i)) labeler.readWhileReleased.push(i);
        released.push(i);
      },
    }));
    // All ten arrive at once while the first is being labelled: with 2 in flight, 0 and the newest (9) survive.
    const out = await lastValueFrom(
      from(frames).pipe(
        labelNewest(labeler as unknown as VideoFaceLabeler, { maxInFlight: 2, onDrop: (f) => dropped.push(f.frameIndex) }),
        toArray(),
      ),
    );
    // Dropped frames whose detection had started (2, 4, 6, 8), and labelled ones whose detection was deferred (0,
    // 9), are released once it has read them.
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(labeler.readWhileReleased, [], 'no frame is released while a prefetched or deferred detection reads it');
    assert.deepEqual(
      out.map((r) => r.frameIndex),
      [0, 9],
    );
    assert.deepEqual(dropped, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(
      released.sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      'every frame buffer is released, labelled or dropped',
    );
  });

  test('a labeler that keeps up drops nothing', async () => {
    const seen: number[] = [];
    const { Observable } = await import('rxjs');
    const paced = new Observable<VideoFrame>((s) => {
      let i = 0;
      const t = setInterval(() => (i < 6 ? s.next(frame(i++)) : (clearInterval(t), s.complete())), 15);
      return () => clearInterval(t);
    });
    const out = await lastValueFrom(
      paced.pipe(labelNewest(slowLabeler(2, seen) as unknown as VideoFaceLabeler, { maxInFlight: 1 }), toArray()),
    );
    assert.deepEqual(
      out.map((r) => r.frameIndex),
      [0, 1, 2, 3, 4, 5],
    );
  });
});

describe('live tracks: causal smoothing and an online main face', () => {
  const face = (trackId: number, p: number, size = 10) => ({
    trackId,
    box: { x: 0, y: 0, width: size, height: size },
    angle: 0,
    source: 'detector' as const,
    detectorScore: 1,
    probs: Float64Array.from([p, 1 - p, 0, 0, 0, 0, 0]),
  });
  test('a trailing average over the last N frames of the same track, never the future', () => {
    const t = new LiveTracks(3);
    const probs = [1, 0, 0, 1].map(
      (p, i) => t.update({ frameIndex: i, ptsMs: 0, detected: true, sceneCut: false, faces: [face(1, p)] }).faces[0].probs[0],
    );
    assert.deepEqual(
      probs.map((p) => Number(p.toFixed(4))),
      [1, 0.5, 0.3333, 0.3333],
    );
  });
  test('the main face is the present track with the largest summed area so far', () => {
    const t = new LiveTracks(1);
    assert.equal(
      t.update({ frameIndex: 0, ptsMs: 0, detected: true, sceneCut: false, faces: [face(1, 1, 10), face(2, 1, 12)] }).mainTrackId,
      2,
    );
    assert.equal(t.update({ frameIndex: 1, ptsMs: 0, detected: true, sceneCut: false, faces: [face(1, 1, 30)] }).mainTrackId, 1);
  });
  test('tracks not seen for a while are forgotten: memory stays flat on an endless stream', () => {
    const t = new LiveTracks(5, 10);
    for (let i = 0; i < 1000; i++) t.update({ frameIndex: i, ptsMs: 0, detected: true, sceneCut: false, faces: [face(i, 0.5)] });
    assert.ok(t.size <= 11, `remembers ${t.size} tracks`);
  });
});

describe('live sources and supervision', () => {
  test('ffmpeg input arguments per source kind', () => {
    const { ffmpeg } = ffmpegTools();
    assert.equal(liveSourceKind('rtsp://cam/1'), 'rtsp');
    assert.equal(liveSourceKind('https://x/y.m3u8'), 'http');
    assert.equal(liveSourceKind('/dev/video2'), 'v4l2');
    assert.equal(liveSourceKind('clip.mp4'), 'file');
    const rtsp = liveInputArgs('rtsp://cam/1', ffmpeg, { timeoutMs: 5000 });
    assert.deepEqual(rtsp.slice(0, 2), ['-rtsp_transport', 'tcp']);
    assert.match(rtsp[2], /^-s?timeout$/);
    assert.deepEqual(rtsp.slice(3), ['5000000', '-i', 'rtsp://cam/1']);
    assert.deepEqual(liveInputArgs('http://x/live', ffmpeg, { timeoutMs: 2000 }), ['-rw_timeout', '2000000', '-i', 'http://x/live']);
    assert.deepEqual(liveInputArgs('/dev/video0', ffmpeg, { timeoutMs: 1, videoSize: '640x480', frameRate: 30 }), [
      '-f',
      'v4l2',
      '-video_size',
      '640x480',
      '-framerate',
      '30',
      '-i',
      '/dev/video0',
    ]);
    assert.deepEqual(liveInputArgs('a.mp4', ffmpeg, { timeoutMs: 1, loop: true }), ['-re', '-stream_loop', '-1', '-i', 'a.mp4']);
    assert.deepEqual(liveProbeArgs('a.mp4', ffmpeg, { timeoutMs: 1, loop: true }), []);
    assert.deepEqual(liveProbeArgs('/dev/video0', ffmpeg, { timeoutMs: 1 }), ['-f', 'v4l2']);
  });

  test('reconnect backoff grows exponentially to its cap, with jitter in the upper half', () => {
    const lo = [1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, 500, 4000, () => 0));
    const hi = [1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, 500, 4000, () => 0.999999));
    assert.deepEqual(lo, [250, 500, 1000, 2000, 2000, 2000, 2000]);
    hi.forEach((h, i) => assert.ok(h <= [500, 1000, 2000, 4000, 4000, 4000, 4000][i] && h > lo[i]));
  });

  test('the serve config names the bad field', () => {
    const bad = (raw: unknown) => {
      try {
        parseServeConfig(raw, 'cfg.yaml');
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    };
    assert.equal(
      bad({ streams: [{ name: 'a', source: 'x', detectEvery: 0 }] }),
      'cfg.yaml: streams[0].detectEvery: Too small: expected number to be >0',
    );
    assert.match(bad({ streams: [{ name: 'a', source: 'x', colour: 1 }] }), /^cfg\.yaml: streams\[0\]: Unrecognized key: "colour"/);
    assert.match(bad({ streams: [] }), /streams: at least one stream/);
    assert.match(
      bad({
        streams: [
          { name: 'a', source: 'x' },
          { name: 'a', source: 'y' },
        ],
      }),
      /streams\[1\]\.name: duplicate stream name "a"/,
    );
    assert.match(
      bad({ host: '0.0.0.0', streams: [{ name: 'a', source: 'x' }] }),
      /token: binding 0\.0\.0\.0 \(off loopback\) needs a token/,
    );
    assert.equal(bad({ host: '0.0.0.0', token: 'long-enough', streams: [{ name: 'a', source: 'x' }] }), 'accepted');
  });

  test('re-identification: across cuts by default; `on`, its older name, means within shots', () => {
    const reid = (extra: object) => parseServeConfig({ streams: [{ name: 'a', source: 'x', ...extra }] }, 'cfg.yaml').streams[0].reid;
    assert.equal(reid({}), 'across-cuts');
    assert.equal(reid({ reid: 'on' }), 'within-shots');
    assert.equal(reid({ reid: 'off' }), 'off');
  });

  test('a scheduled detection holds its frame up by default (tracking first); deferDetections: true defers it to the next frame', () => {
    const defer = (extra: object) =>
      parseServeConfig({ streams: [{ name: 'a', source: 'x', ...extra }] }, 'cfg.yaml').streams[0].deferDetections;
    assert.equal(defer({}), false);
    assert.equal(defer({ deferDetections: true }), true);
  });
});

describe('bounded client queues and rotating files', () => {
  /** A socket whose writes are never taken (a client that stopped reading) until `drain()`. */
  function stuckSocket() {
    const pending: (() => void)[] = [];
    const sent: string[] = [];
    let terminated = false;
    return {
      ws: { send: (m: string, cb: (e?: Error) => void) => (sent.push(m), pending.push(() => cb())), terminate: () => (terminated = true) },
      sent,
      drain: () => pending.splice(0).forEach((f) => f()),
      terminated: () => terminated,
    };
  }

  test('a client that stops reading loses its oldest messages, is told how many, and is closed if it stays behind', () => {
    const s = stuckSocket();
    let drops = 0;
    const c = new ClientChannel(s.ws as never, {
      maxQueued: 4,
      maxInFlightBytes: 5,
      closeAfterBehindMs: 1000,
      onDrop: (n) => (drops += n),
    });
    for (let i = 0; i < 20; i++) c.send(`message-${i}`);
    assert.deepEqual(s.sent, ['message-0'], 'one message is in flight, unwritten');
    assert.equal(c.queued, 4, 'the queue holds only the newest four');
    assert.equal(drops, 15);
    s.drain(); // the client reads again: the newest four, then the notice
    s.drain();
    s.drain();
    s.drain();
    s.drain();
    assert.deepEqual(s.sent.slice(1, 5), ['message-16', 'message-17', 'message-18', 'message-19']);
    assert.deepEqual(JSON.parse(s.sent[5]).count, 15);
    for (let i = 0; i < 20; i++) c.send(`late-${i}`);
    assert.equal(c.checkBehind(Date.now() + 500), false);
    assert.equal(c.checkBehind(Date.now() + 1500), true);
    assert.ok(s.terminated());
  });

  test('rotating files keep `keep` old files and start each with the header', () => {
    const path = join(tmp, 'live.csv');
    const f = new RotatingLineFile(path, 100, 2, 'a,b');
    for (let i = 0; i < 60; i++) f.write([`${i},${'x'.repeat(10)}`]);
    f.close();
    assert.deepEqual(
      readdirSync(tmp)
        .filter((n) => n.startsWith('live.csv'))
        .sort(),
      ['live.csv', 'live.csv.1', 'live.csv.2'],
    );
    for (const name of ['live.csv', 'live.csv.1', 'live.csv.2']) {
      const text = readFileSync(join(tmp, name), 'utf8');
      assert.ok(text.startsWith('a,b\n'), name);
      assert.ok(Buffer.byteLength(text) <= 100 + 20, `${name} is ${Buffer.byteLength(text)} bytes`);
    }
    assert.match(readFileSync(path, 'utf8').trimEnd().split('\n').pop()!, /^59,/);
  });
});
