import type { Detection } from './detector.js';

/** face-api's Tiny Face Detector anchors, in grid cells. */
export const TINY_FACE_ANCHORS: [number, number][] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Decodes one image's YOLO grid (NHWC [cells, cells, 5 anchors x (x, y, w, h, objectness)]) into boxes in
 * the network's input pixels, as face-api's extractBoxes does.
 */
export function decodeTinyFaceGrid(grid: Float32Array, cells: number, inputSize: number, minScore: number): Detection[] {
  const out: Detection[] = [];
  const anchors = TINY_FACE_ANCHORS.length;
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      for (let a = 0; a < anchors; a++) {
        const o = ((row * cells + col) * anchors + a) * 5;
        const score = sigmoid(grid[o + 4]);
        if (score < minScore) continue;
        const cx = ((col + sigmoid(grid[o])) / cells) * inputSize;
        const cy = ((row + sigmoid(grid[o + 1])) / cells) * inputSize;
        const w = ((Math.exp(grid[o + 2]) * TINY_FACE_ANCHORS[a][0]) / cells) * inputSize;
        const h = ((Math.exp(grid[o + 3]) * TINY_FACE_ANCHORS[a][1]) / cells) * inputSize;
        out.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score });
      }
    }
  }
  return out;
}
