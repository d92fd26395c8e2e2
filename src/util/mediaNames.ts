import { extname } from 'node:path';

/** File names fer-stream reads as images (face crops) and as videos. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif']);
export const VIDEO_EXTENSIONS = new Set([
  '.mp4',
  '.mov',
  '.m4v',
  '.mkv',
  '.webm',
  '.avi',
  '.mpg',
  '.mpeg',
  '.ts',
  '.mts',
  '.m2ts',
  '.flv',
  '.wmv',
  '.3gp',
  '.ogv',
  '.y4m',
]);

export const isImageName = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
export const isVideoName = (name: string) => VIDEO_EXTENSIONS.has(extname(name).toLowerCase());

/** `2.jpg` before `10.jpg`: the order of an ABAW test folder (`0.jpg, 1.jpg, ...`). */
export const naturalCompare = new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare;
