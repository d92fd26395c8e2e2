import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detection, Detector } from '../src/detection/detector.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import { DetectionTurns } from '../src/pipeline/detectionTurns.js';
import { VideoFaceLabeler } from '../src/pipeline/videoFaceLabeler.js';
import { uniformEnsemble } from './helpers/uniformEnsemble.js';

/**
 * One live stream's labeler beside another stream whose detection runs over frames `otherFrom`..`otherTo` (held
 * open on the shared turns while those frames are labelled), one frame per label() call as in live mode: which of
 * this stream's frames had a detection. Scripted detector (one face that stays put) and members.
 */
async function detectedBeside(otherFrom: number, otherTo: number, frames = 25): Promise<number[]> {
  const face: Detection = { box: { x: 300, y: 200, width: 80, height: 80 }, score: 0.9 };
  const detector: Detector = { detect: async (images) => images.map(() => [face]) };
  const turns = new DetectionTurns();
  const labeler = new VideoFaceLabeler(detector, uniformEnsemble(), { detectEvery: 10, rejectNonFaces: false, turns });
  const image: RgbImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(90) };
  const detected: number[] = [];
  let finishOther: (() => void) | undefined;
  for (let frameIndex = 0; frameIndex < frames; frameIndex++) {
    if (frameIndex === otherFrom) void turns.during(new Promise<void>((resolve) => (finishOther = resolve)));
    const [record] = await labeler.label([{ image, frameIndex, ptsMs: frameIndex * 33 }]);
    if (record.detected) detected.push(frameIndex);
    if (frameIndex === otherTo) {
      finishOther?.();
      await Promise.resolve(); // the turns see it settle
    }
  }
  return detected;
}

test('live streams take turns: a scheduled detection gives way to another stream’s running one, and the schedule keeps its new phase', async () => {
  // Alone: frame 0 (nothing tracked yet), then every 10th.
  assert.deepEqual(await detectedBeside(Infinity, Infinity), [0, 10, 20]);
  // Another stream detecting over frames 10-11: this one detects on 12, then 22.
  assert.deepEqual(await detectedBeside(10, 11), [0, 12, 22]);
  // Never more than three frames in a row given way: 13 even though the other is still running; from there every
  // 10th again, giving way on 23 and 24 while the other runs on: 25.
  assert.deepEqual(await detectedBeside(10, 24, 30), [0, 13, 25]);
  // Nothing tracked yet: the first detection does not wait.
  assert.deepEqual(await detectedBeside(0, 3), [0, 10, 20]);
});

test('the turns count a detection until it settles, failed or not', async () => {
  const turns = new DetectionTurns();
  let fail: (e: Error) => void = () => undefined;
  const failing = turns.during(new Promise((_, reject) => (fail = reject)));
  const done = turns.during(Promise.resolve(1));
  assert.equal(turns.busy, true);
  await done;
  assert.equal(turns.busy, true);
  fail(new Error('x'));
  await assert.rejects(failing);
  assert.equal(turns.busy, false);
});

test('a detection frame holds its turn until its members are done, not only while the detector runs', async () => {
  const face: Detection = { box: { x: 300, y: 200, width: 80, height: 80 }, score: 0.9 };
  const detector: Detector = { detect: async (images) => images.map(() => [face]) };
  const image: RgbImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).fill(90) };
  const frame = (frameIndex: number) => ({ image, frameIndex, ptsMs: frameIndex * 33 });
  // Stream A's members stall on its frame 10 (its detection is done by then) until released.
  let stall = false;
  let predicting = false;
  let release: () => void = () => undefined;
  const fast = uniformEnsemble();
  const stalling = {
    predict: async (faces: Parameters<typeof fast.predict>[0]) => {
      if (stall) {
        predicting = true;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return fast.predict(faces);
    },
  } as unknown as typeof fast;
  const turns = new DetectionTurns();
  const a = new VideoFaceLabeler(detector, stalling, { detectEvery: 10, rejectNonFaces: false, turns });
  const b = new VideoFaceLabeler(detector, fast, { detectEvery: 10, rejectNonFaces: false, turns });
  for (let i = 0; i < 10; i++) {
    await a.label([frame(i)]);
    await b.label([frame(i)]);
  }
  stall = true;
  const aTen = a.label([frame(10)]);
  while (!predicting) await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await b.label([frame(10)]))[0].detected, false, 'B gives way while A labels its detection frame');
  release();
  assert.equal((await aTen)[0].detected, true);
  assert.equal((await b.label([frame(11)]))[0].detected, true, 'then B detects');
});
