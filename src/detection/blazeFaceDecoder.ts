import { BLAZEFACE_INPUT_SIZE } from '../models/import/builtinModels.js';
import type { Detection } from './detector.js';

/** BlazeFace anchor centres in input pixels: 16x16 cells x 2 (stride 16), then 8x8 cells x 6 (stride 32). */
export const BLAZEFACE_ANCHORS: [number, number][] = (() => {
  const anchors: [number, number][] = [];
  for (const [stride, perCell] of [
    [16, 2],
    [32, 6],
  ]) {
    const cells = BLAZEFACE_INPUT_SIZE / stride;
    for (let y = 0; y < cells; y++)
      for (let x = 0; x < cells; x++) for (let k = 0; k < perCell; k++) anchors.push([stride * (x + 0.5), stride * (y + 0.5)]);
  }
  return anchors;
})();

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Decodes one image's outputs (scores and regressors of the 512 + 384 anchors, in anchor order) into boxes
 * in input pixels, as human does: centre = anchor + regressor[0..1], size = regressor[2..3].
 */
export function decodeBlazeFace(scores: Float32Array, regressors: Float32Array, firstAnchor: number, minScore: number): Detection[] {
  const out: Detection[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = sigmoid(scores[i]);
    if (score < minScore) continue;
    const r = regressors.subarray(i * 16, i * 16 + 4);
    const [ax, ay] = BLAZEFACE_ANCHORS[firstAnchor + i];
    out.push({ score, box: { x: ax + r[0] - r[2] / 2, y: ay + r[1] - r[3] / 2, width: r[2], height: r[3] } });
  }
  return out;
}
