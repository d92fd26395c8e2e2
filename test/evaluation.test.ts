import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { evaluatePredictions, readGroundTruth, readPredictions } from '../src/eval/evaluatePredictions.js';
import { classificationReport } from '../src/eval/metrics.js';
import { canonicalLabel } from '../src/models/labels.js';
import { PACKAGE_ROOT } from '../src/util/paths.js';

describe('evaluation', () => {
  test('macro F1 is the mean of one-vs-rest F1 (hand-computed case)', () => {
    // truth:  0 0 1 1 2 2 ; predicted: 0 1 1 1 2 0
    const r = classificationReport(['a', 'b', 'c'], [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]);
    // a: P=1/2 R=1/2 F1=.5 ; b: P=2/3 R=1 F1=.8 ; c: P=1 R=1/2 F1=2/3
    assert.ok(Math.abs(r.macroF1 - (0.5 + 0.8 + 2 / 3) / 3) < 1e-12);
    assert.ok(Math.abs(r.accuracy - 4 / 6) < 1e-12);
    assert.deepEqual(r.confusion, [
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  test('a missing prediction counts as wrong, not as absent', () => {
    const r = classificationReport(['a', 'b'], [0, 1], [0, -1]);
    assert.equal(r.accuracy, 0.5);
    assert.equal(r.missingPredictions, 1);
  });

  test('class names match case-insensitively with synonyms', () => {
    for (const [name, label] of [
      ['ANGRER', 'anger'],
      ['angry', 'anger'],
      ['Happy', 'happiness'],
      ['sad', 'sadness'],
      ['SURPRISE', 'surprise'],
      ['fearful', 'fear'],
      ['DISGUST', 'disgust'],
    ]) {
      assert.equal(canonicalLabel(name), label);
    }
    assert.equal(canonicalLabel('contempt'), undefined);
  });

  test('eval CLI against a class-folder tree: neutral left out, paths matched, --json for machines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-eval-'));
    for (const f of ['ANGRER/1.jpg', 'ANGRER/2.jpg', 'HAPPINESS/3.jpg', 'neutral/4.jpg']) {
      mkdirSync(join(dir, 'set', f, '..'), { recursive: true });
      writeFileSync(join(dir, 'set', f), '');
    }
    writeFileSync(join(dir, 'preds.txt'), 'image,expression\nANGRER/1.jpg,0\nANGRER/2.jpg,3\nHAPPINESS/3.jpg,3\nneutral/4.jpg,1\n');
    const e = evaluatePredictions(readPredictions(join(dir, 'preds.txt')), readGroundTruth(join(dir, 'set')));
    assert.deepEqual(e.skipped, { neutral: 1 });
    assert.equal(e.report.evaluated, 3);
    assert.ok(Math.abs(e.report.accuracy - 2 / 3) < 1e-12);
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(PACKAGE_ROOT, 'bin', 'fer-stream.js'),
      'eval',
      '--pred',
      join(dir, 'preds.txt'),
      '--labels',
      join(dir, 'set'),
      '--json',
    ]);
    const json = JSON.parse(stdout);
    assert.ok(Math.abs(json.report.macroF1 - e.report.macroF1) < 1e-12);
    const text = await promisify(execFile)(process.execPath, [
      join(PACKAGE_ROOT, 'bin', 'fer-stream.js'),
      'eval',
      '--pred',
      join(dir, 'preds.txt'),
      '--labels',
      join(dir, 'set'),
    ]);
    assert.match(text.stdout, /macro F1: 0\.\d{4}\s+accuracy: 66\.67%/);
    assert.match(text.stdout, /confusion \(rows = truth, columns = predicted\)/);
  });

  test('a labels file with 0-5 or names, and a malformed prediction file is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-eval-'));
    writeFileSync(join(dir, 'labels.txt'), 'image,expression\n0.jpg,5\n1.jpg,happy\n');
    assert.deepEqual(
      [...readGroundTruth(join(dir, 'labels.txt'))],
      [
        ['0.jpg', 'surprise'],
        ['1.jpg', 'happiness'],
      ],
    );
    writeFileSync(join(dir, 'bad.txt'), 'image,expression\n0.jpg,7\n');
    assert.throws(() => readPredictions(join(dir, 'bad.txt')), /line 2: expression must be 0-5, got "7"/);
  });

  test('unknown ground-truth labels are an error listing them; neutral and contempt are left out by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-eval-'));
    writeFileSync(join(dir, 'labels.txt'), 'image,expression\n0.jpg,angery\n1.jpg,9\n2.jpg,happy\n3.jpg,angery\n');
    assert.throws(() => readGroundTruth(join(dir, 'labels.txt')), /2 unknown label\(s\): "angery" \(2\), "9" \(1\)/);
    writeFileSync(join(dir, 'ok.txt'), 'image,expression\n0.jpg,neutral\n1.jpg,contempt\n2.jpg,happy\n3.jpg,Contempt\n');
    writeFileSync(join(dir, 'pred.txt'), 'image,expression\n0.jpg,3\n1.jpg,3\n2.jpg,3\n3.jpg,0\n');
    const e = evaluatePredictions(readPredictions(join(dir, 'pred.txt')), readGroundTruth(join(dir, 'ok.txt')));
    assert.deepEqual(e.skipped, { neutral: 1, contempt: 2 });
    assert.equal(e.report.evaluated, 1);
    for (const f of ['OTHERS/1.jpg', 'HAPPINESS/2.jpg']) {
      mkdirSync(join(dir, 'tree', f, '..'), { recursive: true });
      writeFileSync(join(dir, 'tree', f), '');
    }
    assert.throws(() => readGroundTruth(join(dir, 'tree')), /1 unknown label\(s\): "OTHERS" \(1\)/);
  });

  test('a prediction file naming an image twice is an error naming it; no match at all is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-eval-'));
    writeFileSync(join(dir, 'dup.txt'), 'image,expression\n0.jpg,1\n1.jpg,2\n0.jpg,3\n');
    assert.throws(() => readPredictions(join(dir, 'dup.txt')), /1 image\(s\) predicted more than once: 0\.jpg \(lines 2, 4\)/);
    writeFileSync(join(dir, 'labels.txt'), 'image,expression\na.jpg,1\nb.jpg,2\n');
    writeFileSync(join(dir, 'other.txt'), 'image,expression\nx.jpg,1\n');
    const bin = join(PACKAGE_ROOT, 'bin', 'fer-stream.js');
    const r = await promisify(execFile)(process.execPath, [
      bin,
      'eval',
      '--pred',
      join(dir, 'other.txt'),
      '--labels',
      join(dir, 'labels.txt'),
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^fer-stream: no prediction matches a ground-truth image \(predictions name e\.g\. x\.jpg; the ground truth names e\.g\. a\.jpg, b\.jpg\)\n$/,
    );
  });
});
