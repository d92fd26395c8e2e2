import { iou, type Box, type RgbImage } from '../image/rgbImage.js';

export interface Detection {
  box: Box;
  score: number;
}

/**
 * An image's faces, and its weak candidates: boxes scored below the detector's threshold, which may only
 * continue a face already tracked there (a blurred or turned face), never start one.
 */
export interface DetectionSet {
  faces: Detection[];
  weak: Detection[];
}

/** What the pipeline needs of a face detector: faces in each image of a batch, boxes in image pixels. */
export interface Detector {
  detect(images: RgbImage[]): Promise<Detection[][]>;
  /** Faces and weak candidates; a detector without weak candidates leaves this out. */
  detectWithWeak?(images: RgbImage[]): Promise<DetectionSet[]>;
}

/** Greedy NMS: keeps the best-scoring box and drops the ones overlapping it by more than `iouThreshold`. */
export function nonMaxSuppression(dets: Detection[], iouThreshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) if (kept.every((k) => iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  return kept;
}
