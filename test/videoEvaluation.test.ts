import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ABAW_EXPR_HEADER } from '../src/sinks/abawExpr.js';
import { cli } from './helpers/cli.js';

function folder(dir: string, files: Record<string, number[]>, header = ABAW_EXPR_HEADER): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, labels] of Object.entries(files)) writeFileSync(join(dir, `${name}.txt`), [header, ...labels].join('\n') + '\n');
  return dir;
}

describe('fer-stream eval on ABAW video annotations', () => {
  // Truth (after dropping -1): v1 0 0 1 1 4, v2 4 4 7; predictions: v1 0 1 1 1 4, v2 has one frame (4), two missing.
  // Class 0: P 1/1, R 1/2, F1 2/3. Class 1: P 2/3, R 2/2, F1 0.8. Class 4: P 2/2, R 2/3, F1 0.8. Class 7: F1 0.
  // Macro F1 over the 8 header classes: (2/3 + 0.8 + 0.8) / 8 = 0.283333; accuracy 5/8.
  const dir = mkdtempSync(join(tmpdir(), 'fer-video-eval-'));
  const labels = folder(join(dir, 'annotations'), { v1: [0, 0, 1, 1, -1, 4], v2: [4, 4, 7] });

  test('macro F1, per-class F1, accuracy and the confusion matrix match a hand computation; a short prediction is reported', async () => {
    const pred = folder(join(dir, 'pred'), { v1: [0, 1, 1, 1, 4, 4], v2: [4] });
    const r = await cli(['eval', '--pred', pred, '--labels', labels, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.ok(Math.abs(result.report.macroF1 - (2 / 3 + 0.8 + 0.8) / 8) < 1e-9, String(result.report.macroF1));
    assert.equal(result.report.accuracy, 5 / 8);
    assert.deepEqual(
      result.report.perClass.map((c: { f1: number }) => Number(c.f1.toFixed(4))),
      [0.6667, 0.8, 0, 0, 0.8, 0, 0, 0],
    );
    assert.deepEqual(result.report.confusion[4], [0, 0, 0, 0, 2, 0, 0, 0]);
    assert.equal(result.report.missingPredictions, 2);
    assert.deepEqual(
      result.videos.map((v: { video: string; lengthMismatch?: string }) => [v.video, v.lengthMismatch ?? null]),
      [
        ['v1', null],
        ['v2', '1 predicted vs 3 annotated frames'],
      ],
    );
    const text = await cli(['eval', '--pred', pred, '--labels', labels]);
    assert.match(text.stdout, /macro F1: 0\.2833 {3}accuracy: 62\.50% {3}frames: 8/);
    assert.match(text.stdout, /length differs in 1 video\(s\).*v2 1 predicted vs 3 annotated frames/);
  });

  test("the single file gives the same scores; predicted classes are matched to the annotation's by name", async () => {
    const single = join(dir, 'single.txt');
    const rows = ['v1', 'v2'].flatMap((v) =>
      (v === 'v1' ? [0, 1, 1, 1, 4, 4] : [4]).map((l, i) => `${v}/${String(i + 1).padStart(5, '0')}.jpg,${l}`),
    );
    writeFileSync(single, [`image_location,${ABAW_EXPR_HEADER}`, ...rows].join('\n') + '\n');
    const r = await cli(['eval', '--pred', single, '--labels', labels, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Math.abs(JSON.parse(r.stdout).report.macroF1 - 0.2833333) < 1e-6);
    // Predictions with their classes in another order: index 0 is Anger here.
    const reordered = folder(
      join(dir, 'reordered'),
      { v1: [1, 0, 0, 0, 4, 4], v2: [4] },
      'Anger,Neutral,Disgust,Fear,Happiness,Sadness,Surprise,Other',
    );
    const same = JSON.parse((await cli(['eval', '--pred', reordered, '--labels', labels, '--json'])).stdout);
    assert.equal(same.report.accuracy, 5 / 8);
  });

  test('a video without predictions counts as wrong and is named', async () => {
    const pred = folder(join(dir, 'pred-missing'), { v1: [0, 0, 1, 1, 4, 4] });
    const r = await cli(['eval', '--pred', pred, '--labels', labels]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no prediction for 1 video\(s\), their frames counted wrong: v2/);
  });
});
