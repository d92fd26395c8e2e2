import type { RgbImage } from '../image/rgbImage.js';

const THUMB_W = 48;
const THUMB_H = 27;

/**
 * Flags hard cuts between consecutive frames: the mean absolute difference of small grey thumbnails.
 * A tracker must not carry a face across a cut (its position then means nothing), and a detector must look
 * at the first frame after one.
 */
export class SceneCutDetector {
  private previous?: Float32Array;

  /** `threshold`: mean grey difference (0-255) that counts as a cut. */
  constructor(private readonly threshold = 20) {}

  /** True when `image` starts a new shot (the first frame does not). */
  isCut(image: RgbImage): boolean {
    const thumb = thumbnail(image);
    const prev = this.previous;
    this.previous = thumb;
    if (!prev) return false;
    let sum = 0;
    for (let i = 0; i < thumb.length; i++) sum += Math.abs(thumb[i] - prev[i]);
    return sum / thumb.length > this.threshold;
  }
}

/** Grey thumbnail from a 2x2 average at each cell centre: enough for a cut, far cheaper than a full resize. */
function thumbnail({ width, height, data }: RgbImage): Float32Array {
  const t = new Float32Array(THUMB_W * THUMB_H);
  for (let ty = 0; ty < THUMB_H; ty++) {
    const y = Math.min(height - 2, Math.max(0, Math.floor(((ty + 0.5) * height) / THUMB_H)));
    for (let tx = 0; tx < THUMB_W; tx++) {
      const x = Math.min(width - 2, Math.max(0, Math.floor(((tx + 0.5) * width) / THUMB_W)));
      let v = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const i = ((y + dy) * width + x + dx) * 3;
        v += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      }
      t[ty * THUMB_W + tx] = v / 4;
    }
  }
  return t;
}
