import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FaceRecord, FrameRecord } from '../src/pipeline/faceRecords.js';
import { interpolateGaps, selectFaces } from '../src/pipeline/selectFaces.js';
import { smoothTracks } from '../src/pipeline/smoothTracks.js';
import { abawExpressionIndex, formatAbawExpr, formatAbawExprSingle } from '../src/sinks/abawExpr.js';

/** A face of `trackId` at x with side `size`, whose probabilities put `p` on class `cls`. */
function face(trackId: number, x: number, size: number, cls = 0, p = 1): FaceRecord {
  const probs = new Float64Array(7).fill((1 - p) / 6);
  probs[cls] = p;
  return { trackId, box: { x, y: 0, width: size, height: size }, angle: 0, source: 'detector', detectorScore: 0.9, probs };
}

const frames = (...faces: FaceRecord[][]): FrameRecord[] =>
  faces.map((f, i) => ({ frameIndex: i, ptsMs: i * 40, faces: f, detected: true, sceneCut: false }));

describe('smoothing, face selection and ABAW files', () => {
  test('--smooth averages a centred window of the same track only', () => {
    const input = frames(
      [face(1, 0, 10, 4, 1), face(2, 50, 10, 5, 1)],
      [face(1, 0, 10, 4, 0.4)],
      [face(1, 0, 10, 4, 0.7), face(2, 50, 10, 5, 0.1)],
    );
    const out = smoothTracks(input, 3);
    assert.ok(Math.abs(out[0].faces[0].probs[4] - (1 + 0.4) / 2) < 1e-12, 'first frame: itself and the next');
    assert.ok(Math.abs(out[1].faces[0].probs[4] - (1 + 0.4 + 0.7) / 3) < 1e-12);
    assert.ok(Math.abs(out[2].faces[1].probs[5] - 0.1) < 1e-12, 'track 2: frame 0 is outside the window, frame 1 has no track 2');
    assert.equal(input[1].faces[0].probs[4], 0.4, 'the input is left as it is');
  });

  test('--fill interpolate is linear between the nearest faces, nearest at the ends', () => {
    const a = Float64Array.from([1, 0]);
    const b = Float64Array.from([0, 1]);
    const filled = interpolateGaps([undefined, a, undefined, undefined, b, undefined]);
    const expected = [
      [1, 0],
      [1, 0],
      [2 / 3, 1 / 3],
      [1 / 3, 2 / 3],
      [0, 1],
      [0, 1],
    ];
    filled.forEach((p, i) => p!.forEach((v, c) => assert.ok(Math.abs(v - expected[i][c]) < 1e-12, `frame ${i}: ${[...p!]}`)));
    assert.deepEqual(interpolateGaps([undefined, undefined]), [undefined, undefined]);
  });

  test('main follows one person: a face seen beside the main person never stands in for them; left-right follows two', () => {
    // Track 1 is big but leaves after frame 1; track 2 is small, stays and was seen beside track 1, so it is
    // someone else; track 3 appears only after track 1 left: possibly the same person under a new ID.
    const input = frames(
      [face(1, 100, 50), face(2, 10, 20)],
      [face(1, 100, 50), face(2, 10, 20)],
      [face(2, 10, 20)],
      [face(2, 60, 20), face(3, 0, 10)],
    );
    assert.deepEqual(
      selectFaces(input, 'main', 200)[0].faces.map((f) => f?.trackId),
      [1, 1, undefined, 3],
    );
    // The two people are track 1 and track 2 (seen together); track 2 is on the left where both are seen.
    const [left, right] = selectFaces(input, 'left-right', 200);
    assert.deepEqual(
      left.faces.map((f) => f?.trackId),
      [2, 2, 2, 2],
    );
    assert.deepEqual(
      right.faces.map((f) => f?.trackId),
      [1, 1, undefined, 3],
    );
    assert.deepEqual(
      selectFaces(input, 'all', 200).map((s) => s.role),
      ['track1', 'track2', 'track3'],
    );
    assert.deepEqual(selectFaces(frames([], []), 'main', 200)[0].faces, [undefined, undefined]);
  });

  test('left-right: a person alone in the video is named by the half of the frame the face is in', () => {
    const input = frames([face(1, 10, 20)], [face(1, 150, 20)], []);
    const [left, right] = selectFaces(input, 'left-right', 200);
    assert.deepEqual(
      left.faces.map((f) => f?.trackId),
      [1, undefined, undefined],
    );
    assert.deepEqual(
      right.faces.map((f) => f?.trackId),
      [undefined, 1, undefined],
    );
  });

  test('main: the largest person over the video, even where a smaller one is the only face', () => {
    // Three people on screen together (the office video); the nearest (largest) is the main one, and where
    // they turn away only the others are seen: the main file has no face there rather than someone else's.
    const input = frames(
      [face(1, 0, 30), face(2, 50, 60), face(3, 150, 30)],
      [face(1, 0, 30), face(2, 50, 60), face(3, 150, 30)],
      [face(1, 0, 30), face(3, 150, 30)],
    );
    assert.deepEqual(
      selectFaces(input, 'main', 200)[0].faces.map((f) => f?.trackId),
      [2, 2, undefined],
    );
  });

  test('ABAW files: a label per frame with -1 for no face; single-file rows are 1-based 5-digit names', () => {
    assert.equal(abawExpressionIndex(undefined), -1);
    assert.equal(abawExpressionIndex(face(1, 0, 1, 6, 0.9).probs), 6);
    assert.equal(formatAbawExpr([4, -1]), 'Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other\n4\n-1\n');
    assert.equal(
      formatAbawExprSingle([{ name: 'v_left', labels: [0, -1] }]),
      'image_location,Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other\nv_left/00001.jpg,0\nv_left/00002.jpg,-1\n',
    );
  });
});
