import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ensemble, type FaceInput } from '../src/models/ensemble.js';
import { OnnxGraphBuilder } from '../src/models/import/onnxGraphBuilder.js';
import { CANONICAL_LABELS } from '../src/models/labels.js';
import { parseManifest } from '../src/models/manifest.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { seededRandom } from '../src/util/seededRandom.js';
import { tinyFeatureNet } from './helpers/tinyFeatureNet.js';

const dir = mkdtempSync(join(tmpdir(), 'fer-stacked-'));
const r = seededRandom(3);
const W = Float32Array.from({ length: (256 + 6) * 7 }, () => (r() - 0.5) * 0.2);
const B = Float32Array.from({ length: 7 }, () => r() - 0.5);

/** A stacked model: face-api's expression features and the user net's embedding -> 7 probabilities. */
function stackedModel(): Uint8Array {
  const g = new OnnxGraphBuilder();
  const x = g.node('Concat', [g.input('expr_features', ['batch', 256]), g.input('user_embedding', ['batch', 6])], { attrs: { axis: 1 } });
  g.output(
    g.node('Softmax', [g.node('Gemm', [x, g.constant('w', W, [262, 7]), g.constant('b', B, [7])])], { attrs: { axis: -1 } }),
    'probs',
    ['batch', 7],
  );
  return g.encode('stacked', 'test');
}
writeFileSync(join(dir, 'user.onnx'), tinyFeatureNet());
writeFileSync(join(dir, 'stacked.onnx'), stackedModel());

const trunk = {
  name: 'trunk',
  model: 'builtin:trunk-features',
  input: { name: 'crop', width: 112, height: 112, layout: 'NCHW', color: 'RGB' },
  outputs: { expression: 'faceApiProbs', landmarks: 'landmarks' },
  labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
  weight: 0,
};
const user = {
  name: 'user',
  model: 'user.onnx',
  input: { name: 'img', width: 32, height: 32, layout: 'NCHW', color: 'RGB', scale: 1 / 255 },
  outputs: { expression: 'logits', features: 'embedding' },
  activation: 'softmax',
  labels: [...CANONICAL_LABELS],
  weight: 0,
};
const stacked = {
  name: 'head',
  model: 'stacked.onnx',
  from: { expr_features: 'trunk.faceApiExpression', user_embedding: 'user.embedding' },
  outputs: { expression: 'probs' },
  labels: [...CANONICAL_LABELS],
};
const manifest = (members: unknown[]) => parseManifest({ name: 'stacked', members }, join(dir, 'm.json'));

function faces(n: number): FaceInput[] {
  return Array.from({ length: n }, (_, k) => ({
    image: {
      width: 60 + k * 7,
      height: 64,
      data: Uint8Array.from({ length: (60 + k * 7) * 64 * 3 }, (_, i) => (i * (k + 3) * 2654435761) % 251),
    },
  }));
}

describe("stacked members: a model fed by other members' outputs on the same face", () => {
  const pool = new InferencePool();
  after(() => pool.close());

  test('the stacked member sees exactly the named outputs of each face, in face order; weight 0 members do not vote', async () => {
    const e = await Ensemble.load(manifest([trunk, user, stacked]), pool, 'cpu');
    const batch = faces(5);
    const predictions = await e.predict(batch);
    const inputs = await e.outputsOf(batch, ['trunk.faceApiExpression', 'user.embedding']);
    assert.equal(inputs['user.embedding'].length, 5 * 6);
    predictions.forEach((p, f) => {
      const x = [
        ...inputs['trunk.faceApiExpression'].subarray(f * 256, (f + 1) * 256),
        ...inputs['user.embedding'].subarray(f * 6, (f + 1) * 6),
      ];
      const logits = Array.from({ length: 7 }, (_, c) => B[c] + x.reduce((a, v, i) => a + v * W[i * 7 + c], 0));
      const max = Math.max(...logits);
      const sum = logits.reduce((a, l) => a + Math.exp(l - max), 0);
      logits.forEach((l, c) => assert.ok(Math.abs(Math.exp(l - max) / sum - p.probs[c]) < 1e-5, `face ${f} class ${c}`));
      assert.equal(p.members.length, 3);
      assert.ok(p.landmarks, 'the trunk still gives landmarks');
    });
    // Faces differ, so rows were not mixed up or repeated.
    assert.notDeepEqual(predictions[0].probs, predictions[1].probs);
  });

  test('a bad stacked member is refused, naming the field', async () => {
    assert.throws(
      () => manifest([trunk, user, { ...stacked, input: user.input }]),
      /members\[2\]\.input: a stacked member \(from\) takes other members' outputs, not a crop/,
    );
    assert.throws(
      () => manifest([trunk, user, { ...stacked, crop: { fit: 'pad' } }]),
      /members\[2\]\.crop: does not apply to a stacked member/,
    );
    assert.throws(
      () => manifest([trunk, user, { ...stacked, from: { expr_features: 'nobody.x' } }]),
      /members\[2\]\.from\.expr_features: no member named "nobody"/,
    );
    assert.throws(
      () => manifest([trunk, user, { ...stacked, from: { expr_features: 'trunk' } }]),
      /members\[2\]\.from\.expr_features: must be <member>\.<output>/,
    );
    assert.throws(
      () => manifest([trunk, user, stacked, { ...stacked, name: 'second', from: { expr_features: 'head.probs' } }]),
      /members\[3\]\.from\.expr_features: "head" is a stacked member itself/,
    );
    const noOutput = manifest([trunk, user, { ...stacked, from: { expr_features: 'trunk.nothing', user_embedding: 'user.embedding' } }]);
    await assert.rejects(
      Ensemble.load(noOutput, pool, 'cpu'),
      /members\[2\]\.from\.expr_features: member "trunk" has no output "nothing" \(outputs: faceApiExpression/,
    );
    const missing = manifest([trunk, user, { ...stacked, from: { expr_features: 'trunk.faceApiExpression' } }]);
    await assert.rejects(Ensemble.load(missing, pool, 'cpu'), /members\[2\]\.from: gives nothing for the model's input "user_embedding"/);
  });
});
