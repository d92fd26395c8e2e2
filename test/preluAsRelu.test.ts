import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { dequantizeModel } from '../src/models/import/dequantizeGraph.js';
import { OPENCV_FER_MODEL } from '../src/models/import/opencvFerFeatures.js';
import { preluAsRelu } from '../src/models/import/preluAsRelu.js';
import { InferencePool } from '../src/models/ort/inferencePool.js';
import { seededRandom } from '../src/util/seededRandom.js';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;
const dir = mkdtempSync(join(tmpdir(), 'fer-prelu-'));
const r = seededRandom(5);

const f32 = (name: string, dims: number[], values: number[]) => {
  const v = Float32Array.from(values);
  return onnx.TensorProto.create({ name, dataType: DT.FLOAT, dims, rawData: new Uint8Array(v.buffer) });
};
const info = (name: string, dims: (number | string)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
    },
  });

const CONV_WEIGHTS = Array.from({ length: 108 }, () => r() - 0.5);

/** x [N,3,6,6] -> Conv 3x3 (4 channels) -> PRelu (slopes -0.5..1, [4,1,1]) -> PRelu (one slope 1.5, [1,4,1,1]) -> y. */
function model(): onnxProto.onnx.ModelProto {
  const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) =>
    onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
  const graph = onnx.GraphProto.create({
    name: 'prelu',
    node: [
      node('Conv', ['x', 'w', 'b'], 'c', [
        onnx.AttributeProto.create({ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }),
      ]),
      node('PRelu', ['c', 'slope'], 'p'),
      node('PRelu', ['p', 'steep'], 'y'),
    ],
    initializer: [
      f32('w', [4, 3, 3, 3], CONV_WEIGHTS),
      f32('b', [4], [0.1, -0.2, 0, 0.3]),
      f32('slope', [4, 1, 1], [-0.5, 0, 0.3, 1]),
      f32('steep', [1, 4, 1, 1], [0.2, 1.5, 0.1, 0.25]),
    ],
    input: [info('x', ['n', 3, 6, 6])],
    output: [info('y', ['n', 4, 6, 6])],
  });
  return onnx.ModelProto.create({ irVersion: 7, graph, opsetImport: [{ domain: '', version: 11 }] });
}

describe('PRelu as depthwise convolutions and a Relu (preluAsRelu)', () => {
  const pool = new InferencePool();
  after(() => pool.close());
  const run = async (name: string, bytes: Uint8Array, input: string, x: Float32Array, dims: number[], output: string) => {
    const file = join(dir, `${name}.onnx`);
    writeFileSync(file, bytes);
    await pool.load(name, file, 'cpu');
    return (await pool.run(name, { [input]: { data: x.slice(), dims } }))[output].data as Float32Array;
  };
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  test('the same outputs; a PRelu with a slope above 1 is left as it is', async () => {
    const x = Float32Array.from({ length: 2 * 3 * 36 }, () => (r() - 0.5) * 4);
    const plain = await run('plain', onnx.ModelProto.encode(model()).finish(), 'x', x, [2, 3, 6, 6], 'y');
    const m = model();
    assert.equal(preluAsRelu(m), 1);
    assert.deepEqual(
      m.graph!.node!.map((n) => n.opType),
      ['Conv', 'Conv', 'Conv', 'Relu', 'Add', 'PRelu'],
    );
    const rewritten = await run('rewritten', onnx.ModelProto.encode(m).finish(), 'x', x, [2, 3, 6, 6], 'y');
    assert.ok(
      plain.some((v) => v < 0),
      'negative inputs reach the slopes',
    );
    assert.ok(maxDiff(plain, rewritten) < 1e-5, `max diff ${maxDiff(plain, rewritten)}`);
  });

  test('a single slope, or slopes not one per channel, are left as they are', () => {
    for (const [dims, values] of [
      [[1, 1, 1], [0.25]],
      [[4], [0.1, 0.2, 0.3, 0.4]],
      [
        [1, 4, 1],
        [0.1, 0.2, 0.3, 0.4],
      ],
    ] as const) {
      const m = onnx.ModelProto.create({
        irVersion: 7,
        opsetImport: [{ domain: '', version: 11 }],
        graph: onnx.GraphProto.create({
          name: 'p',
          node: [onnx.NodeProto.create({ opType: 'PRelu', input: ['x', 's'], output: ['y'] })],
          initializer: [f32('s', [...dims], [...values])],
          input: [info('x', [1, 4, 2, 2])],
          output: [info('y', [1, 4, 2, 2])],
        }),
      });
      assert.equal(preluAsRelu(m), 0, `slope dims [${dims}]`);
      assert.deepEqual(
        m.graph!.node!.map((n) => n.opType),
        ['PRelu'],
      );
    }
  });

  test("OpenCV Zoo's net: all 33 PRelus rewritten, the same expression scores", async () => {
    const float = dequantizeModel(readFileSync(OPENCV_FER_MODEL()), { dynamicBatch: true });
    const m = onnx.ModelProto.decode(float);
    assert.equal(preluAsRelu(m), 33);
    assert.ok(!m.graph!.node!.some((n) => n.opType === 'PRelu'));
    const x = Float32Array.from({ length: 2 * 3 * 112 * 112 }, () => (r() - 0.5) * 2);
    const before = await run('ocv-before', float, 'data', x, [2, 3, 112, 112], 'label');
    const afterRewrite = await run('ocv-after', onnx.ModelProto.encode(m).finish(), 'data', x, [2, 3, 112, 112], 'label');
    assert.ok(
      maxDiff(before, afterRewrite) < 1e-4,
      `max diff ${maxDiff(before, afterRewrite)} (scores up to ${Math.max(...before.map(Math.abs))})`,
    );
  });
});
