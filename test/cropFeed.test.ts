import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RgbImage } from '../src/image/rgbImage.js';
import { resampleToTensor } from '../src/image/resampleToTensor.js';
import { Ensemble } from '../src/models/ensemble.js';
import { parseManifest } from '../src/models/manifest.js';
import { cutCropFeed, sharesPixels } from '../src/models/ort/cropFeed.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { FrameCutter } from '../src/video/frameCutter.js';

/** A lopsided frame (plain and mirrored views differ), in the memory kind asked for. */
function frame(shared: boolean): RgbImage {
  const width = 160;
  const height = 120;
  const data = new Uint8Array(shared ? new SharedArrayBuffer(width * height * 3) : new ArrayBuffer(width * height * 3));
  for (let i = 0; i < data.length; i++) data[i] = ((i / 3) % width) * 1.5 + ((i * 7) % 23) + (i % 3) * 20;
  return { width, height, data };
}

describe('face crops cut by the inference workers from shared frames', () => {
  test("the decoder's frames are in shared memory, so the workers can read them where they lie", () => {
    const [f] = new FrameCutter(12).push(new Uint8Array(12));
    assert.ok(sharesPixels([{ width: 2, height: 2, data: f }]));
    assert.equal(sharesPixels([frame(false)]), false);
    assert.equal(sharesPixels([]), false);
  });

  test("a crop feed's tensor is the main thread's resample, value for value (rolled, and mirrored)", () => {
    const image = frame(true);
    const spec = { width: 48, height: 48, layout: 'NCHW' as const, color: 'BGR' as const, scale: 1 / 255, mean: [0.5], std: [0.25] };
    const faces = [
      { image: 0, region: { x: 10, y: 5, width: 90, height: 90 }, angle: 0.3 },
      { image: 0, region: { x: 100, y: 60, width: 50, height: 70 }, angle: 0 },
    ];
    const mine = new Float32Array(2 * 3 * 48 * 48);
    faces.forEach((f, i) => resampleToTensor(image, f.region, spec, mine, i * 3 * 48 * 48, f.angle));
    const cut = cutCropFeed({ name: 'x', images: [image], faces, spec, views: 1 });
    assert.deepEqual(cut.dims, [2, 3, 48, 48]);
    assert.deepEqual(cut.data, mine);
    const both = cutCropFeed({ name: 'x', images: [image], faces, spec, views: 2 });
    assert.deepEqual(both.dims, [4, 3, 48, 48]);
    assert.deepEqual(both.data.subarray(0, mine.length), mine);
    assert.notDeepEqual(both.data.subarray(mine.length), mine);
  });

  describe('an ensemble on shared frames', () => {
    const pool = new InferencePool({ workers: 2 });
    after(() => pool.close());
    const member = (name: string, flip?: string) => ({
      name,
      model: 'builtin:member-face-api',
      input: { width: 112, height: 112, layout: 'NCHW', color: 'RGB' },
      outputs: { expression: 'expression', landmarks: 'landmarks' },
      labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
      ...(flip ? { flip } : {}),
    });

    test('gives exactly the labels and landmarks of the same pixels cropped on the main thread', async () => {
      // Two members that share one crop, one of them flip-averaged: every path of the crop code.
      const ensemble = await Ensemble.load(
        parseManifest({ name: 'two', members: [member('a'), member('b', 'average')] }, '/m.json'),
        pool,
        'cpu',
      );
      const faces = (image: RgbImage) => [
        { image, box: { x: 20, y: 10, width: 80, height: 90 }, angle: 0.2 },
        { image, box: { x: 90, y: 40, width: 60, height: 60 } },
      ];
      const inWorkers = await ensemble.predict(faces(frame(true)));
      const onMain = await ensemble.predict(faces(frame(false)));
      assert.equal(inWorkers.length, 2);
      inWorkers.forEach((p, i) => {
        assert.deepEqual(Array.from(p.probs), Array.from(onMain[i].probs));
        assert.deepEqual(Array.from(p.landmarks!), Array.from(onMain[i].landmarks!));
      });
    });
  });
});
