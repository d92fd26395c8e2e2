import type { EnsembleManifest } from './manifest.js';
import { InputFiles } from '../util/outputSafety.js';
import { modelCacheDir } from '../util/paths.js';

/** Every file a run reads: its inputs, the manifest and its models (user files and the built-in model cache). */
export function runInputs(manifest: EnsembleManifest, ...paths: string[]): InputFiles {
  const files = new InputFiles().add(...paths, manifest.source).addFolder(modelCacheDir());
  for (const m of manifest.members) if (!m.modelRef.startsWith('builtin:')) files.add(m.modelRef);
  return files;
}
