import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The fer-stream package root (holds package.json), found from this file whether run from src or dist. */
export const PACKAGE_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('fer-stream: cannot find the package root');
    dir = parent;
  }
})();

/**
 * Directory of an installed npm package. Works for packages whose `exports` hide `package.json`
 * (@vladmandic/human does), which `require.resolve('<pkg>/package.json')` cannot.
 */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`fer-stream: npm package ${name} is not installed (run npm install)`);
}

/** Where imported ONNX models are cached: FER_STREAM_MODEL_DIR, else <package>/.cache/models. */
export function modelCacheDir(): string {
  return resolve(process.env.FER_STREAM_MODEL_DIR ?? join(PACKAGE_ROOT, '.cache', 'models'));
}

/** ../shared/data beside the repository, where tests and benchmarks read third-party material. */
export const SHARED_DATA = resolve(PACKAGE_ROOT, '..', 'shared', 'data');
