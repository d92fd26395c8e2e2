/**
 * What a network wants as input, and how its face is cut out: the image code's contract. Manifests
 * (models/manifest.ts) validate these fields; image/ reads them.
 */
export interface InputSpec {
  /** Model input name; default: the model's first input. */
  name?: string;
  width: number;
  height: number;
  layout: 'NCHW' | 'NHWC';
  color: 'RGB' | 'BGR' | 'GRAY';
  /** value = (pixel * scale - mean[c]) / std[c], pixel in 0..255; one entry applies to every channel. */
  scale: number;
  mean: number[];
  std: number[];
}

export interface CropSpec {
  /** `pad`: centre the face box in a square (letterbox); `stretch`: resize the box as it is. */
  fit: 'pad' | 'stretch';
  /** Grow the detected box by this fraction of its size on each side before cropping (ignored for face crops). */
  margin: number;
}
