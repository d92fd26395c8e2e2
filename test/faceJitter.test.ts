import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RgbImage } from '../src/image/rgbImage.js';
import { jitterFace } from '../src/train/faceJitter.js';

describe('training faces degraded by a seeded jitter (fer-stream train --augment jitter)', () => {
  const face: RgbImage = { width: 48, height: 48, data: Uint8Array.from({ length: 48 * 48 * 3 }, (_, i) => (i * 37) % 256) };

  test('the same face index gives the same view every run; other indices other views', () => {
    const a = jitterFace(face, 5);
    const b = jitterFace(face, 5);
    assert.deepEqual(a.region, b.region);
    assert.deepEqual(a.image.data, b.image.data);
    const regions = new Set(Array.from({ length: 20 }, (_, i) => JSON.stringify(jitterFace(face, i).region)));
    assert.equal(regions.size, 20);
  });

  test('framing stays within 0.85-1.15 of the face square and 6% of shift; pixels change but stay in range', () => {
    let mirrored = 0;
    let blurredOrChanged = 0;
    for (let i = 0; i < 200; i++) {
      const { image, region } = jitterFace(face, i);
      assert.equal(region.width, region.height);
      assert.ok(region.width >= 0.85 * 48 - 1e-9 && region.width <= 1.15 * 48 + 1e-9, `side ${region.width}`);
      const shiftX = region.x + region.width / 2 - 24;
      const shiftY = region.y + region.height / 2 - 24;
      assert.ok(
        Math.abs(shiftX) <= 0.06 * region.width + 1e-9 && Math.abs(shiftY) <= 0.06 * region.width + 1e-9,
        `shift ${shiftX}, ${shiftY}`,
      );
      assert.equal(image.data.length, face.data.length);
      if (image.data.some((v, k) => v !== face.data[k])) blurredOrChanged++;
      // The first pixel of a mirrored face comes from the last column: compare with contrast undone loosely.
      if (Math.abs(image.data[0] - face.data[47 * 3]) < Math.abs(image.data[0] - face.data[0])) mirrored++;
    }
    assert.equal(blurredOrChanged, 200);
    assert.ok(mirrored > 50 && mirrored < 150, `about half mirrored: ${mirrored} of 200`);
  });
});
