import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { withMirrors } from '../src/image/mirror.js';
import type { RgbImage } from '../src/image/rgbImage.js';
import { Ensemble } from '../src/models/ensemble.js';
import { parseManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { mirror } from '../src/image/mirror.js';

describe('test-time flip averaging', () => {
  test('withMirrors appends each tensor mirrored left to right, in NCHW and NHWC', () => {
    // Two 2x3 images, 2 channels: value = image*100 + channel*10 + y*3 + x.
    const nchw = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => {
      const [n, c, y, x] = [Math.floor(i / 12), Math.floor(i / 6) % 2, Math.floor(i / 3) % 2, i % 3];
      return n * 100 + c * 10 + y * 3 + x;
    });
    const both = withMirrors(nchw, 2, [2, 2, 3], 'NCHW');
    assert.deepEqual(Array.from(both.subarray(0, 24)), Array.from(nchw));
    assert.deepEqual(Array.from(both.subarray(24, 30)), [2, 1, 0, 5, 4, 3]); // image 0, channel 0
    assert.deepEqual(Array.from(both.subarray(42, 48)), [112, 111, 110, 115, 114, 113]); // image 1, channel 1
    // NHWC [1, 1, 3, 2]: pixels (x0: 1,2) (x1: 3,4) (x2: 5,6) -> (5,6) (3,4) (1,2)
    assert.deepEqual(Array.from(withMirrors(Float32Array.from([1, 2, 3, 4, 5, 6]), 1, [1, 3, 2], 'NHWC').subarray(6)), [5, 6, 3, 4, 1, 2]);
    assert.throws(() => withMirrors(new Float32Array(10), 2, [2, 2, 3], 'NCHW'), /2 \[2,2,3\] tensors has 10 values/);
  });

  describe('a member with flip: average', () => {
    const pool = new InferencePool();
    after(() => pool.close());
    const member = (flip?: string) => ({
      name: 'face-api',
      model: 'builtin:member-face-api',
      input: { width: 112, height: 112, layout: 'NCHW', color: 'RGB' },
      outputs: { expression: 'expression', landmarks: 'landmarks' },
      labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
      ...(flip ? { flip } : {}),
    });
    // A lopsided image: the plain and mirrored views differ.
    const image: RgbImage = {
      width: 120,
      height: 100,
      data: Uint8Array.from({ length: 120 * 100 * 3 }, (_, i) => ((i / 3) % 120) * 2 + ((i * 7) % 23)),
    };

    test("gives the mean of its plain and mirrored probabilities, and the plain view's landmarks", async () => {
      const plain = await Ensemble.load(parseManifest({ name: 'plain', members: [member()] }, '/m.json'), pool, 'cpu');
      const flipped = await Ensemble.load(parseManifest({ name: 'flip', members: [member('average')] }, '/m.json'), pool, 'cpu');
      const [a, b] = await plain.predict([{ image }, { image: mirror(image) }]);
      const [f] = await flipped.predict([{ image }]);
      assert.ok(
        a.probs.some((p, k) => Math.abs(p - b.probs[k]) > 1e-3),
        'the two views differ, so the test can tell',
      );
      f.probs.forEach((p, k) =>
        assert.ok(Math.abs(p - (a.probs[k] + b.probs[k]) / 2) < 1e-5, `class ${k}: ${p} vs mean ${(a.probs[k] + b.probs[k]) / 2}`),
      );
      assert.deepEqual(Array.from(f.landmarks!), Array.from(a.landmarks!));
    });

    test('an unknown flip value is refused, naming the field', () => {
      assert.throws(() => parseManifest({ name: 'x', members: [member('horizontal')] }, '/m.json'), /members\[0\]\.flip/);
    });
  });
});
