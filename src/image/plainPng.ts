import { decode } from 'fast-png';
import { expandToRgb, type RgbImage } from './rgbImage.js';

/**
 * Plain PNGs decoded in JS with fast-png (MIT, image-js): for a small face crop sharp's per-image set-up
 * costs about 1 ms of CPU, ten times the decoding itself, and crop scoring is bound by CPU. "Plain" is what
 * gives exactly sharp's pixels without colour management: 8-bit grey, grey + alpha, RGB or RGBA, not
 * interlaced, and no chunk that could change colours or orientation (ICC profile, gamma, EXIF, ...).
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Chunks that never change decoded pixels; any other chunk sends the file to sharp. */
const HARMLESS_CHUNKS = new Set(['IHDR', 'IDAT', 'IEND', 'tEXt', 'zTXt', 'iTXt', 'pHYs', 'tIME', 'tRNS']);
/** IHDR colour types: grey, RGB, grey + alpha, RGBA (3, palette, goes to sharp). */
const PLAIN_COLOUR_TYPES = new Set([0, 2, 4, 6]);

/** The image, or undefined when `bytes` is not a plain PNG (or is damaged): then sharp decides. */
export function decodePlainPng(bytes: Uint8Array): RgbImage | undefined {
  if (!isPlainPng(bytes)) return undefined;
  try {
    // 8 bits and no palette were checked in IHDR, so fast-png gives 8-bit samples, 1-4 channels.
    const png = decode(bytes);
    return expandToRgb(png.data as Uint8Array, png.width, png.height, png.channels);
  } catch {
    return undefined; // damaged: sharp gives the error message users see for every other format
  }
}

function isPlainPng(b: Uint8Array): boolean {
  if (b.length < 33 || SIGNATURE.some((v, i) => b[i] !== v)) return false;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // IHDR comes first: width, height, bit depth, colour type, compression, filter, interlace.
  if (chunkType(b, 12) !== 'IHDR' || b[24] !== 8 || !PLAIN_COLOUR_TYPES.has(b[25]) || b[28] !== 0) return false;
  for (let at = 8; at + 8 <= b.length;) {
    const type = chunkType(b, at + 4);
    if (!HARMLESS_CHUNKS.has(type)) return false;
    if (type === 'IEND') return true;
    at += 12 + view.getUint32(at);
  }
  return false; // no IEND: truncated
}

function chunkType(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}
