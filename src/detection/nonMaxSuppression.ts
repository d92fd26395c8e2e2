import { iou } from '../image/rgbImage.js';
import type { Detection } from './detector.js';

/** Greedy NMS: keeps the best-scoring box and drops the ones overlapping it by more than `iouThreshold`. */
export function nonMaxSuppression(dets: Detection[], iouThreshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  return kept;
}
