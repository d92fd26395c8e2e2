import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listFaceCrops } from '../src/pipeline/faceCropSource.js';
import { naturalCompare } from '../src/util/mediaNames.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';
import { cli } from './helpers/cli.js';

const SAMPLES = join(PACKAGE_ROOT, 'samples', 'crops');
const sampleJpgs = () => readdirSync(SAMPLES).filter((f) => f.endsWith('.jpg'));

function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fer-crops-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

describe('face crop inputs', () => {
  test('a flat folder is read in natural order (2.jpg before 10.jpg)', () => {
    const dir = folder({ '10.jpg': '', '2.jpg': '', '1.jpg': '', 'notes.txt': '' });
    assert.deepEqual(
      listFaceCrops(dir).map((i) => i.name),
      ['1.jpg', '2.jpg', '10.jpg'],
    );
  });

  test('a class-folder tree names items CLASS/file and labels them with synonyms (ANGRER)', () => {
    const dir = folder({ 'ANGRER/1.jpg': '', 'HAPPINESS/2.jpg': '', 'sad/3.jpg': '' });
    assert.deepEqual(
      listFaceCrops(dir).map((i) => [i.name, i.label]),
      [
        ['ANGRER/1.jpg', 'anger'],
        ['HAPPINESS/2.jpg', 'happiness'],
        ['sad/3.jpg', 'sadness'],
      ],
    );
  });

  test('a release list keeps its order, and names every listed image that has no file', () => {
    const dir = folder({ 'b.jpg': '', 'a.jpg': '', 'list.txt': 'image,expression\nb.jpg,\na.jpg,\n' });
    assert.deepEqual(
      listFaceCrops(join(dir, 'list.txt')).map((i) => i.name),
      ['b.jpg', 'a.jpg'],
    );
    writeFileSync(join(dir, 'bad.txt'), 'image,expression\nb.jpg,\ngone1.jpg,\ngone2.jpg,\n');
    assert.throws(() => listFaceCrops(join(dir, 'bad.txt')), /2 listed image\(s\) have no file: gone1\.jpg, gone2\.jpg/);
  });

  test('an empty folder is a clear error', () => {
    assert.throws(() => listFaceCrops(folder({})), /no images \(.*\) in the folder or its class folders, and no videos/);
  });
});

describe('fer-stream CLI on face crops', () => {
  test('scores the install-built sample crops into an exact abaw-lsd file', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fer-out-')), 'preds.txt');
    const r = await cli(['--input', SAMPLES, '--format', 'abaw-lsd', '--out', out, '--batch', '8']);
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'image,expression');
    const names = sampleJpgs().sort(naturalCompare);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[0]),
      names,
    );
    for (const l of lines.slice(1)) assert.match(l, /^\d+\.jpg,[0-5]$/);
  });

  test('--format csv adds per-class probabilities that sum to 1, and batch size does not change them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-out-'));
    const [a, b] = [join(dir, 'a.csv'), join(dir, 'b.csv')];
    assert.equal((await cli(['-i', SAMPLES, '-o', a, '--batch', '1'])).code, 0);
    assert.equal((await cli(['-i', SAMPLES, '-o', b, '--batch', '32'])).code, 0);
    const rows = (f: string) => readFileSync(f, 'utf8').trimEnd().split('\n');
    assert.match(rows(a)[0], /^image,expression,label,face_x,face_y,face_w,face_h,p_neutral,p_anger,.*p_surprise$/);
    for (const [i, row] of rows(a).slice(1).entries()) {
      const probs = row.split(',').slice(7).map(Number);
      assert.ok(Math.abs(probs.reduce((s, p) => s + p, 0) - 1) < 1e-4);
      const other = rows(b)[i + 1].split(',').slice(7).map(Number);
      probs.forEach((p, k) => assert.ok(Math.abs(p - other[k]) < 1e-5, `row ${i} class ${k}: ${p} vs ${other[k]}`));
    }
  });

  test('unreadable and non-image files: one error listing them all, exit 1, no output file', async () => {
    const dir = folder({ 'bad1.jpg': 'not a jpeg', 'bad2.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
    copyFileSync(join(SAMPLES, '0.jpg'), join(dir, 'good.jpg'));
    const out = join(dir, 'preds.txt');
    const r = await cli(['--input', dir, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /2 of 3 input image\(s\) could not be read: bad1\.jpg \(.*\), bad2\.png/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('preds')),
      [],
    );
  });

  test('usage errors exit 2; a missing input exits 1 with a one-line message', async () => {
    assert.equal((await cli(['--out', 'x.txt'])).code, 2);
    assert.equal((await cli(['--input', SAMPLES, '--out', 'x.txt', '--format', 'xml'])).code, 2);
    assert.equal((await cli(['--input', SAMPLES, '--out', 'x.txt', '--device', 'tpu'])).code, 2);
    const r = await cli(['--input', '/nonexistent/folder', '--out', 'x.txt']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('--device cuda without the CUDA provider fails with how to install it', async () => {
    const r = await cli(['--input', SAMPLES, '--out', join(tmpdir(), 'never.txt'), '--device', 'cuda']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /onnxruntime-node-install=cuda12/);
  });

  test('--detect finds the face in each sample crop', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fer-out-')), 'p.csv');
    const r = await cli(['--input', SAMPLES, '--out', out, '--detect']);
    assert.equal(r.code, 0, r.stderr);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').slice(1);
    const withBox = rows.filter((row) => row.split(',')[3] !== '');
    assert.ok(withBox.length >= rows.length - 1, `${withBox.length}/${rows.length} crops had a face`);
  });
});
