import type { Box } from '../image/rgbImage.js';

/**
 * Geometry of a face from its 68 landmarks (iBUG 300-W order, as the members output them), used to place
 * the next frame's crop of a tracked face: where it is, how large, how it is rolled.
 */

/** Roll in radians: the angle of the line from the subject's right eye (points 36-41) to the left (42-47). */
export function eyeLineAngle(lm: ArrayLike<number>): number {
  let rx = 0,
    ry = 0,
    lx = 0,
    ly = 0;
  for (let i = 36; i < 42; i++) {
    rx += lm[2 * i] / 6;
    ry += lm[2 * i + 1] / 6;
    lx += lm[2 * (i + 6)] / 6;
    ly += lm[2 * (i + 6) + 1] / 6;
  }
  return Math.atan2(ly - ry, lx - rx);
}

/** Centroid and RMS spread of the points: a position and a scale that do not depend on pose as much as a box. */
export function landmarkFrame(lm: ArrayLike<number>): { cx: number; cy: number; spread: number } {
  const n = lm.length / 2;
  let cx = 0,
    cy = 0;
  for (let i = 0; i < n; i++) {
    cx += lm[2 * i] / n;
    cy += lm[2 * i + 1] / n;
  }
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (lm[2 * i] - cx) ** 2 + (lm[2 * i + 1] - cy) ** 2;
  return { cx, cy, spread: Math.sqrt(ss / n) };
}

/**
 * How a detector box sits on a face's landmarks, in units of the landmark spread and in the face's own
 * (un-rolled) axes. Measured per track on each detection, so landmark-placed crops frame the face as the
 * detector does, which is how the members were trained to see it.
 */
export interface BoxCalibration {
  dx: number;
  dy: number;
  width: number;
  height: number;
}

export function calibrateBox(box: Box, lm: ArrayLike<number>): BoxCalibration {
  const { cx, cy, spread } = landmarkFrame(lm);
  const angle = eyeLineAngle(lm);
  const ox = box.x + box.width / 2 - cx;
  const oy = box.y + box.height / 2 - cy;
  const cos = Math.cos(-angle);
  const sin = Math.sin(-angle);
  return { dx: (cos * ox - sin * oy) / spread, dy: (sin * ox + cos * oy) / spread, width: box.width / spread, height: box.height / spread };
}

/**
 * The box the detector would likely give for a face with these landmarks (inverse of calibrateBox), and
 * the face's roll, which it needs anyway.
 */
export function boxFromLandmarks(lm: ArrayLike<number>, calib: BoxCalibration): { box: Box; angle: number } {
  const { cx, cy, spread } = landmarkFrame(lm);
  const angle = eyeLineAngle(lm);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const bx = cx + (cos * calib.dx - sin * calib.dy) * spread;
  const by = cy + (sin * calib.dx + cos * calib.dy) * spread;
  const w = calib.width * spread;
  const h = calib.height * spread;
  return { box: { x: bx - w / 2, y: by - h / 2, width: w, height: h }, angle };
}
