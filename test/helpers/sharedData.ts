import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATA } from '../../src/util/paths.js';

/** Path under ../shared/data, or undefined when the shared material is absent (tests then skip, saying why). */
export function shared(...parts: string[]): string | undefined {
  const p = join(SHARED_DATA, ...parts);
  return existsSync(p) ? p : undefined;
}

export const SHARED_MISSING = `../shared/data is absent (${SHARED_DATA}); this test needs its real material`;
