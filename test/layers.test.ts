import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../src/util/paths.js';

const run = promisify(execFile);
const DEPCRUISE = join(PACKAGE_ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(PACKAGE_ROOT, '.dependency-cruiser.cjs');
const tmp = mkdtempSync(join(tmpdir(), 'fer-layers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the project's layer check on a small tree of files; its exit code and report. */
async function check(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const root = mkdtempSync(join(tmp, 'tree-'));
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: root });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

test('the layer check passes on the tree as it is', async () => {
  const { stdout } = await run(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: PACKAGE_ROOT });
  assert.match(stdout, /no dependency violations/);
});

test('the layer check fails on an import up the layers, between capabilities, and on a circle', async () => {
  const upward = await check({
    'src/video/frames.ts': "import { x } from '../pipeline/job.js';\nexport const y = x;\n",
    'src/pipeline/job.ts': 'export const x = 1;\n',
  });
  assert.notEqual(upward.code, 0);
  assert.match(upward.out, /video-imports-upward/);
  const peers = await check({
    'src/serve/a.ts': "import { b } from '../batch/b.js';\nexport const a = b;\n",
    'src/batch/b.ts': 'export const b = 1;\n',
  });
  assert.match(peers.out, /serve-imports-upward/);
  const circle = await check({
    'src/models/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'src/models/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  });
  assert.match(circle.out, /no-circular/);
  const down = await check({
    'src/pipeline/job.ts': "import { y } from '../video/frames.js';\nexport const x = y;\n",
    'src/video/frames.ts': 'export const y = 1;\n',
  });
  assert.equal(down.code, 0, down.out);
});
