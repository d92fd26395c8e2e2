import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomic, writeOutput } from '../src/util/atomicFile.js';
import { OutputError } from '../src/util/outputSafety.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';

// Device nodes are made with mknod in a temporary folder, never one under /dev.
const tmp = mkdtempSync(join(tmpdir(), 'fer-streams-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const CROPS = join(PACKAGE_ROOT, 'samples', 'crops');
const isRoot = process.getuid?.() === 0;

/** A character device like /dev/full (1,7: every write fails with ENOSPC) or /dev/null (1,3), made here. */
function charDevice(name: string, minor: number): string | undefined {
  const path = join(tmp, name);
  try {
    execFileSync('mknod', [path, 'c', '1', String(minor)], { stdio: 'ignore' });
    return path;
  } catch {
    return undefined; // not root: mknod is not allowed
  }
}

/** A FIFO with `cat` reading it: what was written, once the writer closes it. */
function readerOf(name: string): { fifo: string; read: Promise<string> } {
  const fifo = join(tmp, name);
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('cat', [fifo]);
  let text = '';
  reader.stdout.on('data', (d) => (text += d));
  return { fifo, read: new Promise((resolve) => reader.on('close', () => resolve(text))) };
}

describe('outputs never replace anything but a regular file', () => {
  test('writeFileAtomic refuses a FIFO and a device, and writes through a symlink to a file, keeping the link', () => {
    const fifo = join(tmp, 'pipe');
    execFileSync('mkfifo', [fifo]);
    assert.throws(
      () => writeFileAtomic(fifo, 'x'),
      (e: unknown) => e instanceof OutputError && /a FIFO \(named pipe\), not a file; refusing to replace it/.test(e.message),
    );
    assert.ok(statSync(fifo).isFIFO());
    const file = join(tmp, 'real.txt');
    writeFileSync(file, 'old');
    const link = join(tmp, 'link.txt');
    symlinkSync(file, link);
    writeFileAtomic(link, 'new');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(file, 'utf8'), 'new');
  });

  test(
    'a full device (mknod c 1 7) given as --out: a write error, exit 1, and the device is still a device',
    { skip: !isRoot && 'mknod needs root' },
    async () => {
      const full = charDevice('full', 7)!;
      const r = await cli(['--input', CROPS, '--out', full, '--quiet']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /cannot write \(no space left on device \(ENOSPC\)\)/);
      assert.ok(statSync(full).isCharacterDevice(), 'still a device');
      const nul = charDevice('null', 3)!;
      const ok = await cli(['--input', CROPS, '--out', nul, '--quiet']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(statSync(nul).isCharacterDevice());
    },
  );

  test('a block device is refused before the work', { skip: !isRoot && 'mknod needs root' }, async () => {
    const block = join(tmp, 'disk');
    execFileSync('mknod', [block, 'b', '7', '200']);
    const r = await cli(['--input', CROPS, '--out', block, '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a block device; fer-stream writes files, pipes and character devices only/);
    assert.ok(statSync(block).isBlockDevice());
  });

  test('--out - writes the predictions to standard output, and only them', async () => {
    const r = await cli(['--input', CROPS, '--out', '-', '--format', 'csv', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^image,/);
    assert.equal(lines.length, 19, r.stdout);
    assert.ok(!existsSync(join(PACKAGE_ROOT, '-')));
  });

  test('a FIFO given as --out is written as a stream to its reader', async () => {
    const { fifo, read } = readerOf('preds.fifo');
    const r = await cli(['--input', CROPS, '--out', fifo, '--format', 'jsonl', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await read).trim().split('\n').length, 18);
    assert.ok(statSync(fifo).isFIFO());
  });

  test('writeOutput streams to a FIFO; writeFileAtomic would have refused it', async () => {
    const { fifo, read } = readerOf('direct.fifo');
    writeOutput(fifo, 'a\nb\n');
    assert.equal(await read, 'a\nb\n');
  });
});
