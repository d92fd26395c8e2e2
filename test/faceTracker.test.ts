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

/** A unit descriptor at angle `away` (radians) from the first axis: 2 sin(away / 2) from axis(0). */
function axis(away: number): Float32Array {
  const d = new Float32Array(128);
  d[0] = Math.cos(away);
  d[1] = Math.sin(away);
  return d;
}

describe('face tracker on scripted detections', () => {
  test('two faces crossing at speed keep their IDs (motion, not nearest box, decides)', () => {
    // A moves right and B left at 25 px per frame on nearly the same line; at the crossing their boxes overlap.
    const frames = Array.from({ length: 12 }, (_, f) => [det(50 + 25 * f, 100), det(350 - 25 * f, 110)]);
    const ids = run(frames);
    assert.ok(
      ids.every(([a, b]) => a === ids[0][0] && b === ids[0][1]),
      JSON.stringify(ids),
    );
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

  test('a face lost while moving and found again near where it was lost, its motion having carried on, keeps its ID', () => {
    // 20 px a frame for four frames, then unseen for ten: the motion has it 200 px on; it stopped and is found 45 px
    // from its last box (overlap 0.14, under the gate's 0.2, but 0.75 of its size away).
    const moving = [[det(100)], [det(120)], [det(140)], [det(160)], ...Array.from({ length: 10 }, () => [])];
    const back = run([...moving, [det(205)]]);
    assert.equal(back[14][0], back[0][0], JSON.stringify(back));
    // Further than MAX_GATE face sizes from both where it was and where its motion leads: someone else.
    const other = run([...moving, [det(262)]]);
    assert.notEqual(other[14][0], other[0][0], JSON.stringify(other));
  });

  test('a scene cut ends every track', () => {
    const tracker = new FaceTracker();
    const before = run([[det(100)], [det(101)]], tracker);
    tracker.cut(2);
    const after = run([[det(102)]], tracker);
    assert.notEqual(after[0][0], before[1][0]);
  });

  test('a scene cut with appearance (re-identification across cuts): a track takes back only a face known to look like it', () => {
    const after = (descriptor?: Float32Array, withDescriptor = true) => {
      const tracker = new FaceTracker();
      const before = run([[det(100)], [det(101)]], tracker);
      if (withDescriptor) for (const t of tracker.active) t.descriptor = axis(0);
      tracker.cut(2, true);
      const [t] = tracker.update(2, [det(102)], descriptor ? new Map([[0, descriptor]]) : undefined);
      return { same: t.id === before[1][0] };
    };
    assert.equal(after(axis(0.3)).same, true, 'the same face (0.30 apart) keeps its track');
    assert.equal(after(axis(1.2)).same, false, 'someone else (1.13 apart) where the track was starts a track');
    assert.equal(after(undefined).same, false, 'a face not described is never taken back by position alone');
    assert.equal(after(axis(0.3), false).same, false, 'a track with no descriptor ends at the cut');
  });

  test("a face at 0.6 of a live track's size where its motion leads is taken only if it looks like the track", () => {
    const at20 = (descriptor: Float32Array) => {
      const tracker = new FaceTracker();
      const [first] = tracker.update(0, [det(100)]);
      tracker.update(10, [det(100)]);
      first.descriptor = axis(0);
      // 36 px where a 60 px face was: the same face much further away, or someone smaller behind where it went.
      const [t] = tracker.update(20, [det(112, 112, 36)], new Map([[0, descriptor]]));
      return t.id === first.id;
    };
    assert.equal(at20(axis(0.3)), true, 'the same face (0.30 apart) keeps its track');
    assert.equal(at20(axis(1.2)), false, 'someone else (1.13 apart) starts a track of their own');
  });

  test('a face far from where a still track is and goes must look like it: from a face size on, or half of one in file mode', () => {
    const at20 = (x: number, descriptor: Float32Array, farTakeover?: number) => {
      const tracker = new FaceTracker({ farTakeover });
      const [first] = tracker.update(0, [det(100)]);
      tracker.update(10, [det(100)]);
      first.descriptor = axis(0);
      // Beside where a still 60 px face was: the same face moved, or someone beside it.
      const [t] = tracker.update(20, [det(x)], new Map([[0, descriptor]]));
      return t.id === first.id;
    };
    const someoneElse = axis(1.2); // 1.13 apart
    const same = axis(0.3); // 0.30 apart
    assert.equal(at20(142, someoneElse), true, '0.7 face sizes away, online: motion decides');
    assert.equal(at20(172, someoneElse), false, '1.2 face sizes away, online: someone else starts a track of their own');
    assert.equal(at20(172, same), true, '1.2 face sizes away, online: the same face keeps its track');
    assert.equal(at20(142, someoneElse, 0.5), false, '0.7 face sizes away with a whole-video pass to follow: someone else');
    assert.equal(at20(142, same, 0.5), true, '0.7 face sizes away with a whole-video pass to follow: the same face');
  });

  test('a weak candidate continues a tracked face the detector scored low, and never starts a track', () => {
    const tracker = new FaceTracker();
    const [face] = tracker.update(0, [det(100)]);
    tracker.observe(face, 0, face.box, undefined, true);
    // Frame 1: the face is blurred (weak, 0.3) and a weak box elsewhere (a poster) appears.
    const blurred = det(104, 100, 60, 0.3);
    const tracks = tracker.update(1, [], undefined, [blurred, det(400, 100, 60, 0.3)]);
    assert.deepEqual(
      tracks.map((t) => [t.id, t.box]),
      [[face.id, blurred.box]],
    );
    assert.equal(tracks[0].detectorScore, 0.3);
  });

  test('a weak candidate that is only part of the face (too small, or overlapping too little) does not continue it', () => {
    for (const piece of [det(110, 110, 35, 0.3), det(140, 100, 60, 0.3)]) {
      const tracker = new FaceTracker();
      const [face] = tracker.update(0, [det(100)]);
      tracker.observe(face, 0, face.box, undefined, true);
      assert.deepEqual(tracker.update(1, [], undefined, [piece]), [], JSON.stringify(piece.box));
    }
  });

  test('a confident detection is matched before weak candidates are considered', () => {
    const tracker = new FaceTracker();
    const [a, b] = tracker.update(0, [det(100), det(300)]);
    for (const t of [a, b]) tracker.observe(t, 0, t.box, undefined, true);
    const tracks = tracker.update(1, [det(102)], undefined, [det(101, 100, 60, 0.4), det(303, 100, 60, 0.2)]);
    assert.deepEqual(
      tracks.map((t) => [t.id, t.box.x]),
      [
        [a.id, 102],
        [b.id, 303],
      ],
    );
  });
});

describe('landmark-placed crops between detections', () => {
  /** 68 points spread over a face box (any fixed shape will do: the crop is placed from their centre and spread). */
  const points = (cx: number, cy: number, spread: number) =>
    Float32Array.from({ length: 136 }, (_, i) => (i % 2 === 0 ? cx + spread * Math.cos(i) : cy + spread * Math.sin(i * 1.3)));

  function trackedAt(x: number) {
    const tracker = new FaceTracker();
    const [t] = tracker.update(0, [det(x, 100, 60)]);
    tracker.observe(t, 0, t.box, points(x + 30, 130, 20), true);
    return { tracker, t };
  }

  test('a crop that follows its landmarks where the face moves asks for nothing', () => {
    const { tracker, t } = trackedAt(100);
    t.history.push({ frameIndex: 1, landmarks: points(132, 130, 20) });
    tracker.followLandmarks(3, 2, 640, 480);
    assert.equal(t.redetectAt, undefined);
  });

  test('a crop whose landmarks slide away from its motion, or shrink, asks for the detector on the next frame', () => {
    const moved = trackedAt(100);
    moved.t.history.push({ frameIndex: 1, landmarks: points(130 + 75, 130, 20) }); // 1.25 face widths off a still face
    moved.tracker.followLandmarks(3, 2, 640, 480);
    assert.equal(moved.t.redetectAt, 4);
    const shrunk = trackedAt(100);
    shrunk.t.history.push({ frameIndex: 1, landmarks: points(130, 130, 12) }); // 40% smaller in place
    shrunk.tracker.followLandmarks(3, 2, 640, 480);
    assert.equal(shrunk.t.redetectAt, 4);
  });
});
