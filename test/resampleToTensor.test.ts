import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resampleToTensor } from '../src/image/resampleToTensor.js';
import type { InputSpec } from '../src/models/manifest.js';

function noise(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { width, height, data };
}

describe('resampleToTensor', () => {
  test('the upright separable path gives the general (rolled) path values, inside the image and across its edge', () => {
    const image = noise(48, 40);
    const specs: InputSpec[] = [
      { width: 112, height: 112, layout: 'NCHW', color: 'RGB', scale: 1, mean: [0], std: [1] },
      { width: 64, height: 64, layout: 'NHWC', color: 'GRAY', scale: 1 / 255, mean: [0.5], std: [0.25] },
      { width: 56, height: 70, layout: 'NHWC', color: 'BGR', scale: 1, mean: [104, 117, 123], std: [1, 2, 3] },
    ];
    const regions = [
      { x: 0, y: 0, width: 48, height: 40 },
      { x: -10, y: -6, width: 60, height: 60 }, // a face crop padded to a square: samples outside the image
      { x: 5.3, y: 2.7, width: 30.1, height: 33.9 },
      { x: 3, y: 1, width: 90, height: 70 }, // shrinking a little (one tap per pixel still)
    ];
    for (const spec of specs) {
      for (const region of regions) {
        const size = (spec.color === 'GRAY' ? 1 : 3) * spec.width * spec.height;
        const upright = new Float32Array(size);
        const general = new Float32Array(size);
        resampleToTensor(image, region, spec, upright, 0, 0);
        // A roll of 1e-300 rad moves no tap (cos is 1; sin's terms vanish beside pixel coordinates) but takes
        // the general path, which sums the four taps in another order.
        resampleToTensor(image, region, spec, general, 0, 1e-300);
        let worst = 0;
        for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(upright[i] - general[i]) / Math.max(1, Math.abs(general[i])));
        assert.ok(worst < 1e-6, `${spec.color} ${spec.layout} ${JSON.stringify(region)}: relative difference ${worst}`);
      }
    }
  });
});
