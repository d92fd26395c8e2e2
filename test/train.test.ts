import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import {
  buildEnsembleGraph,
  buildStackedHeadsGraph,
  encodeHeads,
  FEATURE_SETS,
  pretrainedVote,
  readHeads,
  rescaleExpressions,
  writeHeadsFusion,
  type FeatureSet,
  type HeadWeights,
} from '../src/models/import/baggedEnsembleGraph.js';
import { CANONICAL_LABELS } from '../src/models/labels.js';
import { tinyFeatureNet } from './helpers/tinyFeatureNet.js';
import { headProbs, trainHead } from '../src/train/headTrainer.js';
import { seededRandom } from '../src/util/seededRandom.js';
import { readTrainingSet } from '../src/train/trainingSet.js';
import { evaluateHeads, formatHeadsScores, type HeadsScore } from '../src/train/evaluateHeads.js';
import { cli } from './helpers/cli.js';
import { SHARED_MISSING, shared } from './helpers/sharedData.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fer-train-'));

/** eval:members' scores of the written heads are the F1s training reported for each member, the vote and the blend. */
function assertEvaluationMatchesReport(
  scores: HeadsScore[],
  report: { members: { f1: { set: number } }[]; results: { set: { bagged: { f1: number }; ensemble: { f1: number } } } },
) {
  const f1 = (prefix: string) => scores.filter((s) => s.model.startsWith(prefix)).map((s) => s.summary.f1);
  assert.deepEqual(
    f1('member '),
    report.members.map((m) => m.f1.set),
  );
  assert.deepEqual(f1('bagged heads'), [report.results.set.bagged.f1]);
  assert.deepEqual(f1('ensemble'), [report.results.set.ensemble.f1]);
  assert.match(
    formatHeadsScores(scores),
    /ensemble minus its best trained member \(member \d, the best on this very set\): [-+]\d\.\d{3} \[[-+]\d\.\d{3}, [-+]\d\.\d{3}\]/,
  );
}

function randomHead(d: number, hidden: number, seed: number): HeadWeights {
  const r = seededRandom(seed);
  const arr = (n: number, s = 0.1) => Float32Array.from({ length: n }, () => (r() - 0.5) * 2 * s);
  return {
    hidden,
    mean: arr(d, 0.05),
    std: Float32Array.from({ length: d }, () => 0.5 + r()),
    w1: arr(d * hidden),
    b1: arr(hidden),
    we: arr(hidden * 7, 0.5),
    be: arr(7),
    wl: arr(hidden * 136),
    bl: arr(136),
  };
}

describe('training: sets, export parity, the command', () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('the exported graph runs the trunk once and gives the mean of the heads exactly as they compute it (<= 1e-5), and the blend', async () => {
    const configs: FeatureSet[][] = [
      ['faceApiExpression', 'faceApiLandmarks', 'human'],
      ['faceApiExpression', 'human'],
    ];
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
      for (let i = 0; i < n; i++)
        h.features.forEach((f, j) => x.set(trunk[f].data.subarray(i * 256, (i + 1) * 256), (i * h.features.length + j) * 256));
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
    assert.deepEqual(
      back.members.map((m) => m.features),
      configs,
    );
    assert.deepEqual(back.members[1].weights.we, heads[1].weights.we);
    assert.deepEqual(FEATURE_SETS, ['faceApiExpression', 'faceApiLandmarks', 'human']);
  });

  test("heads on other members' features export as a stacked graph: the mean of the heads as tfjs computes it (<= 1e-5), and the blend", async () => {
    const heads = [
      { features: ['faceApiExpression', 'user'], weights: randomHead(256 + 6, 8, 11) },
      { features: ['user'], weights: randomHead(6, 8, 12) },
    ];
    const file = join(tmp(), 'heads.onnx');
    writeFileSync(file, buildStackedHeadsGraph(heads, 0.3, { faceApiExpression: 256, user: 6 }, 'test'));
    await pool.load('stacked-heads', file, 'cpu');
    const n = 4;
    const r = seededRandom(5);
    const rows = (w: number) => Float32Array.from({ length: n * w }, () => r() * 2);
    const probs = (k: number) => {
      const p = Float32Array.from({ length: n * 7 }, () => r());
      for (let i = 0; i < n; i++) {
        const s = p.subarray(i * 7, i * 7 + 7).reduce((a, b) => a + b, 0);
        for (let c = 0; c < 7; c++) p[i * 7 + c] /= s;
      }
      return p;
    };
    const inputs = { faceApiExpression: rows(256), user: rows(6), faceApiProbs: probs(0), humanProbs: probs(1) };
    const out = await pool.run(
      'stacked-heads',
      Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v.slice(), dims: [n, v.length / n] }])),
    );
    const mean = new Float32Array(n * 7);
    for (const h of heads) {
      const width = h.weights.mean.length;
      const x = new Float32Array(n * width);
      for (let i = 0; i < n; i++) {
        let o = i * width;
        for (const f of h.features) {
          const w = f === 'user' ? 6 : 256;
          x.set(inputs[f as 'user'].subarray(i * w, (i + 1) * w), o);
          o += w;
        }
      }
      (await headProbs(h.weights, x, n)).forEach((v, i) => (mean[i] += v / heads.length));
    }
    const diff = Math.max(...Array.from(mean, (v, i) => Math.abs(v - out.bagged.data[i])));
    assert.ok(diff <= 1e-5, `bagged heads: max abs diff ${diff}`);
    const vote = pretrainedVote(inputs.faceApiProbs, inputs.humanProbs, n);
    const blended = Math.max(...Array.from(mean, (v, i) => Math.abs(0.7 * v + 0.3 * vote[i] - out.expression.data[i])));
    assert.ok(blended <= 1e-5, `blend: max abs diff ${blended}`);
    assert.throws(() => buildEnsembleGraph(heads, 0.3, 'x'), /feature set "user" is not the trunk's/);
  });

  test("the expression calibration: the graph rescales the expressions among themselves as rescaleExpressions does (<= 1e-5), neutral's share and the expressions' total kept; heads files keep it by name", async () => {
    const heads = [{ features: ['user'], weights: randomHead(6, 8, 21) }];
    const bias = [0, 0.25, -0.4, 0.41, 0, -0.32, 1];
    const build = (b?: number[]) => buildStackedHeadsGraph(heads, [0.75, 0.25, 0], { user: 6 }, 'test', b);
    const dir = tmp();
    writeFileSync(join(dir, 'plain.onnx'), build());
    writeFileSync(join(dir, 'calibrated.onnx'), build(bias));
    await pool.load('plain-heads', join(dir, 'plain.onnx'), 'cpu');
    await pool.load('calibrated-heads', join(dir, 'calibrated.onnx'), 'cpu');
    const n = 5;
    const r = seededRandom(9);
    const probs = () => {
      const p = Float32Array.from({ length: n * 7 }, () => r());
      for (let i = 0; i < n; i++) {
        const s = p.subarray(i * 7, i * 7 + 7).reduce((a, b) => a + b, 0);
        for (let c = 0; c < 7; c++) p[i * 7 + c] /= s;
      }
      return p;
    };
    const inputs = { user: Float32Array.from({ length: n * 6 }, () => r() * 2), faceApiProbs: probs(), humanProbs: probs() };
    const feed = () => Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v.slice(), dims: [n, v.length / n] }]));
    const plain = (await pool.run('plain-heads', feed())).expression.data;
    const calibrated = (await pool.run('calibrated-heads', feed())).expression.data;
    for (let i = 0; i < n; i++) {
      const row = plain.subarray(i * 7, i * 7 + 7);
      const want = rescaleExpressions(row, bias);
      const got = calibrated.subarray(i * 7, i * 7 + 7);
      for (let c = 0; c < 7; c++) assert.ok(Math.abs(got[c] - want[c]) <= 1e-5, `row ${i} class ${c}: ${got[c]} against ${want[c]}`);
      assert.ok(Math.abs(got[0] - row[0]) <= 1e-6, "neutral's probability is kept");
      const total = (p: ArrayLike<number>) => Array.from(p).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total(got) - total(row)) <= 1e-5, 'the expressions keep their total');
    }
    // The surprise bias of 1 makes surprise lead where it was close behind: the calibration changes labels.
    const leads = (p: ArrayLike<number>) => Array.from(p).indexOf(Math.max(...Array.from(p)));
    const row = [0.1, 0.3, 0.05, 0.05, 0.1, 0.1, 0.3 / Math.E + 0.05];
    assert.equal(leads(row), 1);
    assert.equal(leads(rescaleExpressions(row, bias)), 6);

    const files = encodeHeads(heads, 0.1);
    writeFileSync(join(dir, 'heads.json'), files.json);
    writeFileSync(join(dir, 'heads.bin'), files.bin);
    assert.deepEqual(readHeads(join(dir, 'heads.json')).bias, [0, 0, 0, 0, 0, 0, 0], 'a heads file without a calibration has none');
    writeHeadsFusion(join(dir, 'heads.json'), [0.75, 0.25, 0], bias);
    assert.deepEqual(readHeads(join(dir, 'heads.json')).bias, bias);
    assert.match(readFileSync(join(dir, 'heads.json'), 'utf8'), /"expressionBias": \{\n\s+"anger": 0.25,/);
    assert.throws(() => writeHeadsFusion(join(dir, 'heads.json'), [0.75, 0.25, 0], [0.1, 0, 0, 0, 0, 0, 0]), /neutral's 0/);
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
    writeFileSync(
      join(dir, 'fer', 'label.csv'),
      'a.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nb.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nc.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,9,1,0\n',
    );
    const set = readTrainingSet(join(dir, 'fer'));
    assert.equal(set.faces.length, 1);
    assert.deepEqual(set.skipped, { 'image missing': 2 });
    assert.ok(
      Math.abs(set.faces[0].target[4] - 0.8) < 1e-9 && Math.abs(set.faces[0].target[6] - 0.2) < 1e-9,
      'the vote distribution (happiness 8, surprise 2)',
    );
    writeFileSync(join(dir, 'fer', 'label.csv'), 'a.png,oops\n');
    assert.throws(() => readTrainingSet(join(dir, 'fer')), /label\.csv:1: expected/);
    // A row whose votes are all 0 has no target (0/0 gave a NaN loss and a head that says "anger" to every face).
    writeFileSync(join(dir, 'fer', 'z.png'), 'x');
    writeFileSync(
      join(dir, 'fer', 'label.csv'),
      'a.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nz.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,0,0,0\n',
    );
    const zero = readTrainingSet(join(dir, 'fer'));
    assert.equal(zero.faces.length, 1);
    assert.deepEqual(zero.skipped, { 'no positive vote': 1 });
    assert.ok(zero.faces.every((f) => f.target.every(Number.isFinite)));
    writeFileSync(
      join(dir, 'fer', 'label.csv'),
      'a.png,"(0, 0, 48, 48)",0,8,2,0,0,0,0,0,0,0\nz.png,"(0, 0, 48, 48)",0,9,-1,0,0,0,0,0,0,0\n',
    );
    assert.throws(() => readTrainingSet(join(dir, 'fer')), /label\.csv:2: a negative vote count/);
  });

  test('a non-finite loss stops training with an error, not a NaN head', async () => {
    const d = 4;
    // One soft target of 0/0, as a row without votes gave before it was left out.
    const rows = (n: number, poison: boolean) => ({
      count: n,
      width: d,
      x: Float32Array.from({ length: n * d }, (_, i) => ((i * 37) % 11) / 11),
      targets: Float32Array.from({ length: n * 7 }, (_, i) => (poison && i < 7 ? NaN : i % 7 === (Math.floor(i / 7) % 6) + 1 ? 1 : 0)),
      landmarks: new Float32Array(n * 136),
      labels: Int32Array.from({ length: n }, (_, i) => (i % 6) + 1),
    });
    const options = {
      hidden: 8,
      epochs: 2,
      batchSize: 8,
      learningRate: 0.01,
      lambda: 1,
      dropout: 0,
      patience: 5,
      classWeights: new Float64Array(7).fill(1),
      seed: 1,
    };
    await assert.rejects(trainHead(rows(16, true), rows(8, false), options), /training diverged: the loss became NaN in epoch 1/);
  });

  const fer = shared('fer2013_test', 'test');
  test(
    'fer-stream train end to end on a small real set: ONNX, a manifest the scoring command loads, a report',
    { skip: fer ? false : SHARED_MISSING },
    async () => {
      const dir = tmp();
      for (const c of ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']) {
        mkdirSync(join(dir, 'set', c), { recursive: true });
        for (const f of readdirSync(join(fer!, c)).sort().slice(0, 12)) symlinkSync(join(fer!, c, f), join(dir, 'set', c, f));
      }
      const out = join(dir, 'ens');
      const tiny = await cli(['train', '--data', join(dir, 'set'), '--val', join(dir, 'set'), '--fraction', '1e-9', '--out', out]);
      assert.equal(tiny.code, 1, tiny.stderr);
      assert.match(tiny.stderr, /--fraction 1e-9 of 84 training faces draws 0 per member; a head needs at least 30/);
      const r = await cli([
        'train',
        '--data',
        join(dir, 'set'),
        '--val',
        join(dir, 'set'),
        '--members',
        '3',
        '--fraction',
        '0.5',
        '--epochs',
        '2',
        '--hidden',
        '8',
        '--augment',
        'jitter',
        '--out',
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /member 3\/3 \(faceApiExpression\+human, 42 faces x 3 views\)/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      assert.equal(report.members.length, 3);
      // What the branches ran on is said (these paths are new, so nothing came from the feature cache).
      assert.deepEqual([report.options.device, report.providers], ['cpu', ['cpu']]);
      assert.match(r.stderr, /features ran on cpu/);
      // Bagging is real: each member draws round(0.5 x 84) = 42 faces with replacement, so some repeat and
      // the members' samples differ.
      for (const m of report.members)
        assert.ok(m.sampled === 42 && m.distinct < 42 && m.distinct > 20, `${m.sampled} drawn, ${m.distinct} distinct`);
      assert.ok(
        new Set(report.members.map((m: { distinct: number }) => m.distinct)).size > 1 ||
          report.members[0].history[0].loss !== report.members[1].history[0].loss,
      );
      assert.ok(report.results.set.ensemble.f1 >= 0);
      assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
      const scored = await cli(['--input', join(dir, 'set'), '--manifest', join(out, 'manifest.json'), '--out', join(dir, 'preds.csv')]);
      assert.equal(scored.code, 0, scored.stderr);
      assert.equal(readFileSync(join(dir, 'preds.csv'), 'utf8').trim().split('\n').length, 1 + 7 * 12);
      assertEvaluationMatchesReport(await evaluateHeads(pool, join(out, 'heads.json'), [{ name: 'set', dir: join(dir, 'set') }]), report);
    },
  );

  test(
    "fer-stream train --features: a user network's feature output (aligned by the trunk's landmarks) feeds the heads; the stacked manifest scores as training measured",
    { skip: fer ? false : SHARED_MISSING },
    async () => {
      const dir = tmp();
      for (const c of ['angry', 'happy', 'sad', 'surprise']) {
        mkdirSync(join(dir, 'set', c), { recursive: true });
        for (const f of readdirSync(join(fer!, c)).sort().slice(0, 10)) symlinkSync(join(fer!, c, f), join(dir, 'set', c, f));
      }
      writeFileSync(join(dir, 'user.onnx'), tinyFeatureNet());
      const template = [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
      ].map(([x, y]) => [(x * 32) / 112, (y * 32) / 112]);
      writeFileSync(
        join(dir, 'features.json'),
        JSON.stringify({
          name: 'mine',
          members: [
            {
              name: 'user',
              model: 'user.onnx',
              input: { name: 'img', width: 32, height: 32, layout: 'NCHW', color: 'RGB', scale: 1 / 255 },
              outputs: { expression: 'logits', features: 'embedding' },
              activation: 'softmax',
              labels: [...CANONICAL_LABELS],
              align: { template },
            },
          ],
        }),
      );
      const out = join(dir, 'ens');
      const r = await cli([
        'train',
        '--data',
        join(dir, 'set'),
        '--val',
        join(dir, 'set'),
        '--members',
        '2',
        '--fraction',
        '1',
        '--epochs',
        '2',
        '--hidden',
        '8',
        '--features',
        join(dir, 'features.json'),
        '--out',
        out,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /member 2\/2 \(faceApiExpression\+faceApiLandmarks\+user, 40 faces x 2 views\)/);
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      assert.deepEqual(
        manifest.members.map((m: { name: string; weight: number }) => [m.name, m.weight]),
        [
          ['trunk', 0],
          ['user', 0],
          ['bagged', 1],
        ],
      );
      assert.equal(manifest.members[2].from.user, 'user.embedding');
      assert.ok(readdirSync(out).includes('user-user.onnx'), 'the user network travels with the ensemble');
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      const scored = await cli(['--input', join(dir, 'set'), '--manifest', join(out, 'manifest.json'), '--out', join(dir, 'preds.txt')]);
      assert.equal(scored.code, 0, scored.stderr);
      const evaluated = await cli(['eval', '--pred', join(dir, 'preds.txt'), '--labels', join(dir, 'set'), '--json']);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      // Scoring recomputes every branch from the images: the same F1 as training measured on its cached features.
      assert.ok(
        Math.abs(JSON.parse(evaluated.stdout).report.macroF1 - report.results.set.ensemble.f1) < 1e-9,
        `${evaluated.stdout} vs ${report.results.set.ensemble.f1}`,
      );
      assertEvaluationMatchesReport(
        await evaluateHeads(pool, join(out, 'heads.json'), [{ name: 'set', dir: join(dir, 'set') }], {
          features: join(dir, 'features.json'),
        }),
        report,
      );
      await assert.rejects(
        evaluateHeads(pool, join(out, 'heads.json'), [{ name: 'set', dir: join(dir, 'set') }]),
        /its heads read the feature set "user", which neither the trunk nor a --features manifest gives/,
      );
      const bad = await cli([
        'train',
        '--data',
        join(dir, 'set'),
        '--val',
        join(dir, 'set'),
        '--features',
        join(dir, 'set', 'angry'),
        '--out',
        join(dir, 'x'),
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /angry: \(file\): is a folder; give the manifest file/);
      assert.doesNotMatch(bad.stderr, /training set/, 'refused before reading the training set');
    },
  );
});
