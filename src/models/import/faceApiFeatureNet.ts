import type { OnnxGraphBuilder, WeightTensor } from './onnxGraphBuilder.js';
import { add, avgPoolValid, channelConstant, conv2d, dense, relu, separableConv2d } from './tfLayers.js';
import type { WeightMap } from './tfjsWeights.js';

/**
 * face-api's FaceFeatureExtractor (four densely connected blocks of separable convolutions) followed by
 * its fully connected head, rebuilt from the weight names of `face_expression_model` and
 * `face_landmark_68_model`. face-api ships weights only; the architecture is its `denseBlock4` code.
 */

/** face-api subtracts this RGB mean before dividing by 255. */
export const FACE_API_MEAN_RGB = [122.782, 117.001, 104.298];
export const FACE_API_INPUT_SIZE = 112;

function weight(map: WeightMap, name: string): WeightTensor {
  const w = map.get(name);
  if (!w) throw new RangeError(`face-api weights: missing tensor ${name}`);
  return w;
}

function separable(g: OnnxGraphBuilder, map: WeightMap, x: string, prefix: string, stride: number): string {
  return separableConv2d(
    g,
    x,
    weight(map, `${prefix}/depthwise_filter`),
    weight(map, `${prefix}/pointwise_filter`),
    weight(map, `${prefix}/bias`),
    { strides: [stride, stride], padding: 'same' },
  );
}

function denseBlock4(g: OnnxGraphBuilder, map: WeightMap, x: string, prefix: string, isFirst: boolean): string {
  return g.scope(prefix, () => {
    const out1 = relu(
      g,
      isFirst
        ? conv2d(g, x, weight(map, `${prefix}/conv0/filters`), weight(map, `${prefix}/conv0/bias`), { strides: [2, 2], padding: 'same' })
        : separable(g, map, x, `${prefix}/conv0`, 2),
    );
    // face-api adds out1 + (out2 + (out3 + out4)); the same sums kept as running totals, each convolution's
    // output added to the total so far, let ONNX Runtime fuse every Add into the convolution before it (three
    // element-wise passes over the block's activations fewer; the trunk ran 1.2x faster).
    const sum2 = add(g, separable(g, map, out1, `${prefix}/conv1`, 1), out1);
    const sum3 = add(g, separable(g, map, relu(g, sum2), `${prefix}/conv2`, 1), sum2);
    const sum4 = add(g, separable(g, map, relu(g, sum3), `${prefix}/conv3`, 1), sum3);
    return relu(g, sum4);
  });
}

/**
 * Adds the network to `g`. `input` is NCHW [N,3,112,112], RGB, 0..255 (face-api pads the crop to a
 * centred square before resizing). Returns the name of the [N, fcOut] logits.
 */
export function addFaceApiFeatureNet(g: OnnxGraphBuilder, map: WeightMap, input: string): string {
  return dense(g, addFaceApiFeatures(g, map, input), weight(map, 'fc/weights'), weight(map, 'fc/bias'));
}

/** The network up to its fully connected head: the [N,256] features (the penultimate layer). */
export function addFaceApiFeatures(g: OnnxGraphBuilder, map: WeightMap, input: string): string {
  const mean = channelConstant(g, 'mean_rgb', FACE_API_MEAN_RGB);
  const scale = g.constant('div255', [255], [1]);
  let x = g.node('Div', [g.node('Sub', [input, mean]), scale]);
  x = denseBlock4(g, map, x, 'dense0', true);
  x = denseBlock4(g, map, x, 'dense1', false);
  x = denseBlock4(g, map, x, 'dense2', false);
  x = denseBlock4(g, map, x, 'dense3', false);
  x = avgPoolValid(g, x, [7, 7], [2, 2]);
  // [N,256,1,1]: flattening NCHW equals flattening NHWC only because H = W = 1 here.
  return g.node('Flatten', [x], { attrs: { axis: 1 } });
}
