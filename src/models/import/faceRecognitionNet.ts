import type { OnnxGraphBuilder, WeightTensor } from './onnxGraphBuilder.js';
import { avgPoolValid, channelConstant, conv2d, maxPool, relu } from './tfLayers.js';
import type { WeightMap } from './tfjsWeights.js';

/**
 * face-api's FaceRecognitionNet (dlib's ResNet-34 face descriptor, 128-d), rebuilt from the weight names of
 * `face_recognition_model` and face-api's `faceRecognitionNet` code: convolutions each followed by a
 * per-channel scale layer, residual blocks, and down-sampling blocks whose shortcut is a 2x2 average pool,
 * zero-padded in channels (and the main path zero-padded by a row and a column) where shapes differ.
 * Shapes are fixed by the 150x150 input, so every padding decision is made here, once.
 */

export const FACE_RECOGNITION_INPUT_SIZE = 150;
export const FACE_RECOGNITION_MEAN_RGB = [122.782, 117.001, 104.298];

function weight(map: WeightMap, name: string): WeightTensor {
  const w = map.get(name);
  if (!w) throw new RangeError(`face recognition weights: missing tensor ${name}`);
  return w;
}

/** An activation with its static NCHW size (batch aside). */
interface Activation {
  name: string;
  channels: number;
  size: number;
}

/** conv + bias, then face-api's scale layer (x * weights + biases); stride 2 convolutions are VALID. */
function convScale(g: OnnxGraphBuilder, map: WeightMap, x: Activation, prefix: string, stride: 1 | 2, withRelu: boolean): Activation {
  const filters = weight(map, `${prefix}/conv/filters`);
  const [kernel, , , channels] = filters.shape;
  let out = conv2d(g, x.name, filters, weight(map, `${prefix}/conv/bias`), { strides: [stride, stride], padding: stride === 1 ? 'same' : 'valid' });
  out = g.node('Add', [g.node('Mul', [out, channelConstant(g, 'scale_w', weight(map, `${prefix}/scale/weights`).data)]), channelConstant(g, 'scale_b', weight(map, `${prefix}/scale/biases`).data)]);
  const size = stride === 1 ? x.size : Math.floor((x.size - kernel) / 2) + 1;
  return { name: withRelu ? relu(g, out) : out, channels, size };
}

function residual(g: OnnxGraphBuilder, map: WeightMap, x: Activation, prefix: string): Activation {
  return g.scope(prefix, () => {
    const a = convScale(g, map, x, `${prefix}/conv1`, 1, true);
    const b = convScale(g, map, a, `${prefix}/conv2`, 1, false);
    return { ...b, name: relu(g, g.node('Add', [b.name, x.name])) };
  });
}

function residualDown(g: OnnxGraphBuilder, map: WeightMap, x: Activation, prefix: string): Activation {
  return g.scope(prefix, () => {
    const a = convScale(g, map, x, `${prefix}/conv1`, 2, true);
    let out = convScale(g, map, a, `${prefix}/conv2`, 1, false);
    let pooled: Activation = {
      name: avgPoolValid(g, x.name, [2, 2], [2, 2]),
      channels: x.channels,
      size: Math.floor((x.size - 2) / 2) + 1,
    };
    // face-api appends one zero row and one zero column (never more) when the main path came out smaller.
    if (pooled.size !== out.size) {
      if (pooled.size !== out.size + 1) throw new RangeError(`${prefix}: shortcut ${pooled.size} vs main ${out.size}`);
      out = { ...out, name: g.node('Pad', [out.name, g.int64Constant('pads', [0, 0, 0, 0, 0, 0, 1, 1])]), size: pooled.size };
    }
    if (pooled.channels !== out.channels) {
      // ... and zero channels, as many as the input had, to the shortcut.
      const extra = out.channels - pooled.channels;
      pooled = { ...pooled, name: g.node('Pad', [pooled.name, g.int64Constant('pads', [0, 0, 0, 0, 0, extra, 0, 0])]), channels: out.channels };
    }
    return { ...out, name: relu(g, g.node('Add', [pooled.name, out.name])) };
  });
}

/**
 * Adds the network to `g`. `input` is NCHW [N,3,150,150] RGB 0..255 (face-api pads the face to a centred
 * square before resizing). Returns the name of the [N,128] descriptor (not normalised; face-api compares
 * descriptors by Euclidean distance, 0.6 being its usual same-person bound).
 */
export function addFaceRecognitionNet(g: OnnxGraphBuilder, map: WeightMap, input: string): string {
  const mean = channelConstant(g, 'mean_rgb', FACE_RECOGNITION_MEAN_RGB);
  const normalised = g.node('Div', [g.node('Sub', [input, mean]), g.constant('div255', [255], [1])]);
  let x: Activation = convScale(g, map, { name: normalised, channels: 3, size: FACE_RECOGNITION_INPUT_SIZE }, 'conv32_down', 2, true);
  x = { ...x, name: maxPool(g, x.name, [3, 3], [2, 2], 'valid'), size: Math.floor((x.size - 3) / 2) + 1 };
  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, map, x, block);
  x = residualDown(g, map, x, 'conv64_down');
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, map, x, block);
  x = residualDown(g, map, x, 'conv128_down');
  for (const block of ['conv128_1', 'conv128_2']) x = residual(g, map, x, block);
  x = residualDown(g, map, x, 'conv256_down');
  for (const block of ['conv256_1', 'conv256_2']) x = residual(g, map, x, block);
  x = residualDown(g, map, x, 'conv256_down_out');
  const pooled = g.node('ReduceMean', [x.name], { attrs: { axes: [2, 3], keepdims: 0 } });
  const fc = weight(map, 'fc');
  return g.node('MatMul', [pooled, g.constant('fc', fc.data, fc.shape)]);
}
