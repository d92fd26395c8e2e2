import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/paths.js';

/** The ensemble used when --manifest is not given. */
export const DEFAULT_MANIFEST = join(PACKAGE_ROOT, 'config', 'default-ensemble.json');

/**
 * Manifests that ship with fer-stream, by name: `--manifest accurate` wherever a manifest path is taken (CLI,
 * batch and serve configs), so that an installed package's own files need no path. A file of that name wins.
 */
export const BUNDLED_MANIFESTS: Record<string, string> = {
  default: DEFAULT_MANIFEST,
  accurate: join(PACKAGE_ROOT, 'config', 'accurate-ensemble.json'),
};
