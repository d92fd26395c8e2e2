import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FaceTracker } from '../src/tracking/faceTracker.js';

const det = (x: number, y = 100, size = 60, score = 0.9) => ({ box: { x, y, width: size, height: size }, score });

/** Runs detections frame by frame (each observed as a detection) and returns the track ID of each detection. */
function run(frames: ReturnType<typeof det>[][], tracker = new FaceTracker()) {
  return frames.map((dets, f) => {
    const tracks = tracker.update(f, dets);
    for (const t of tracks) tracker.observe(t, f, t.box, undefined, true);
    return dets.map((d) => tracks.find((t) => t.box === d.box)!.id);
  });
}

describe('face tracker on scripted detections', () => {
  test('two faces crossing at speed keep their IDs (motion, not nearest box, decides)', () => {
    // A moves right and B left at 25 px per frame on nearly the same line; at the crossing their boxes overlap.
    const frames = Array.from({ length: 12 }, (_, f) => [det(50 + 25 * f, 100), det(350 - 25 * f, 110)]);
    const ids = run(frames);
    assert.ok(ids.every(([a, b]) => a === ids[0][0] && b === ids[0][1]), JSON.stringify(ids));
  });

  test('a fast face that moves further than it overlaps between detections keeps its ID', () => {
    // 10 frames between detections, 8 px per frame: 80 px on a 60 px face (no overlap at all).
    const tracker = new FaceTracker();
    const ids: number[] = [];
    for (let f = 0; f <= 60; f += 10) {
      const tracks = tracker.update(f, [det(20 + 8 * f)]);
      tracker.observe(tracks[0], f, tracks[0].box, undefined, true);
      ids.push(tracks[0].id);
    }
    assert.deepEqual(new Set(ids).size, 1, JSON.stringify(ids));
  });

  test('a missed detection and a short occlusion keep the ID; a face that jumps across the frame does not take it', () => {
    const frames = [[det(100)], [det(103)], [], [], [det(112)], [det(600)]];
    const ids = run(frames);
    assert.equal(ids[4][0], ids[0][0], 're-attached after two missed frames');
    assert.notEqual(ids[5][0], ids[0][0], 'a face 500 px away is someone else');
  });

  test('a scene cut ends every track', () => {
    const tracker = new FaceTracker();
    const before = run([[det(100)], [det(101)]], tracker);
    tracker.cut();
    const after = run([[det(102)]], tracker);
    assert.notEqual(after[0][0], before[1][0]);
  });
});
