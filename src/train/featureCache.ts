import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decodeImageFile } from '../image/decodeImage.js';
import { resampleToTensor } from '../image/resampleToTensor.js';
import { mirror } from '../image/mirror.js';
import type { Box, RgbImage } from '../image/rgbImage.js';
import { TRUNK_FEATURE_SIZES } from '../models/import/trunkGraph.js';
import { ensureBuiltinModel } from '../models/import/modelImporter.js';
import type { InputSpec } from '../models/manifest.js';
import type { Device } from '../models/ort/device.js';
import type { InferencePool } from '../models/ort/inferencePool.js';
import { writeFileAtomic } from '../util/atomicFile.js';
import { jitterFace } from './faceJitter.js';
import { PACKAGE_ROOT } from '../util/paths.js';

import { FEATURE_SETS, type FeatureSet } from '../models/import/baggedEnsembleGraph.js';
export { FEATURE_SETS, type FeatureSet };

/** What the frozen branches say about each face of a set: features, the members' outputs, landmarks. */
export interface FaceFeatures {
  count: number;
  features: Record<FeatureSet, Float32Array>;
  /** [count, 7] each, in the members' own label orders. */
  faceApiProbs: Float32Array;
  humanProbs: Float32Array;
  /** [count, 136], relative to the crop: the landmark head's target. */
  landmarks: Float32Array;
  /** Indexes of images that could not be decoded (their rows are zeros): left out of training, counted. */
  unreadable: number[];
}

const CROP: InputSpec = { width: 112, height: 112, layout: 'NCHW', color: 'RGB', scale: 1, mean: [0], std: [1] };
const OUTPUTS = [...FEATURE_SETS, 'faceApiProbs', 'humanProbs', 'landmarks'] as const;
const WIDTHS: Record<(typeof OUTPUTS)[number], number> = { ...TRUNK_FEATURE_SIZES, faceApiProbs: 7, humanProbs: 7, landmarks: 136 };

/** Which view of each face: as it is, mirrored (the flip augmentation), or degraded (train/faceJitter.ts). */
export type FeatureView = 'plain' | 'mirrored' | 'jittered';

/**
 * Runs the frozen trunk (every default member's branches, once: models/import/builtinModels.ts addTrunk) over
 * face crops, optionally mirrored, and caches the result on disk keyed by the trunk model's file and every
 * image's path, size and mtime: training runs again in seconds, and a changed image or model is never served
 * stale. The crop is the whole image padded to a square, as the members see a face crop.
 */
export async function extractFeatures(
  pool: InferencePool,
  paths: string[],
  view: FeatureView,
  device: Device,
  onProgress?: (done: number) => void,
): Promise<FaceFeatures> {
  const model = ensureBuiltinModel('trunk-features');
  const key = hashImages(createHash('sha256').update(basename(model)).update(view), paths);
  const dir = join(PACKAGE_ROOT, '.cache', 'features');
  const file = join(dir, `${key.digest('hex').slice(0, 24)}.bin`);
  const sidecar = `${file}.json`;
  if (existsSync(file) && existsSync(sidecar)) return unpack(readFileSync(file), paths.length, JSON.parse(readFileSync(sidecar, 'utf8')));

  await pool.load('train/trunk', model, device);
  const out = Object.fromEntries(OUTPUTS.map((o) => [o, new Float32Array(paths.length * WIDTHS[o])])) as Record<
    (typeof OUTPUTS)[number],
    Float32Array
  >;
  const BATCH = 64;
  const size = 3 * 112 * 112;
  const unreadable: number[] = [];
  // An image that cannot be decoded becomes a blank one here and is reported by index, never a crash mid-set.
  const decode = (from: number) =>
    Promise.all(
      paths
        .slice(from, from + BATCH)
        .map((p, i) => decodeImageFile(p).catch(() => (unreadable.push(from + i), { width: 1, height: 1, data: new Uint8Array(3) }))),
    );
  let next: Promise<RgbImage[]> = decode(0);
  for (let start = 0; start < paths.length; start += BATCH) {
    const images = await next;
    // Decode the next batch while this one runs.
    next = decode(start + BATCH);
    const batch = new Float32Array(images.length * size);
    images.forEach((img, i) => {
      const { image, region } = faceView(img, view, start + i);
      resampleToTensor(image, region, CROP, batch, i * size);
    });
    const result = await pool.runWhenRoom('train/trunk', { crop: { data: batch, dims: [images.length, 3, 112, 112] } });
    for (const o of OUTPUTS) out[o].set(result[o].data, start * WIDTHS[o]);
    onProgress?.(start + images.length);
  }
  mkdirSync(dir, { recursive: true });
  unreadable.sort((a, b) => a - b);
  writeFileAtomic(file, Buffer.concat(OUTPUTS.map((o) => Buffer.from(out[o].buffer))));
  writeFileAtomic(sidecar, JSON.stringify(unreadable));
  return unpack(readFileSync(file), paths.length, unreadable);
}

/**
 * The image one view of a face shows and the region of it the trunk crops: the whole image padded to a square
 * (mirrored for that view), or the degraded view's jittered framing. Feature members see the same (memberFeatures.ts).
 */
export function faceView(img: RgbImage, view: FeatureView, index: number): { image: RgbImage; region: Box } {
  if (view === 'jittered') return jitterFace(img, index);
  const side = Math.max(img.width, img.height);
  return {
    image: view === 'mirrored' ? mirror(img) : img,
    region: { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side },
  };
}

/** Adds every image's path, size and mtime to a cache key: a changed image is never served stale. */
export function hashImages(key: Hash, paths: string[]): Hash {
  for (const p of paths) {
    const st = statSync(p);
    key.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return key;
}

function unpack(bytes: Buffer, count: number, unreadable: number[]): FaceFeatures {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  const take = (o: (typeof OUTPUTS)[number]) => all.subarray(offset, (offset += count * WIDTHS[o]));
  const features = Object.fromEntries(FEATURE_SETS.map((f) => [f, take(f)])) as Record<FeatureSet, Float32Array>;
  return { count, features, faceApiProbs: take('faceApiProbs'), humanProbs: take('humanProbs'), landmarks: take('landmarks'), unreadable };
}
