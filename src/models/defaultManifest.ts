import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/paths.js';

/** The ensemble used when --manifest is not given. */
export const DEFAULT_MANIFEST = join(PACKAGE_ROOT, 'config', 'default-ensemble.json');
