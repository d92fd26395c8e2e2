import type { Box } from '../image/rgbImage.js';
import { alignToTemplate, fivePointsFrom68, type Point } from '../image/similarityAlign.js';

/**
 * Where a face's five points (eye centres, nose tip, mouth corners) sit in the recognition net's chip, as
 * fractions of the box around the mean face's landmarks 17-67 (brows to chin's top, as dlib frames its chips),
 * before padding. Made here, not copied: the Procrustes mean of the default trunk's 68 landmarks on the 129
 * faces of `npm run bench:reid-distances`, mirrored and averaged so that it is symmetric (docs/tracking.md).
 */
const FIVE_POINTS: Point[] = [
  [0.2238, 0.2608],
  [0.7762, 0.2608],
  [0.5, 0.5827],
  [0.2525, 0.8548],
  [0.7475, 0.8548],
];

/**
 * Padding around that box, per side, as a fraction of it (dlib's chips use 0.25). 0.4 separated people best
 * on the shared videos (0.3 / 0.4 / 0.5: equal-error rate 0.8% / 0.3% / 1.6%; docs/tracking.md).
 */
const PADDING = 0.4;

/**
 * The region and roll that put a face on the recognition net's template: the net (dlib's ResNet) was trained
 * on faces aligned by their landmarks, and compared that way one person's looks lie closer together than with
 * the detector's box (same-person median distance 0.36 -> 0.33, equal-error rate 3.7% -> 0.3% on the shared
 * videos). `size` is the chip's side in pixels.
 */
export function faceChip(landmarks: ArrayLike<number>, size: number): { region: Box; angle: number } {
  const template = FIVE_POINTS.map(([x, y]): Point => [((PADDING + x) / (1 + 2 * PADDING)) * size, ((PADDING + y) / (1 + 2 * PADDING)) * size]);
  return alignToTemplate(fivePointsFrom68(landmarks), template, size, size);
}
