import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RgbImage } from '../src/image/rgbImage.js';
import { SceneCutDetector } from '../src/video/sceneCutDetector.js';

const W = 320;
const H = 180;

/** A fine texture panned by `pan` px, a large skin-coloured disc (a face close to the camera) at `discX`. */
function frame(pan: number, discX: number, palette = 0): RgbImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const t = ((x + pan) * 7 + y * 3) % 256;
      const inDisc = (x - discX) ** 2 + (y - H / 2) ** 2 < 70 ** 2;
      data[i] = inDisc ? 230 : (t + palette) % 256;
      data[i + 1] = inDisc ? 180 : (t * 2 + palette) % 256;
      data[i + 2] = inDisc ? 150 : palette ? 40 : 255 - t;
    }
  return { width: W, height: H, data };
}

describe('scene cut detector', () => {
  test('fast motion near the camera and a fast pan are not cuts, though most pixels change', () => {
    const cuts = new SceneCutDetector();
    const pixelsOnly = new SceneCutDetector(20, 0);
    let cutCount = 0;
    let pixelCount = 0;
    for (let f = 0; f < 20; f++) {
      const image = frame(f * 6, 40 + f * 12);
      if (cuts.isCut(image)) cutCount++;
      if (pixelsOnly.isCut(image)) pixelCount++;
    }
    assert.equal(cutCount, 0);
    assert.ok(pixelCount >= 15, `the grey-difference measure alone calls this motion a cut (${pixelCount} of 19)`);
  });

  test('a hard cut to another shot is a cut, once', () => {
    const cuts = new SceneCutDetector();
    const flags = [frame(0, 60), frame(3, 66), frame(0, 200, 128), frame(3, 206, 128)].map((f) => cuts.isCut(f));
    assert.deepEqual(flags, [false, false, true, false]);
  });
});
