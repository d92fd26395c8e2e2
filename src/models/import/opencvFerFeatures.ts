import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { PACKAGE_ROOT } from '../../util/paths.js';
import { dequantizeGraph } from './dequantizeGraph.js';
import { preluAsRelu } from './preluAsRelu.js';

const { onnx } = onnxProto;

/** OpenCV Zoo's expression net as shipped (models/opencv-fer/PROVENANCE.md). */
export const OPENCV_FER_MODEL = () => join(PACKAGE_ROOT, 'models', 'opencv-fer', 'facial_expression_recognition_mobilefacenet_2022july_int8.onnx');
const OPENCV_FER_SHA256 = 'f0d7093aff10e2638c734c5f18a6a7eabd2b9239b20bdb9b8090865a6f69a1ed';
/** The input of its last (fully connected) layer: the flattened 512-value embedding. */
const EMBEDDING = '481';
export const OPENCV_FER_FEATURES = 512;

/**
 * The shipped OpenCV Zoo net as the float network its int8 weights stand for (dequantizeGraph.ts), any batch
 * size, with its embedding exposed as a second output, `features` [N,512], beside `label` [N,7]. Refuses any
 * file but the one shipped, whose tensor names this relies on.
 *
 * Why float: measured on this 2-core machine, 6.3 ms a face against 7.5 for the int8 file, batches allowed, and
 * aligned on wild_expressions_dev alone 0.486 macro F1 against 0.475 (FER+ Test 0.575 against 0.573). Its PRelus
 * are then rewritten as depthwise convolutions and a Relu (preluAsRelu.ts), which Runtime's blocked kernels fuse:
 * half the time again, the same outputs.
 */
export function buildOpencvFerFeatures(): Uint8Array {
  const bytes = readFileSync(OPENCV_FER_MODEL());
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== OPENCV_FER_SHA256) throw new Error(`${OPENCV_FER_MODEL()}: sha256 ${sha}, expected ${OPENCV_FER_SHA256} (models/opencv-fer/PROVENANCE.md)`);
  const model = onnx.ModelProto.decode(bytes);
  dequantizeGraph(model, { dynamicBatch: true });
  preluAsRelu(model);
  const graph = model.graph!;
  if (!graph.node!.some((n) => n.output!.includes(EMBEDDING))) throw new Error(`${OPENCV_FER_MODEL()}: no tensor "${EMBEDDING}"`);
  graph.node!.push(onnx.NodeProto.create({ opType: 'Identity', input: [EMBEDDING], output: ['features'], name: 'fer_stream_features' }));
  graph.output!.push(
    onnx.ValueInfoProto.create({
      name: 'features',
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: OPENCV_FER_FEATURES }] } } },
    }),
  );
  return onnx.ModelProto.encode(model).finish();
}
