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

/** The network's stride: one grid cell is this many input pixels (its input sides are multiples of it). */
export const TINY_FACE_CELL = 32;

/**
 * Decodes one image's YOLO grid (NHWC [rows, cols, 5 anchors x (x, y, w, h, objectness)]) into boxes in
 * the network's input pixels, as face-api's extractBoxes does (face-api's input is square, rows = cols; the
 * network is convolutional, so a frame's own shape gives rows != cols and the same cell size).
 */
export function decodeTinyFaceGrid(grid: Float32Array, rows: number, cols: number, minScore: number): Detection[] {
  const out: Detection[] = [];
  const anchors = TINY_FACE_ANCHORS.length;
  const cell = TINY_FACE_CELL;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      for (let a = 0; a < anchors; a++) {
        const o = ((row * cols + col) * anchors + a) * 5;
        const score = sigmoid(grid[o + 4]);
        if (score < minScore) continue;
        const cx = (col + sigmoid(grid[o])) * cell;
        const cy = (row + sigmoid(grid[o + 1])) * cell;
        const w = Math.exp(grid[o + 2]) * TINY_FACE_ANCHORS[a][0] * cell;
        const h = Math.exp(grid[o + 3]) * TINY_FACE_ANCHORS[a][1] * cell;
        out.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score });
      }
    }
  }
  return out;
}
