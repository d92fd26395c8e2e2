import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { dequantizeModel } from '../src/models/import/dequantizeGraph.js';
import { ensureBuiltinModel } from '../src/models/import/modelImporter.js';
import { OPENCV_FER_MODEL } from '../src/models/import/opencvFerFeatures.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { seededRandom } from '../src/util/seededRandom.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const dir = mkdtempSync(join(tmpdir(), 'fer-dequantize-'));
const r = seededRandom(11);

// A small QOperator model as a static quantizer writes it: x -> QuantizeLinear -> QLinearConv (per-channel int8
// weights, int32 bias) -> QLinearAdd (the conv with itself) -> DequantizeLinear -> Flatten -> QuantizeLinear ->
// QLinearMatMul (per-column int8 weights) -> DequantizeLinear -> y.
const C = 2,
  H = 4,
  M = 3,
  K = 3,
  OUT = 5;
const X_SCALE = 0.02,
  X_ZERO = 128,
  Y_SCALE = 0.05,
  Y_ZERO = 120,
  A_SCALE = 0.1,
  A_ZERO = 110,
  Z_SCALE = 0.2,
  Z_ZERO = 125;
const wq = Int8Array.from({ length: M * C * K * K }, () => Math.round((r() - 0.5) * 200));
const wScale = [0.01, 0.02, 0.005];
const biasQ = Int32Array.from([100, -250, 40]);
const bq = Int8Array.from({ length: M * H * H * OUT }, () => Math.round((r() - 0.5) * 200));
const B_SCALES = [0.003, 0.002, 0.004, 0.001, 0.003]; // per column, as QLinearMatMul allows

const tensor = (name: string, dataType: number, dims: number[], bytes: ArrayBufferView) =>
  onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
const f32 = (name: string, v: number[]) => tensor(name, DT.FLOAT, v.length > 1 ? [v.length] : [], Float32Array.from(v));
const u8 = (name: string, v: number) => tensor(name, DT.UINT8, [], Uint8Array.from([v]));

function quantizedModel(): Uint8Array {
  const node = (opType: string, input: string[], output: string, extra: object = {}) =>
    onnx.NodeProto.create({ opType, input, output: [output], name: output, ...extra });
  const graph = onnx.GraphProto.create({
    name: 'q',
    node: [
      node('QuantizeLinear', ['x', 'xs', 'xz'], 'xq'),
      node('QLinearConv', ['xq', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], 'yq', {
        attribute: [onnx.AttributeProto.create({ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] })],
      }),
      node('QLinearAdd', ['yq', 'ys', 'yz', 'yq', 'ys', 'yz', 'as', 'az'], 'aq', { domain: 'com.microsoft' }),
      node('DequantizeLinear', ['aq', 'as', 'az'], 'a'),
      node('Flatten', ['a'], 'flat'),
      node('QuantizeLinear', ['flat', 'as', 'az'], 'flatq'),
      node('QLinearMatMul', ['flatq', 'as', 'az', 'b', 'bs', 'bz', 'zs', 'zz'], 'zq'),
      node('DequantizeLinear', ['zq', 'zs', 'zz'], 'y'),
    ],
    initializer: [
      f32('xs', [X_SCALE]),
      u8('xz', X_ZERO),
      f32('ys', [Y_SCALE]),
      u8('yz', Y_ZERO),
      f32('as', [A_SCALE]),
      u8('az', A_ZERO),
      f32('zs', [Z_SCALE]),
      u8('zz', Z_ZERO),
      tensor('w', DT.INT8, [M, C, K, K], wq),
      f32('ws', wScale),
      tensor('wz', DT.INT8, [M], new Int8Array(M)),
      tensor('bias', DT.INT32, [M], biasQ),
      tensor('b', DT.INT8, [M * H * H, OUT], bq),
      f32('bs', B_SCALES),
      tensor('bz', DT.INT8, [OUT], new Int8Array(OUT)),
    ],
    input: [
      onnx.ValueInfoProto.create({
        name: 'x',
        type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: C }, { dimValue: H }, { dimValue: H }] } } },
      }),
    ],
    output: [
      onnx.ValueInfoProto.create({
        name: 'y',
        type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: OUT }] } } },
      }),
    ],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 7,
      graph,
      opsetImport: [
        { domain: '', version: 11 },
        { domain: 'com.microsoft', version: 1 },
      ],
    }),
  ).finish();
}

/** The float network the quantized one stands for, in plain JS: conv (pad 1) + bias, doubled, then x @ B. */
function floatReference(x: Float32Array): number[] {
  const conv = new Float64Array(M * H * H);
  for (let m = 0; m < M; m++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++) {
        let s = biasQ[m] * X_SCALE * wScale[m];
        for (let c = 0; c < C; c++)
          for (let a = 0; a < K; a++)
            for (let b = 0; b < K; b++) {
              const y = i + a - 1,
                z = j + b - 1;
              if (y >= 0 && y < H && z >= 0 && z < H) s += x[(c * H + y) * H + z] * wq[((m * C + c) * K + a) * K + b] * wScale[m];
            }
        conv[(m * H + i) * H + j] = 2 * s;
      }
  return Array.from({ length: OUT }, (_, o) => conv.reduce((acc, v, k) => acc + v * bq[k * OUT + o] * B_SCALES[o], 0));
}

describe('dequantizing a QOperator int8 model into the float network it stands for', () => {
  const pool = new InferencePool();
  after(() => pool.close());
  const quantized = join(dir, 'q.onnx');
  const float = join(dir, 'f.onnx');
  writeFileSync(quantized, quantizedModel());
  writeFileSync(float, dequantizeModel(quantizedModel(), { dynamicBatch: true }));
  const x = Float32Array.from({ length: C * H * H }, () => (r() - 0.5) * 4);

  test('equals the float reference computed in JS from the dequantized weights and bias, and stays within the int8 rounding of the original', async () => {
    await pool.load('q', quantized, 'cpu');
    await pool.load('f', float, 'cpu');
    const want = floatReference(x);
    const got = Array.from((await pool.run('f', { x: { data: x.slice(), dims: [1, C, H, H] } })).y.data);
    for (let o = 0; o < OUT; o++)
      assert.ok(Math.abs(got[o] - want[o]) < 1e-4 * Math.max(1, Math.abs(want[o])), `output ${o}: ${got[o]} against ${want[o]}`);
    const int8 = Array.from((await pool.run('q', { x: { data: x.slice(), dims: [1, C, H, H] } })).y.data);
    // The int8 model rounds activations at each step; the float one does not. They agree to a few output steps.
    for (let o = 0; o < OUT; o++)
      assert.ok(Math.abs(int8[o] - got[o]) <= 4 * Z_SCALE, `output ${o}: int8 ${int8[o]} against float ${got[o]}`);
  });

  test('takes any batch size: three faces in one call equal three calls', async () => {
    const xs = Float32Array.from({ length: 3 * C * H * H }, () => (r() - 0.5) * 4);
    const batched = (await pool.run('f', { x: { data: xs.slice(), dims: [3, C, H, H] } })).y.data;
    for (let n = 0; n < 3; n++) {
      const one = (await pool.run('f', { x: { data: xs.slice(n * C * H * H, (n + 1) * C * H * H), dims: [1, C, H, H] } })).y.data;
      for (let o = 0; o < OUT; o++) assert.ok(Math.abs(batched[n * OUT + o] - one[o]) < 1e-5);
    }
  });

  test('an operator it does not know that reads a quantized tensor is an error, not a wrong graph', () => {
    const model = onnx.ModelProto.decode(quantizedModel());
    model.graph!.node!.splice(2, 0, onnx.NodeProto.create({ opType: 'MaxPool', input: ['yq'], output: ['pooled'], name: 'pool' }));
    assert.throws(() => dequantizeModel(onnx.ModelProto.encode(model).finish()), /MaxPool reads the quantized tensor "yq"/);
  });

  test("the built-in opencv-fer-features: the shipped int8 net's scores within its rounding, the same top class, any batch", async () => {
    await pool.load('opencv-shipped', OPENCV_FER_MODEL(), 'cpu');
    const info = await pool.load('opencv-features', ensureBuiltinModel('opencv-fer-features'), 'cpu');
    assert.deepEqual(info.outputs.map((o) => o.name).sort(), ['features', 'label']);
    const face = (seed: number) =>
      Float32Array.from({ length: 3 * 112 * 112 }, (_, i) => Math.sin(i * 0.011 * seed) * Math.cos(i * 0.0007));
    const faces = [1, 2, 3].map(face);
    const batched = await pool.run('opencv-features', {
      data: { data: Float32Array.from(faces.flatMap((f) => Array.from(f))), dims: [3, 3, 112, 112] },
    });
    assert.equal(batched.features.data.length, 3 * 512);
    for (let n = 0; n < 3; n++) {
      const shipped = Array.from(
        (await pool.run('opencv-shipped', { data: { data: faces[n].slice(), dims: [1, 3, 112, 112] } })).label.data,
      );
      const ours = Array.from(batched.label.data.slice(n * 7, (n + 1) * 7));
      const worst = Math.max(...ours.map((v, k) => Math.abs(v - shipped[k])));
      assert.ok(
        worst < 0.5,
        `face ${n}: scores differ by ${worst} (${ours.map((v) => v.toFixed(2))} against ${shipped.map((v) => v.toFixed(2))})`,
      );
      assert.equal(ours.indexOf(Math.max(...ours)), shipped.indexOf(Math.max(...shipped)));
    }
  });
});
