/** A decoded image: 8-bit RGB, interleaved, row-major. Frames and face-crop files both become this. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A rectangle in pixels of the image it belongs to. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of `b` inside a `width` x `height` image (empty boxes have zero width or height). */
export function clipBox(b: Box, width: number, height: number): Box {
  const x1 = Math.min(width, Math.max(0, b.x));
  const y1 = Math.min(height, Math.max(0, b.y));
  const x2 = Math.max(x1, Math.min(width, b.x + b.width));
  const y2 = Math.max(y1, Math.min(height, b.y + b.height));
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Distance between the two boxes' centres, in pixels. */
export function centreDistance(a: Box, b: Box): number {
  return Math.hypot(a.x + a.width / 2 - (b.x + b.width / 2), a.y + a.height / 2 - (b.y + b.height / 2));
}

/** How much larger `a` is than `b`, as a side length (square root of the areas' ratio). */
export function sizeRatio(a: Box, b: Box): number {
  return Math.sqrt((a.width * a.height) / (b.width * b.height));
}

/** RGB from 1 (grey), 2 (grey + alpha), 3 or 4 (RGBA) interleaved 8-bit channels; alpha is dropped. */
export function expandToRgb(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  if (channels >= 3) {
    for (let i = 0; i < n; i++) {
      rgb[i * 3] = data[i * channels];
      rgb[i * 3 + 1] = data[i * channels + 1];
      rgb[i * 3 + 2] = data[i * channels + 2];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = data[i * channels];
      rgb[i * 3] = v;
      rgb[i * 3 + 1] = v;
      rgb[i * 3 + 2] = v;
    }
  }
  return { width, height, data: rgb };
}
