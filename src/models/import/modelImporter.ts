import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomicFile.js';
import { modelCacheDir } from '../../util/paths.js';
import { BUILTIN_MODELS, type BuiltinModel } from './builtinModels.js';

/** Bump when the importer's output for the same weights changes, so cached graphs are rebuilt. */
const IMPORTER_VERSION = 8;

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
  const path = join(cacheDir, `${model.id}.${sourceHash(model)}.onnx`);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileAtomic(path, model.build());
  }
  return path;
}

/** Imports every built-in model (what `npm install` runs); returns id -> path. */
export function ensureAllBuiltinModels(cacheDir = modelCacheDir()): Record<string, string> {
  return Object.fromEntries(BUILTIN_MODELS.map((m) => [m.id, ensureBuiltinModel(m.id, cacheDir)]));
}
