import type { Box } from './rgbImage.js';

/** A point (x, y) in pixel-index coordinates (pixel centres at integers, as OpenCV's warpAffine). */
export type Point = [number, number];

/**
 * The five points of the usual face-alignment templates (left eye centre, right eye centre, nose tip, left
 * and right mouth corners, in image order: "left" is the image's left) from 68 landmarks (iBUG order,
 * interleaved x, y).
 */
export function fivePointsFrom68(landmarks: ArrayLike<number>): Point[] {
  const mean = (from: number, to: number): Point => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += landmarks[2 * i];
      y += landmarks[2 * i + 1];
    }
    return [x / (to - from + 1), y / (to - from + 1)];
  };
  const at = (i: number): Point => [landmarks[2 * i], landmarks[2 * i + 1]];
  return [mean(36, 41), mean(42, 47), at(30), at(48), at(54)];
}

/**
 * The similarity transform (scale, rotation, translation) that best maps `template` points onto `points`
 * (least squares, Umeyama), as the crop region and roll `resampleToTensor` takes: sampling that region of the
 * image, turned by `angle`, into a `width` x `height` tensor puts each face point on its template point.
 */
export function alignToTemplate(points: Point[], template: Point[], width: number, height: number): { region: Box; angle: number } {
  const n = points.length;
  const mean = (ps: Point[]): Point => [ps.reduce((a, p) => a + p[0], 0) / n, ps.reduce((a, p) => a + p[1], 0) / n];
  const [qx, qy] = mean(template);
  const [px, py] = mean(points);
  let a = 0;
  let b = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const ux = template[i][0] - qx;
    const uy = template[i][1] - qy;
    const vx = points[i][0] - px;
    const vy = points[i][1] - py;
    a += ux * vx + uy * vy;
    b += ux * vy - uy * vx;
    den += ux * ux + uy * uy;
  }
  // image = s R(angle) template + t, with s cos = a / den and s sin = b / den.
  const sc = a / den;
  const ss = b / den;
  const scale = Math.hypot(sc, ss);
  const angle = Math.atan2(ss, sc);
  const tx = px - (sc * qx - ss * qy);
  const ty = py - (ss * qx + sc * qy);
  // The output's centre (index (W-1)/2) lands here, in index coordinates; regions are continuous (+0.5).
  const cu = (width - 1) / 2;
  const cv = (height - 1) / 2;
  const cx = sc * cu - ss * cv + tx + 0.5;
  const cy = ss * cu + sc * cv + ty + 0.5;
  const w = scale * width;
  const h = scale * height;
  return { region: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, angle };
}
