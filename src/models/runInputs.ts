import type { EnsembleManifest } from './manifest.js';
import { InputFiles } from '../util/outputSafety.js';
import { modelCacheDir } from '../util/paths.js';

/**
 * Every file a run reads: its inputs, the manifests (one, or each stream's in serve) and their models (user
 * files and the built-in model cache).
 */
export function runInputs(manifests: EnsembleManifest | EnsembleManifest[], ...paths: string[]): InputFiles {
  const all = [manifests].flat();
  const files = new InputFiles().add(...paths, ...all.map((m) => m.source)).addFolder(modelCacheDir());
  for (const manifest of all) for (const m of manifest.members) if (!m.modelRef.startsWith('builtin:')) files.add(m.modelRef);
  return files;
}
