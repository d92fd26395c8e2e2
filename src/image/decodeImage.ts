import sharp from 'sharp';
import type { RgbImage } from './rgbImage.js';

/** Decodes an image file (JPEG, PNG, WebP, ...) with sharp to 8-bit RGB, honouring EXIF rotation. */
export async function decodeImageFile(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path, { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  // Gray inputs (FER2013 crops) come back with one channel even when asked for sRGB on some builds.
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0, n = info.width * info.height; i < n; i++) {
    const v = data[i * info.channels];
    rgb[i * 3] = v;
    rgb[i * 3 + 1] = v;
    rgb[i * 3 + 2] = v;
  }
  return { width: info.width, height: info.height, data: rgb };
}
