import type { Box, RgbImage } from '../image/rgbImage.js';

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
