import sharp from 'sharp';
import type { RgbImage } from './rgbImage.js';

/** The size of a frame shrunk so that its longer side is `side` (what `shrinkToTensor` writes). */
export function shrunkSize(image: { width: number; height: number }, side: number): { width: number; height: number } {
  const scale = side / Math.max(image.width, image.height);
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}

/**
 * A whole frame shrunk so its longer side is `side`, as interleaved RGB bytes. libvips does the resize on its
 * own threads: for a 720p frame it takes about 2 ms where a JS resample took 50 ms, and it keeps the main
 * thread free. Throws when the shrunk frame does not fit `slot` (a detector's input).
 */
async function shrink(image: RgbImage, side: number, slot: { width: number; height: number }) {
  const { width, height } = shrunkSize(image, side);
  if (width > slot.width || height > slot.height)
    throw new RangeError(`a ${width}x${height} frame does not fit a ${slot.width}x${slot.height} tensor slot`);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, width, height };
}

/**
 * Shrinks a whole frame so its longer side is `side` and writes it into the top-left of an NCHW RGB
 * tensor slot (values 0-255, the rest stays 0). The slot is `side` square unless `slot` says otherwise.
 * Returns the scale from the slot back to the frame.
 */
export async function shrinkToTensor(
  image: RgbImage,
  side: number,
  out: Float32Array,
  offset: number,
  slot: { width: number; height: number } = { width: side, height: side },
): Promise<number> {
  const { data: small, width: w, height: h } = await shrink(image, side, slot);
  const plane = slot.width * slot.height;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const o = offset + y * slot.width + x;
      out[o] = small[i];
      out[o + plane] = small[i + 1];
      out[o + 2 * plane] = small[i + 2];
    }
  }
  return Math.max(image.width, image.height) / side;
}

/**
 * The same into an NHWC slot of bytes (pixels interleaved, as decoded): one row copy per line, no per-pixel
 * work on the calling thread, and a quarter of the bytes of a float tensor to post to a worker (which
 * widens them: models/ort/onnxRuntime.ts).
 */
export async function shrinkToPixels(
  image: RgbImage,
  side: number,
  out: Uint8Array,
  offset: number,
  slot: { width: number; height: number },
): Promise<void> {
  const { data: small, width: w, height: h } = await shrink(image, side, slot);
  for (let y = 0; y < h; y++) out.set(small.subarray(y * w * 3, (y + 1) * w * 3), offset + y * slot.width * 3);
}
