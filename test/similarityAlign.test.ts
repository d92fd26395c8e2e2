import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resampleToTensor } from '../src/image/resampleToTensor.js';
import { alignToTemplate, fivePointsFrom68, type Point } from '../src/image/similarityAlign.js';

const TEMPLATE: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

describe('5-point similarity alignment', () => {
  test('sampling the region it gives puts each face point on its template point', () => {
    // A face at 3x the template's scale, rolled by 20 degrees, somewhere in a 400x400 image.
    const angle = (20 * Math.PI) / 180;
    const s = 3;
    const at = ([x, y]: Point): Point => [
      150 + s * (Math.cos(angle) * x - Math.sin(angle) * y),
      40 + s * (Math.sin(angle) * x + Math.cos(angle) * y),
    ];
    const points = TEMPLATE.map(at);
    const { region, angle: roll } = alignToTemplate(points, TEMPLATE, 112, 112);
    assert.ok(Math.abs(roll - angle) < 1e-9);
    assert.ok(Math.abs(region.width - s * 112) < 1e-9);
    // An image that is black except one bright pixel at each face point: each must come out at its template pixel.
    const W = 400;
    const H = 400;
    for (const [k, p] of points.entries()) {
      const data = new Uint8Array(W * H * 3);
      const [px, py] = [Math.round(p[0]), Math.round(p[1])];
      for (let dy = -4; dy <= 4; dy++)
        for (let dx = -4; dx <= 4; dx++) data.fill(255, ((py + dy) * W + px + dx) * 3, ((py + dy) * W + px + dx) * 3 + 3);
      const out = new Float32Array(3 * 112 * 112);
      resampleToTensor(
        { width: W, height: H, data },
        region,
        { width: 112, height: 112, layout: 'NCHW', color: 'RGB', scale: 1, mean: [0], std: [1] },
        out,
        0,
        roll,
      );
      let best = 0;
      for (let i = 1; i < 112 * 112; i++) if (out[i] > out[best]) best = i;
      const [bx, by] = [best % 112, Math.floor(best / 112)];
      assert.ok(
        Math.hypot(bx - TEMPLATE[k][0], by - TEMPLATE[k][1]) <= 1.5,
        `point ${k}: at (${bx}, ${by}), template (${TEMPLATE[k].join(', ')})`,
      );
    }
  });

  test('the five points from 68 landmarks: eye centres, nose tip, mouth corners', () => {
    const lm = new Float32Array(136);
    for (let i = 36; i <= 41; i++) lm.set([10 + i - 36, 20], 2 * i);
    for (let i = 42; i <= 47; i++) lm.set([50 + i - 42, 20], 2 * i);
    lm.set([30, 40], 60);
    lm.set([15, 60], 96);
    lm.set([45, 60], 108);
    assert.deepEqual(fivePointsFrom68(lm), [
      [12.5, 20],
      [52.5, 20],
      [30, 40],
      [15, 60],
      [45, 60],
    ]);
  });
});
