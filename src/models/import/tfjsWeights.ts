import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WeightTensor } from './onnxGraphBuilder.js';

/** One entry of a TF.js weights manifest (`weightsManifest[].weights[]`). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** Named weights decoded to float32 (int32 tensors are widened; they only carry shapes and axes). */
export type WeightMap = Map<string, WeightTensor>;

/**
 * Reads the weights of a TF.js model: the manifest groups, their `.bin` shards concatenated per group,
 * and the quantisation TF.js applies when it saves (affine uint8/uint16, or float16).
 */
export function readTfjsWeights(groups: TfjsWeightGroup[], baseDir: string): WeightMap {
  const map: WeightMap = new Map();
  for (const group of groups) {
    const buffer = Buffer.concat(group.paths.map((p) => readFileSync(join(baseDir, p))));
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const { data, bytes } = decode(buffer, offset, count, spec);
      offset += bytes;
      map.set(spec.name, { shape: spec.shape, data });
    }
    if (offset !== buffer.length) {
      throw new RangeError(`TF.js weights in ${group.paths.join(',')}: read ${offset} of ${buffer.length} bytes`);
    }
  }
  return map;
}

/** Reads a face-api style `*-weights_manifest.json` and its shards. */
export function readTfjsWeightsManifest(manifestPath: string): WeightMap {
  const groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as TfjsWeightGroup[];
  return readTfjsWeights(groups, dirname(manifestPath));
}

function decode(buffer: Buffer, offset: number, count: number, spec: TfjsWeightSpec): { data: Float32Array; bytes: number } {
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset);
  const data = new Float32Array(count);
  const q = spec.quantization;
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    const width = q.dtype === 'uint8' ? 1 : 2;
    for (let i = 0; i < count; i++) {
      const raw = width === 1 ? view.getUint8(i) : view.getUint16(i * 2, true);
      data[i] = raw * scale + min;
    }
    return { data, bytes: count * width };
  }
  if (q?.dtype === 'float16') {
    for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
    return { data, bytes: count * 2 };
  }
  if (spec.dtype === 'float32') {
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    return { data, bytes: count * 4 };
  }
  if (spec.dtype === 'int32') {
    for (let i = 0; i < count; i++) data[i] = view.getInt32(i * 4, true);
    return { data, bytes: count * 4 };
  }
  throw new TypeError(`TF.js weight ${spec.name}: unsupported dtype ${spec.dtype}`);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
