import type { RgbImage } from './rgbImage.js';

/** The image mirrored left to right (a face is as much a face either way: the training augmentation). */
export function mirror(img: RgbImage): RgbImage {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3;
      const d = (y * img.width + (img.width - 1 - x)) * 3;
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
    }
  }
  return { width: img.width, height: img.height, data };
}

/**
 * A batch of image tensors followed by the same images mirrored left to right: [count, ...shape] in, [2 * count,
 * ...shape] out (rows `count..2*count-1` are the mirrors). For test-time flip averaging, where both views run in
 * one inference call.
 */
export function withMirrors(batch: Float32Array, count: number, shape: number[], layout: 'NCHW' | 'NHWC'): Float32Array {
  if (batch.length !== count * shape.reduce((a, d) => a * d, 1))
    throw new RangeError(`a batch of ${count} [${shape.join(',')}] tensors has ${batch.length} values`);
  const out = new Float32Array(2 * batch.length);
  out.set(batch);
  // NCHW: a row is `width` single values; NHWC: a row is `width` pixels of `channels` values.
  const [width, step] = layout === 'NCHW' ? [shape[2], 1] : [shape[1], shape[2]];
  const rowLength = width * step;
  for (let row = 0; row < batch.length / rowLength; row++) {
    const from = row * rowLength;
    const to = batch.length + from;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < step; c++) out[to + (width - 1 - x) * step + c] = batch[from + x * step + c];
    }
  }
  return out;
}
