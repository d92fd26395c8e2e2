import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { buildEnsembleGraph, encodeHeads, FEATURE_SETS, pretrainedVote, readHeads, type FeatureSet, type HeadWeights } from '../src/models/import/baggedEnsembleGraph.js';
import { headProbs } from '../src/train/headTrainer.js';
import { seededRandom } from '../src/util/seededRandom.js';
import { readTrainingSet } from '../src/train/trainingSet.js';
import { cli } from './helpers/cli.js';
import { SHARED_MISSING, shared } from './helpers/sharedData.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fer-train-'));

function randomHead(d: number, hidden: number, seed: number): HeadWeights {
  const r = seededRandom(seed);
  const arr = (n: number, s = 0.1) => Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * s);
  return { hidden, mean: arr(d, 0.05), std: Float32Array.from({ length: d }, () => 0.5 + r()), w1: arr(d * hidden), b1: arr(hidden), we: arr(hidden * 7, 0.5), be: arr(7), wl: arr(hidden * 136), bl: arr(136) };
}

describe('training: sets, export parity, the command', () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('the exported graph runs the trunk once and gives the mean of the heads exactly as they compute it (<= 1e-5), and the blend', async () => {
    const configs: FeatureSet[][] = [['faceApiExpression', 'faceApiLandmarks', 'human'], ['faceApiExpression', 'human']];
    const heads = configs.map((features, k) => ({ features, weights: randomHead(features.length * 256, 8, k + 1) }));
    const dir = tmp();
    const file = join(dir, 'ensemble.onnx');
    writeFileSync(file, buildEnsembleGraph(heads, 0.25, 'test'));
    await pool.load('ensemble', file, 'cpu');
    await pool.load('trunk', ensureBuiltinModel('trunk-features'), 'cpu');
    const n = 3;
    const crops = Float32Array.from({ length: n * 3 * 112 * 112 }, (_, i) => (i * 7919) % 256);
    const out = await pool.run('ensemble', { crop: { data: crops.slice(), dims: [n, 3, 112, 112] } });
    const trunk = await pool.run('trunk', { crop: { data: crops.slice(), dims: [n, 3, 112, 112] } });
    const mean = new Float32Array(n * 7);
    for (const h of heads) {
      const x = new Float32Array(n * h.features.length * 256);
      for (let i = 0; i < n; i++) h.features.forEach((f, j) => x.set(trunk[f].data.subarray(i * 256, (i + 1) * 256), (i * h.features.length + j) * 256));
      const p = await headProbs(h.weights, x, n);
      p.forEach((v, i) => (mean[i] += v / heads.length));
    }
    const diff = Math.max(...Array.from(mean, (v, i) => Math.abs(v - out.bagged.data[i])));
    assert.ok(diff <= 1e-5, `bagged heads: max abs diff ${diff}`);
    const vote = pretrainedVote(trunk.faceApiProbs.data, trunk.humanProbs.data, n);
    const blended = Math.max(...Array.from(mean, (v, i) => Math.abs(0.75 * v + 0.25 * vote[i] - out.expression.data[i])));
    assert.ok(blended <= 1e-5, `blend: max abs diff ${blended}`);
    assert.deepEqual(out.landmarks.dims, [n, 136]);
    // The heads as files (what config/default-heads holds) read back to the same weights.
    const files = encodeHeads(heads, 0.25);
    writeFileSync(join(dir, 'heads.json'), files.json);
    writeFileSync(join(dir, 'heads.bin'), files.bin);
    const back = readHeads(join(dir, 'heads.json'));
    assert.equal(back.alpha, 0.25);
    assert.deepEqual(back.members.map((m) => m.features), configs);
    assert.deepEqual(back.members[1].weights.we, heads[1].weights.we);
    assert.deepEqual(FEATURE_SETS, ['faceApiExpression', 'faceApiLandmarks', 'human']);
  });

  test('bad training data: unknown class folders, an empty class, FER+ rows without images (counted)', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'tree', 'HAPPINESS'), { recursive: true });
    mkdirSync(join(dir, 'tree', 'bored'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'HAPPINESS', 'a.png'), 'x');
    assert.throws(() => readTrainingSet(join(dir, 'tree')), /unknown class folder\(s\) bored/);
    mkdirSync(join(dir, 'empty', 'SADNESS'), { recursive: true });
    mkdirSync(join(dir, 'empty', 'ANGRER'), { recursive: true });
    writeFileSync(join(dir, 'empty', 'ANGRER', 'a.png'), 'x');
    assert.throws(() => readTrainingSet(join(dir, 'empty')), /class folder SADNESS has no images/);
    mkdirSync(join(dir, 'fer'));
    writeFileSync(join(dir, 'fer', 'a.png'), 'x');
    writeFileSync(join(dir, 'fer', 'label.csv'), 'a.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nb.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nc.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,9,1,0\n');
    const set = readTrainingSet(join(dir, 'fer'));
    assert.equal(set.faces.length, 1);
    assert.deepEqual(set.skipped, { 'image missing': 2 });
    assert.ok(Math.abs(set.faces[0].target[4] - 0.8) < 1e-9 && Math.abs(set.faces[0].target[6] - 0.2) < 1e-9, 'the vote distribution (happiness 8, surprise 2)');
    writeFileSync(join(dir, 'fer', 'label.csv'), 'a.png,oops\n');
    assert.throws(() => readTrainingSet(join(dir, 'fer')), /label\.csv:1: expected/);
  });

  const fer = shared('fer2013_test', 'test');
  test('fer-stream train end to end on a small real set: ONNX, a manifest the scoring command loads, a report', { skip: fer ? false : SHARED_MISSING }, async () => {
    const dir = tmp();
    for (const c of ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']) {
      mkdirSync(join(dir, 'set', c), { recursive: true });
      for (const f of readdirSync(join(fer!, c)).sort().slice(0, 12)) symlinkSync(join(fer!, c, f), join(dir, 'set', c, f));
    }
    const out = join(dir, 'ens');
    const r = await cli(['train', '--data', join(dir, 'set'), '--val', join(dir, 'set'), '--members', '3', '--fraction', '0.5', '--epochs', '2', '--hidden', '8', '--augment', 'jitter', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /member 3\/3 \(faceApiExpression\+human, 42 faces x 3 views\)/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.members.length, 3);
    assert.ok(report.results.set.ensemble.f1 >= 0);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
    const scored = await cli(['--input', join(dir, 'set'), '--manifest', join(out, 'manifest.json'), '--out', join(dir, 'preds.csv')]);
    assert.equal(scored.code, 0, scored.stderr);
    assert.equal(readFileSync(join(dir, 'preds.csv'), 'utf8').trim().split('\n').length, 1 + 7 * 12);
  });
});
