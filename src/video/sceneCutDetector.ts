import type { RgbImage } from '../image/rgbImage.js';

const THUMB_W = 48;
const THUMB_H = 27;
/** Colour histograms: a 2x2 grid of cells, 4x4x4 RGB bins each, from every 4th pixel in each direction. */
const GRID = 2;
const LEVELS = 4;
const BINS = LEVELS ** 3;
const STEP = 4;

export interface SceneCut {
  /** Mean absolute difference of grey thumbnails, 0-255. */
  pixelChange: number;
  /** Mean over grid cells of the colour histograms' total variation distance, 0-1. */
  colourChange: number;
}

/**
 * Flags hard cuts between consecutive frames. A tracker must not carry a face across a cut (its position then
 * means nothing), and a detector must look at the first frame after one.
 *
 * Two measures must both jump: the pixels (grey thumbnails), and the colours of each quarter of the frame
 * (histograms). Motion near the camera (a face or a hand sweeping past, a fast pan over texture) changes
 * many pixels but moves colours around rather than replacing them, so the pixel measure alone fires on it.
 */
export class SceneCutDetector {
  private previous?: { thumb: Float32Array; hist: Float32Array };

  /** `pixelThreshold`: grey difference (0-255); `colourThreshold`: histogram distance (0-1). */
  constructor(
    private readonly pixelThreshold = 20,
    private readonly colourThreshold = 0.1,
  ) {}

  /** True when `image` starts a new shot (the first frame does not). */
  isCut(image: RgbImage): boolean {
    const change = this.measure(image);
    return change !== undefined && change.pixelChange > this.pixelThreshold && change.colourChange > this.colourThreshold;
  }

  /** Both measures against the previous frame (undefined for the first); moves on to `image`. */
  measure(image: RgbImage): SceneCut | undefined {
    const current = { thumb: thumbnail(image), hist: gridHistograms(image) };
    const prev = this.previous;
    this.previous = current;
    if (!prev) return undefined;
    let sum = 0;
    for (let i = 0; i < current.thumb.length; i++) sum += Math.abs(current.thumb[i] - prev.thumb[i]);
    let tv = 0;
    for (let i = 0; i < current.hist.length; i++) tv += Math.abs(current.hist[i] - prev.hist[i]);
    return { pixelChange: sum / current.thumb.length, colourChange: tv / 2 / (GRID * GRID) };
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
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        const i = ((y + dy) * width + x + dx) * 3;
        v += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      }
      t[ty * THUMB_W + tx] = v / 4;
    }
  }
  return t;
}

/** Normalised RGB histograms of the GRID x GRID cells, concatenated. */
function gridHistograms({ width, height, data }: RgbImage): Float32Array {
  const hist = new Float32Array(GRID * GRID * BINS);
  const counts = new Float32Array(GRID * GRID);
  const shift = 8 - Math.log2(LEVELS);
  for (let y = 0; y < height; y += STEP) {
    const cy = Math.min(GRID - 1, Math.floor((y * GRID) / height));
    for (let x = 0; x < width; x += STEP) {
      const cell = cy * GRID + Math.min(GRID - 1, Math.floor((x * GRID) / width));
      const i = (y * width + x) * 3;
      hist[cell * BINS + (((data[i] >> shift) * LEVELS + (data[i + 1] >> shift)) * LEVELS + (data[i + 2] >> shift))]++;
      counts[cell]++;
    }
  }
  for (let c = 0; c < GRID * GRID; c++) for (let b = 0; b < BINS; b++) if (counts[c]) hist[c * BINS + b] /= counts[c];
  return hist;
}
