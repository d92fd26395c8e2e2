import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/util/paths.js';

const run = promisify(execFile);

test('npx fer-stream prints no npm warning; the CPU-only install still skips the CUDA download', async () => {
  // A project .npmrc key npm does not know made npm 11 warn on every npx.
  const { stdout, stderr } = await run('npm', ['exec', '--offline', '--', 'fer-stream', '--help'], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.match(stdout, /^fer-stream — /);
  assert.doesNotMatch(stderr, /npm warn/i, stderr);
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.allowScripts?.['onnxruntime-node'], false, 'npm 11 never runs its NuGet download');
  assert.match(
    readFileSync(join(PACKAGE_ROOT, '.ci', 'run'), 'utf8'),
    /ONNXRUNTIME_NODE_INSTALL=skip/,
    'npm 10 skips it by the environment',
  );
  assert.match(readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8'), /ENV ONNXRUNTIME_NODE_INSTALL=skip/);
});
