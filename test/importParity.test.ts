import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { ensureAllBuiltinModels, ensureBuiltinModel, SEALED_INDEX } from '../src/models/import/modelImporter.js';
import { builtinModel } from '../src/models/import/modelImporter.js';
import { HUMAN_GRAY_WEIGHTS } from '../src/models/import/trunkGraph.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { hwcToNchw, maxAbsDiff, realFaceCropPaths, rgbSquare } from './helpers/faceCrops.js';
import { loadHumanEmotionGraph, loadHumanGraph, loadReference } from './helpers/tfjsReference.js';

const TOLERANCE = 1e-4;

describe('importer: ONNX Runtime output equals the same weights run by @tensorflow/tfjs', () => {
  const pool = new InferencePool();
  let paths: Record<string, string>;
  const crops = realFaceCropPaths();

  before(async () => {
    paths = ensureAllBuiltinModels();
    for (const [id, path] of Object.entries(paths)) await pool.load(id, path, 'cpu');
  });
  after(() => pool.close());

  test('face-api expression and landmark nets, on real face crops', async () => {
    const { faceapi, tf } = await loadReference();
    for (const file of crops) {
      const hwc = await rgbSquare(file, 112);
      const x = tf.tensor4d(Float32Array.from(hwc), [1, 112, 112, 3]);
      for (const [id, net, output] of [
        ['face-api-expression', faceapi.nets.faceExpressionNet, 'expression'],
        ['face-api-landmark68', faceapi.nets.faceLandmark68Net, 'landmarks'],
      ] as const) {
        const ref = (await net.forward(x)).dataSync() as Float32Array;
        const out = await pool.run(id, { input: { data: hwcToNchw(hwc, 112), dims: [1, 3, 112, 112] } });
        const diff = maxAbsDiff(ref, out[output].data);
        assert.ok(diff <= TOLERANCE, `${id} on ${file}: max abs diff ${diff}`);
      }
    }
  });

  test('tiny face detector grid, at two input sizes', async () => {
    const { faceapi, tf } = await loadReference();
    for (const size of [416, 608]) {
      const hwc = await rgbSquare(crops[0], size);
      const ref = (await faceapi.nets.tinyFaceDetector.forward(tf.tensor4d(Float32Array.from(hwc), [1, size, size, 3]), size)).dataSync();
      // The detector takes the pixels interleaved, as face-api does, and as bytes (widened on the worker).
      const out = await pool.run('tiny-face-detector', { input: { data: Uint8Array.from(hwc), dims: [1, size, size, 3] } });
      // The grid holds raw logits in the tens; compare relative to their scale.
      const scale = Math.max(1, ...Array.from(ref as Float32Array, Math.abs));
      const diff = maxAbsDiff(ref, out.grid.data) / scale;
      assert.ok(diff <= TOLERANCE, `tiny face detector @${size}: relative max diff ${diff}`);
    }
  });

  test("human's emotion graph model", async () => {
    const { tf } = await loadReference();
    const graph = await loadHumanEmotionGraph(tf);
    for (const file of crops) {
      const hwc = await rgbSquare(file, 64);
      const gray = new Float32Array(64 * 64);
      for (let i = 0; i < gray.length; i++) {
        const v = HUMAN_GRAY_WEIGHTS[0] * hwc[i * 3] + HUMAN_GRAY_WEIGHTS[1] * hwc[i * 3 + 1] + HUMAN_GRAY_WEIGHTS[2] * hwc[i * 3 + 2];
        gray[i] = (v / 255 - 0.5) * 2;
      }
      const ref = graph.execute(tf.tensor4d(gray, [1, 64, 64, 1])).dataSync();
      const out = await pool.run('human-emotion', { input: { data: gray, dims: [1, 1, 64, 64] } });
      assert.ok(maxAbsDiff(ref, out.expression.data) <= TOLERANCE, `human-emotion on ${file}`);
    }
  });

  test("human's BlazeFace graph model, batched", async () => {
    const { tf } = await loadReference();
    const graph = await loadHumanGraph(tf, 'blazeface');
    const inputs = await Promise.all(crops.slice(0, 2).map((file) => rgbSquare(file, 256)));
    const batch = new Float32Array(inputs.length * 3 * 256 * 256);
    inputs.forEach((hwc, i) => batch.set(hwcToNchw(hwc, 256), i * 3 * 256 * 256));
    const out = await pool.run('blazeface', { input: { data: batch, dims: [inputs.length, 3, 256, 256] } });
    const names = { Identity: 'scores16', Identity_1: 'scores32', Identity_2: 'regressors16', Identity_3: 'regressors32' } as const;
    for (const [i, hwc] of inputs.entries()) {
      // human feeds x / 127.5 - 1; the TF.js graph takes one image at a time
      const ref = graph.execute(
        tf.tensor4d(
          Float32Array.from(hwc, (v: number) => v / 127.5 - 1),
          [1, 256, 256, 3],
        ),
        Object.keys(names),
      );
      Object.values(names).forEach((name, k) => {
        const mine = out[name].data;
        const per = mine.length / inputs.length;
        // Raw logits reach 900 and regressors 100 on face crops: compare relative to their size (measured
        // up to 5.5e-4, tfjs and ORT summing convolutions in different orders; batch vs single in ORT: 0).
        const theirs: Float32Array = ref[k].dataSync();
        const ours = mine.subarray(i * per, (i + 1) * per);
        const diff = Math.max(...Array.from(theirs, (v, j) => Math.abs(v - ours[j]) / Math.max(1, Math.abs(v))));
        assert.ok(diff <= 1e-3, `blazeface ${name}, image ${i}: max relative diff ${diff}`);
      });
    }
  });

  test('member-human runs human exactly as human does: tf.image.resizeBilinear, weighted gray, (x-0.5)*2', async () => {
    const { faceapi, tf } = await loadReference();
    const graph = await loadHumanEmotionGraph(tf);
    for (const file of crops) {
      const hwc = await rgbSquare(file, 112);
      const x = tf.tensor4d(Float32Array.from(hwc), [1, 112, 112, 3]);
      const resized = tf.image.resizeBilinear(x.div(255), [64, 64], false);
      const gray = tf.sum(tf.mul(resized, tf.tensor1d(HUMAN_GRAY_WEIGHTS)), 3, true);
      const ref = graph.execute(tf.mul(tf.sub(gray, 0.5), 2)).dataSync();
      const refLandmarks = (await faceapi.nets.faceLandmark68Net.forward(x)).dataSync();
      const out = await pool.run('member-human', { crop: { data: hwcToNchw(hwc, 112), dims: [1, 3, 112, 112] } });
      assert.ok(maxAbsDiff(ref, out.expression.data) <= TOLERANCE, `member-human expression on ${file}`);
      assert.ok(maxAbsDiff(refLandmarks, out.landmarks.data) <= TOLERANCE, `member-human landmarks on ${file}`);
    }
  });

  test('face recognition net (ResNet-34 descriptor), batched: zero-padded shortcuts and all', async () => {
    const { faceapi, tf } = await loadReference();
    const inputs = await Promise.all(crops.map((file) => rgbSquare(file, 150)));
    const batch = new Float32Array(inputs.length * 3 * 150 * 150);
    inputs.forEach((hwc, i) => batch.set(hwcToNchw(hwc, 150), i * 3 * 150 * 150));
    const out = await pool.run('face-recognition', { input: { data: batch, dims: [inputs.length, 3, 150, 150] } });
    assert.deepEqual(out.descriptor.dims, [inputs.length, 128]);
    for (const [i, hwc] of inputs.entries()) {
      const ref = (await faceapi.nets.faceRecognitionNet.forward(tf.tensor4d(Float32Array.from(hwc), [1, 150, 150, 3]))).dataSync();
      const diff = maxAbsDiff(ref, out.descriptor.data.subarray(i * 128, (i + 1) * 128));
      assert.ok(diff <= TOLERANCE, `face-recognition on ${crops[i]}: max abs diff ${diff}`);
    }
  });

  test("trunk-features: human's penultimate layer, globally averaged, equals tfjs' (and the branches' outputs the members')", async () => {
    const { faceapi, tf } = await loadReference();
    const graph = await loadHumanEmotionGraph(tf);
    for (const file of crops.slice(0, 3)) {
      const hwc = await rgbSquare(file, 112);
      const x = tf.tensor4d(Float32Array.from(hwc), [1, 112, 112, 3]);
      const resized = tf.image.resizeBilinear(x.div(255), [64, 64], false);
      const gray = tf.sum(tf.mul(resized, tf.tensor1d(HUMAN_GRAY_WEIGHTS)), 3, true);
      const penultimate = graph.execute(tf.mul(tf.sub(gray, 0.5), 2), 'StatefulPartitionedCall/model_1/add_2/add');
      const ref = tf.mean(penultimate, [1, 2]).dataSync();
      const out = await pool.run('trunk-features', { crop: { data: hwcToNchw(hwc, 112), dims: [1, 3, 112, 112] } });
      assert.ok(maxAbsDiff(ref, out.human.data) <= TOLERANCE, `human features on ${file}: ${maxAbsDiff(ref, out.human.data)}`);
      assert.ok(maxAbsDiff((await faceapi.nets.faceLandmark68Net.forward(x)).dataSync(), out.landmarks.data) <= TOLERANCE);
      assert.ok(maxAbsDiff((await faceapi.nets.faceExpressionNet.forward(x)).dataSync(), out.faceApiProbs.data) <= TOLERANCE);
    }
  });

  test('member-face-api is one graph with both branches: expression and 68 landmarks', async () => {
    const { faceapi, tf } = await loadReference();
    const hwc = await rgbSquare(crops[0], 112);
    const x = tf.tensor4d(Float32Array.from(hwc), [1, 112, 112, 3]);
    const out = await pool.run('member-face-api', { crop: { data: hwcToNchw(hwc, 112), dims: [1, 3, 112, 112] } });
    assert.deepEqual(out.expression.dims, [1, 7]);
    assert.deepEqual(out.landmarks.dims, [1, 136]);
    assert.ok(maxAbsDiff((await faceapi.nets.faceExpressionNet.forward(x)).dataSync(), out.expression.data) <= TOLERANCE);
    assert.ok(maxAbsDiff((await faceapi.nets.faceLandmark68Net.forward(x)).dataSync(), out.landmarks.data) <= TOLERANCE);
  });

  test('import is deterministic and cached by source hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-models-'));
    const a = ensureBuiltinModel('member-human', dir);
    const bytes = readFileSync(a);
    assert.deepEqual(Buffer.from(builtinModel('member-human').build()), bytes);
    assert.equal(ensureBuiltinModel('member-human', dir), a);
    assert.throws(() => builtinModel('no-such-model'), /unknown built-in model "no-such-model"/);
  });

  test('a sealed model directory names its graphs: nothing is hashed or imported, a missing one fails in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fer-sealed-'));
    // A file name no import would give: the index is what decides, not the weights' hash.
    writeFileSync(join(dir, 'human.built-elsewhere.onnx'), 'graph');
    writeFileSync(join(dir, SEALED_INDEX), JSON.stringify({ 'member-human': 'human.built-elsewhere.onnx' }));
    assert.equal(ensureBuiltinModel('member-human', dir), join(dir, 'human.built-elsewhere.onnx'));
    assert.deepEqual(readdirSync(dir).sort(), [SEALED_INDEX, 'human.built-elsewhere.onnx'].sort());
    assert.throws(
      () => ensureBuiltinModel('tiny-face-detector', dir),
      /sealed\.json holds no "tiny-face-detector" \(it lists member-human\)/,
    );
    writeFileSync(join(dir, SEALED_INDEX), JSON.stringify({ 'member-human': '../elsewhere' }));
    assert.throws(() => ensureBuiltinModel('member-human', dir), /sealed\.json: expected \{ "<model id>": "<file name>" \}/);
  });
});
