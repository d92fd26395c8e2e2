import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { shared } from './sharedData.js';

/** Real face crops: the install-built samples, plus labelled faces from ../shared when present. */
export function realFaceCropPaths(): string[] {
  const samples = join(PACKAGE_ROOT, 'samples', 'crops');
  const paths = readdirSync(samples)
    .filter((f) => f.endsWith('.jpg'))
    .slice(0, 3)
    .map((f) => join(samples, f));
  const fer = shared('fer2013_test', 'test', 'happy');
  if (fer) paths.push(join(fer, readdirSync(fer).sort()[0]));
  const stills = shared('pyfeat_media', 'sad_asian.jpg');
  if (stills) paths.push(stills);
  return paths;
}

/** An image resized to size x size RGB (stretch), as bytes HWC. */
export async function rgbSquare(path: string, size: number): Promise<Uint8Array> {
  const { data } = await sharp(path)
    .resize(size, size, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

export function hwcToNchw(hwc: Uint8Array, size: number, channels = 3): Float32Array {
  const out = new Float32Array(channels * size * size);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < channels; c++) out[c * size * size + i] = hwc[i * channels + c];
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
