import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodePlainPng } from './plainPng.js';
import { expandToRgb, type RgbImage } from './rgbImage.js';

/**
 * Decodes an image file (JPEG, PNG, WebP, ...) to 8-bit RGB, honouring EXIF rotation. Plain 8-bit PNGs (face
 * crops such as FER2013's) are decoded in JS (`plainPng.ts`: the same pixels, a tenth of sharp's cost on a
 * 48x48 crop); everything else, and anything the JS path does not take, goes to sharp.
 */
export async function decodeImageFile(path: string): Promise<RgbImage> {
  const bytes = await readFile(path);
  return decodePlainPng(bytes) ?? decodeWithSharp(bytes);
}

async function decodeWithSharp(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 3)
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  // Gray inputs (FER2013 crops) come back with one channel even when asked for sRGB on some builds.
  return expandToRgb(data, info.width, info.height, info.channels);
}
