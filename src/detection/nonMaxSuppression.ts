import { iou, type Box, type RgbImage } from '../image/rgbImage.js';

export interface Detection {
  box: Box;
  score: number;
}

/** What the pipeline needs of a face detector: faces in each image of a batch, boxes in image pixels. */
export interface Detector {
  detect(images: RgbImage[]): Promise<Detection[][]>;
}

/** Greedy NMS: keeps the best-scoring box and drops the ones overlapping it by more than `iouThreshold`. */
export function nonMaxSuppression(dets: Detection[], iouThreshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  return kept;
}
