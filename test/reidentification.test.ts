import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Detection, Detector } from '../src/detection/detector.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import type { FaceInput } from '../src/models/ensemble.js';
import { uniformEnsemble } from './helpers/uniformEnsemble.js';
import type { FaceDescriber } from '../src/models/faceDescriber.js';
import type { FrameRecord } from '../src/pipeline/faceRecords.js';
import { joinTracklets } from '../src/pipeline/joinTracklets.js';
import { VideoFaceLabeler } from '../src/pipeline/videoFaceLabeler.js';
import { IdentityGallery } from '../src/tracking/identityGallery.js';

/**
 * Re-identification on scripted detections. The networks are scripted too (the real ones are covered by the
 * parity and video tests): each person's descriptor is fixed, told by the face's box height, so the test
 * says exactly who is who.
 */

const PEOPLE: Record<number, Float32Array> = { 60: unit(0), 90: unit(1) };
function unit(axis: number): Float32Array {
  const d = new Float32Array(128);
  d[axis] = 1; // two people are sqrt(2) apart; one person's samples 0 apart
  return d;
}

/** Person 60 turned: 0.58 from their own descriptor, past the gallery's 0.5 but within REATTACH_MAX_DISTANCE (0.6). */
const TURNED = (() => {
  const d = new Float32Array(128);
  const half = Math.asin(0.29);
  d[0] = Math.cos(2 * half);
  d[7] = Math.sin(2 * half);
  return d;
})();

function frame(grey: number): RgbImage {
  return { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(grey) };
}

/**
 * `script[f]`: the faces in frame f as [x, height] or [x, height, y]; frames after `cutAt` are a different shot.
 * Who a face is comes from its height, or with a y, from the y (100 or 108).
 */
async function labelScript(script: number[][][], reid: 'off' | 'within-shots' | 'across-cuts', cutAt = Infinity): Promise<number[][]> {
  return (await labelRecords(script, reid, cutAt)).map((r) => r.faces.map((x) => x.trackId));
}

async function labelRecords(script: number[][][], reid: 'off' | 'within-shots' | 'across-cuts', cutAt = Infinity): Promise<FrameRecord[]> {
  const detector: Detector = {
    detect: async (images) =>
      images.map((img) =>
        script[frames.indexOf(img)].map(([x, h, y = 100]): Detection => ({ box: { x, y, width: h, height: h }, score: 0.9 })),
      ),
  };
  const ensemble = uniformEnsemble();
  const byY: Record<number, Float32Array> = { 100: unit(0), 108: unit(1), 116: TURNED };
  // A face at x = 399 is entering the frame: its descriptor is poor, near nobody.
  const describer = {
    describe: async (faces: FaceInput[]) =>
      faces.map((f) => (f.box!.x === 399 ? unit(5) : f.box!.y === 100 ? PEOPLE[f.box!.height] : byY[f.box!.y])),
  } as unknown as FaceDescriber;
  const labeler = new VideoFaceLabeler(detector, ensemble, {
    detectEvery: 1,
    rejectNonFaces: false,
    reidentify: reid === 'off' ? undefined : { describer, acrossCuts: reid === 'across-cuts' },
  });
  const frames = script.map((_, f) => frame(f < cutAt ? 40 : 220));
  return labeler.label(frames.map((image, frameIndex) => ({ image, frameIndex, ptsMs: frameIndex * 33 })));
}

// Person 60 at x=100 for 5 frames, gone for 40 (longer than the tracker's 30-frame gap), back at x=400.
const exitAndReturn: [number, number][][] = [
  ...Array.from({ length: 5 }, (): [number, number][] => [[100, 60]]),
  ...Array.from({ length: 40 }, (): [number, number][] => []),
  ...Array.from({ length: 5 }, (): [number, number][] => [[400, 60]]),
];

describe('re-identification by appearance', () => {
  test('a person who leaves for longer than the gap comes back with the same ID (and without re-identification, a new one)', async () => {
    const on = await labelScript(exitAndReturn, 'within-shots');
    assert.equal(on[45][0], on[0][0]);
    const off = await labelScript(exitAndReturn, 'off');
    assert.notEqual(off[45][0], off[0][0]);
  });

  test('someone else entering where a person left gets a new ID', async () => {
    const script = exitAndReturn.map((faces, f) => (f >= 45 ? faces.map(([x]): [number, number] => [x, 90]) : faces));
    const ids = await labelScript(script, 'within-shots');
    assert.notEqual(ids[45][0], ids[0][0]);
  });

  test('a lost track takes back only its own face: someone else where a person left, within the gap, gets a new ID', async () => {
    // Person 60 at x=100 for 5 frames, gone for 10 (within the tracker's 30-frame gap), then a face right there:
    // by motion alone the lost track would take it back whoever it is.
    const leaveAndReplace = (height: number): [number, number][][] => [
      ...Array.from({ length: 5 }, (): [number, number][] => [[100, 60]]),
      ...Array.from({ length: 10 }, (): [number, number][] => []),
      ...Array.from({ length: 5 }, (): [number, number][] => [[105, height]]),
    ];
    const someoneElse = await labelScript(leaveAndReplace(90), 'across-cuts');
    assert.notEqual(someoneElse[15][0], someoneElse[0][0], 'person 90 does not get person 60 ID');
    const sameOne = await labelScript(leaveAndReplace(60), 'across-cuts');
    assert.equal(sameOne[15][0], sameOne[0][0], 'person 60 comes back with their ID');
    // Without appearance, motion decides: the face there continues the lost track.
    const off = await labelScript(leaveAndReplace(90), 'off');
    assert.equal(off[15][0], off[0][0]);
  });

  test('after a scene cut: new IDs with --reid-within-shots, the same people keep theirs across cuts (the default)', async () => {
    // Two people; after the cut at frame 5 both are elsewhere, in swapped order.
    const script: [number, number][][] = [
      ...Array.from({ length: 5 }, (): [number, number][] => [
        [50, 60],
        [300, 90],
      ]),
      ...Array.from({ length: 5 }, (): [number, number][] => [
        [50, 90],
        [300, 60],
      ]),
    ];
    const withinShots = await labelScript(script, 'within-shots', 5);
    assert.equal(new Set(withinShots.flat()).size, 4, `a cut starts new IDs: ${JSON.stringify(withinShots)}`);
    const across = await labelScript(script, 'across-cuts', 5);
    assert.deepEqual(across[5], [across[0][1], across[0][0]], `the same two IDs, swapped with their places: ${JSON.stringify(across)}`);
  });

  test('across a cut, a face where a track was that looks like it (but not enough for the gallery) keeps the track; within shots it does not', async () => {
    // Person 60 at x=100; a cut at frame 5 (the whole picture changes), then the same person a little lower and
    // turned: 0.58 from their descriptor, which the gallery (0.5) would not re-identify.
    const script: number[][][] = [...Array.from({ length: 5 }, () => [[100, 60]]), ...Array.from({ length: 5 }, () => [[102, 60, 116]])];
    const across = await labelScript(script, 'across-cuts', 5);
    assert.deepEqual(new Set(across.flat()), new Set([across[0][0]]), `one ID across the cut: ${JSON.stringify(across)}`);
    const within = await labelScript(script, 'within-shots', 5);
    assert.notEqual(within[5][0], within[0][0], 'within shots a cut ends every track');
  });

  test('two faces that meet and turn back keep their IDs, by appearance and by where each was last seen', async () => {
    // A moves right and B left, 20 px a frame, they meet around x = 200 on frame 5 and go back the way they came;
    // the detector sees them every other frame (motion is trusted as it is on consecutive detections).
    const script = Array.from({ length: 9 }, (_, f) => {
      const d = f <= 5 ? 20 * f : 100 - 20 * (f - 5);
      return f % 2
        ? []
        : [
            [100 + d, 60, 100],
            [300 - d, 60, 108],
          ];
    });
    const on = await labelScript(script, 'within-shots');
    assert.deepEqual(on[8], on[0], `appearance: ${JSON.stringify(on)}`);
    // Without appearance too: each face is found again nearer its own last box than the other's, while both
    // motion predictions have carried on across (they swapped them before the tracker weighed the last box).
    const off = await labelScript(script, 'off');
    assert.deepEqual(off[8], off[0], `without appearance: ${JSON.stringify(off)}`);
  });

  test('one person is never two faces: an ID on screen is not given to a look-alike in the same frame', async () => {
    // Two faces with the same descriptor side by side from frame 0: two IDs, and they stay two.
    const script = Array.from({ length: 5 }, (): [number, number][] => [
      [50, 60],
      [300, 60],
    ]);
    const ids = await labelScript(script, 'within-shots');
    for (const faces of ids) assert.equal(new Set(faces).size, 2, JSON.stringify(ids));
  });
});

describe('re-identification after a poor first sight', () => {
  test('a returning face whose first descriptor matches no one takes its old ID at a later detection', async () => {
    const script: [number, number][][] = [
      ...exitAndReturn.slice(0, 45),
      [[399, 60]],
      ...Array.from({ length: 15 }, (): [number, number][] => [[400, 60]]),
    ];
    const records = await labelRecords(script, 'across-cuts');
    const ids = records.map((r) => r.faces.map((x) => x.trackId));
    assert.notEqual(ids[45][0], ids[0][0], 'unknown at first sight');
    assert.equal(ids[60][0], ids[0][0], `re-identified later: ${JSON.stringify(ids.slice(44).flat())}`);
    // The frames before it keep the provisional ID online; the record says which ID it became, and the whole-video
    // pass gives them the person's ID (their descriptor alone, near no one, would not).
    const renamed = records.flatMap((r) => r.adopted ?? []);
    assert.deepEqual(renamed, [{ provisional: ids[45][0], id: ids[0][0] }]);
    const joined = joinTracklets(records, { maxDistance: 0.55, acrossCuts: true, bridgeGap: 0 }).frames;
    assert.ok(
      joined.every((r) => r.faces.every((x) => x.trackId === ids[0][0])),
      JSON.stringify(joined.slice(44).map((r) => r.faces.map((x) => x.trackId))),
    );
  });
});

describe('identity gallery', () => {
  test('nearest within the distance, excluding IDs on screen; capacity forgets the one seen longest ago', () => {
    const g = new IdentityGallery({ maxDistance: 0.5, capacity: 2 });
    g.remember(1, 0, unit(0));
    g.remember(2, 5, unit(1));
    const near = unit(0);
    near[1] = 0.3;
    assert.equal(g.match(near, new Set())?.id, 1);
    assert.equal(g.match(near, new Set([1])), undefined, 'the only close one is on screen');
    assert.equal(g.match(unit(2), new Set()), undefined, 'nobody within 0.5');
    g.remember(3, 9, unit(2)); // over capacity: 1 (last seen at frame 0) goes
    assert.equal(g.size, 2);
    assert.equal(g.match(unit(0), new Set()), undefined);
    assert.equal(g.match(unit(2), new Set())?.id, 3);
  });
});

test('identity gallery: a merged ID is forgotten and its samples answer for the ID it joined', () => {
  const g = new IdentityGallery({ maxDistance: 0.5 });
  g.remember(1, 0, unit(0));
  g.remember(2, 5, unit(1));
  g.merge(2, 1);
  assert.equal(g.size, 1);
  assert.deepEqual(g.match(unit(1), new Set()), { id: 1, distance: 0 });
});
