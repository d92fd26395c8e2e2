import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FaceRecord, FrameRecord } from '../src/pipeline/faceRecords.js';
import { joinTracklets } from '../src/pipeline/joinTracklets.js';
import { swapCheck } from '../src/pipeline/swapCheck.js';

/** A descriptor near person `p`'s (each person a unit step along their own axis, plus a little noise). */
function look(p: number, noise = 0): Float32Array {
  const d = new Float32Array(8);
  d[p] = 1;
  d[7] = noise;
  return d;
}

function face(trackId: number, x: number, descriptor?: Float32Array): FaceRecord {
  return {
    trackId,
    box: { x, y: 0, width: 20, height: 20 },
    angle: 0,
    source: 'detector',
    detectorScore: 0.9,
    probs: new Float64Array(7),
    ...(descriptor ? { descriptor } : {}),
  };
}

const frames = (...faces: FaceRecord[][]): FrameRecord[] =>
  faces.map((f, i) => ({ frameIndex: i, ptsMs: i * 40, faces: f, detected: true, sceneCut: false }));
const ids = (r: FrameRecord[]) => r.map((f) => f.faces.map((x) => x.trackId));

describe('the whole-video identity pass and the swap check', () => {
  test('two IDs of one person are joined; never two IDs seen in one frame, however alike', () => {
    // Person 0 is track 1, leaves, comes back as track 3; track 2 (person 1) is on screen throughout.
    // Track 4 looks like person 0 too (a little less than track 3 does) but is on screen together with track 3: someone else.
    const input = frames(
      [face(1, 0, look(0)), face(2, 100, look(1))],
      [face(2, 100)],
      [face(3, 0, look(0, 0.1)), face(2, 100), face(4, 50, look(0, 0.3))],
    );
    const { frames: out, joins } = joinTracklets(input, { maxDistance: 0.6, acrossCuts: true });
    assert.equal(joins, 1);
    assert.deepEqual(ids(out), [[1, 2], [2], [1, 2, 4]]);
    assert.deepEqual(ids(input), [[1, 2], [2], [3, 2, 4]], 'the input is left as it is');
  });

  test('within shots: never joined across a scene cut; different people never joined', () => {
    const input = frames([face(1, 0, look(0))], [face(2, 0, look(0))], [face(3, 0, look(1))]);
    input[1].sceneCut = true;
    assert.equal(joinTracklets(input, { maxDistance: 0.6, acrossCuts: false }).joins, 0);
    const across = joinTracklets(input, { maxDistance: 0.6, acrossCuts: true });
    assert.deepEqual(ids(across.frames), [[1], [1], [3]], 'person 1 (track 3) is 1.41 from person 0');
  });

  test('a short ID in the gap of another, where that one ended and began again, is joined to it within 0.6 or without a look; never when a second face begins there, far away, or over a cut', () => {
    // Person 0 is track 1 (frames 0-1 and 6-7), lost for a moment as track 2 (frames 3-4) at the same place, with a
    // turned face's look (0.58 from the frontal one: beyond the join's 0.55) or none.
    const gapOf = (second: (x: number) => FaceRecord, other: FaceRecord[] = []) =>
      frames(
        [face(1, 0, look(0))],
        [face(1, 1, look(0))],
        [],
        [second(2), ...other],
        [second(3)],
        [],
        [face(1, 4, look(0))],
        [face(1, 4, look(0))],
      );
    const join = (input: FrameRecord[], bridgeGap?: number) =>
      ids(joinTracklets(input, { maxDistance: 0.55, acrossCuts: true, bridgeGap }).frames);
    const turned = (x: number) => face(2, x, look(0, 0.58));
    const all1 = [[1], [1], [], [1], [1], [], [1], [1]];
    assert.deepEqual(join(gapOf(turned)), all1);
    assert.deepEqual(join(gapOf((x) => face(2, x))), all1, 'no descriptor: place and time alone');
    assert.deepEqual(
      join(gapOf(turned), 0)
        .flat()
        .filter((id) => id === 2).length,
      2,
      'bridges off: not joined',
    );
    assert.deepEqual(
      join(gapOf((x) => face(2, x, look(0, 0.7))))
        .flat()
        .filter((id) => id === 2).length,
      2,
      'beyond 0.6',
    );
    assert.deepEqual(
      join(gapOf((x) => face(2, x + 100, look(0, 0.58))))
        .flat()
        .filter((id) => id === 2).length,
      2,
      'far away',
    );
    // A second face begins at the same place at the same time: which one continues track 1 is not known.
    const two = join(gapOf(turned, [face(3, 8, look(2))]));
    assert.equal(two.flat().filter((id) => id === 2).length, 2, 'two candidates: neither bridged');
    const cut = gapOf(turned);
    cut[3].sceneCut = true;
    cut[6].sceneCut = true;
    assert.equal(
      join(cut)
        .flat()
        .filter((id) => id === 2).length,
      2,
      'over a cut: not bridged',
    );
  });

  test('swap check: a jump onto where another face was, and two people in one track by appearance', () => {
    // Track 1 follows person 0 at x=0, then jumps onto track 2's place (x=100) and shows person 1.
    const input = frames(
      [face(1, 0, look(0)), face(2, 100, look(1))],
      [face(1, 0, look(0, 0.05)), face(2, 100)],
      [face(1, 100, look(1))],
      [face(1, 100, look(1, 0.05))],
    );
    const [one, two] = swapCheck(input);
    assert.deepEqual(one.jumps, [2]);
    assert.deepEqual(one.jumpsOntoAnotherFace, [2]);
    assert.equal(one.split, true);
    assert.ok(one.splitDistance! > 1.3, `${one.splitDistance}`);
    assert.deepEqual(two.jumps, []);
    assert.equal(two.split, false, 'one sample: no split can be seen');
    // One person moving a little, however long: no jump, no split.
    const steady = frames(...Array.from({ length: 8 }, (_, i) => [face(1, i * 5, look(0, i * 0.01))]));
    assert.deepEqual(
      swapCheck(steady).map((t) => [t.jumps.length, t.split]),
      [[0, false]],
    );
  });
});
