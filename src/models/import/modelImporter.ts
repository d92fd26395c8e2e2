import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/atomicFile.js';
import { modelCacheDir } from '../../util/paths.js';
import { BUILTIN_MODELS, type BuiltinModel } from './builtinModels.js';

/** Bump when the importer's output for the same weights changes, so cached graphs are rebuilt. */
const IMPORTER_VERSION = 9;

export function builtinModel(id: string): BuiltinModel {
  const model = BUILTIN_MODELS.find((m) => m.id === id);
  if (!model) {
    throw new RangeError(`unknown built-in model "${id}"; known: ${BUILTIN_MODELS.map((m) => m.id).join(', ')}`);
  }
  return model;
}

function sourceHash(model: BuiltinModel): string {
  const hash = createHash('sha256').update(`fer-stream-importer-v${IMPORTER_VERSION}:${model.id}\n`);
  for (const file of model.sources()) hash.update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Path of the ONNX file for a built-in model, importing it first when the cache lacks it or its source
 * weights changed. The cache file name carries the source hash, so a stale file is never picked up.
 * No network: the weights come from installed npm packages.
 */
export function ensureBuiltinModel(id: string, cacheDir = modelCacheDir()): string {
  const model = builtinModel(id);
  const sealed = sealedModels(cacheDir);
  if (sealed) {
    if (!sealed[id]) throw new RangeError(`${join(cacheDir, SEALED_INDEX)} holds no "${id}" (it lists ${Object.keys(sealed).join(', ')})`);
    return join(cacheDir, sealed[id]);
  }
  const path = join(cacheDir, `${model.id}.${sourceHash(model)}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileAtomic(path, model.build());
  }
  return path;
}

/**
 * A sealed model directory: graphs built elsewhere, shipped without the npm weight packages they came from (the
 * GPU machine's pack, scripts/device/pack.sh; an image that only runs). Its index names each graph's file, so
 * nothing is hashed or imported (the pack writes it: { "<id>": "<file>.onnx" }).
 */
export const SEALED_INDEX = 'sealed.json';
const SealedIndex = z.record(z.string(), z.string().regex(/^[\w.-]+\.onnx$/));

function sealedModels(cacheDir: string): Record<string, string> | undefined {
  const index = join(cacheDir, SEALED_INDEX);
  if (!existsSync(index)) return undefined;
  const parsed = SealedIndex.safeParse(JSON.parse(readFileSync(index, 'utf8')));
  if (!parsed.success) throw new RangeError(`${index}: expected { "<model id>": "<file name>" }, ${parsed.error.issues[0].message}`);
  return parsed.data;
}

/** Imports every built-in model (what `npm install` runs); returns id -> path. */
export function ensureAllBuiltinModels(cacheDir = modelCacheDir()): Record<string, string> {
  return Object.fromEntries(BUILTIN_MODELS.map((m) => [m.id, ensureBuiltinModel(m.id, cacheDir)]));
}
