import type { Box, RgbImage } from '../image/rgbImage.js';
import { seededRandom } from '../util/seededRandom.js';
import { mirror } from '../image/mirror.js';

/**
 * One seeded random degradation of a training face, the same for the same image index every run: framing
 * (the crop's size 0.85-1.15 of the face's square and a shift up to 6% of it, as detectors frame real faces
 * differently from FER2013), a mirror half of the time, contrast 0.7-1.3 and brightness -25..25, and a 3x3 blur
 * a third of the time (real footage is softer than a posed still).
 */
export function jitterFace(img: RgbImage, index: number): { image: RgbImage; region: Box } {
  const random = seededRandom(0x5eed + index * 7919);
  const side = Math.max(img.width, img.height) * (0.85 + 0.3 * random());
  const dx = (random() - 0.5) * 0.12 * side;
  const dy = (random() - 0.5) * 0.12 * side;
  let image = random() < 0.5 ? mirror(img) : img;
  const contrast = 0.7 + 0.6 * random();
  const brightness = (random() - 0.5) * 50;
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.max(0, Math.min(255, Math.round((image.data[i] - 128) * contrast + 128 + brightness)));
  image = { width: image.width, height: image.height, data };
  if (random() < 1 / 3) image = blur3x3(image);
  return { image, region: { x: (img.width - side) / 2 + dx, y: (img.height - side) / 2 + dy, width: side, height: side } };
}

function blur3x3(img: RgbImage): RgbImage {
  const { width: w, height: h } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let v = Math.max(0, y - 1); v <= Math.min(h - 1, y + 1); v++) {
          for (let u = Math.max(0, x - 1); u <= Math.min(w - 1, x + 1); u++, n++) sum += img.data[(v * w + u) * 3 + c];
        }
        data[(y * w + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return { width: w, height: h, data };
}
