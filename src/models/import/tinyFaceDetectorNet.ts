import type { OnnxGraphBuilder, WeightTensor } from './onnxGraphBuilder.js';
import { channelConstant, conv2d, maxPool, separableConv2d } from './tfLayers.js';
import type { WeightMap } from './tfjsWeights.js';

/**
 * face-api's TinyFaceDetector: a Tiny-YOLOv2 with separable convolutions, rebuilt from the names in
 * `tiny_face_detector_model`. The graph ends at the raw [N, 13x13-ish, 5 anchors x 5] grid (NHWC); box
 * decoding and NMS live in TypeScript (`detection/tinyFaceDecoder.ts`).
 */

export const TINY_FACE_MEAN_RGB = [117.001, 114.697, 97.404];

function weight(map: WeightMap, name: string): WeightTensor {
  const w = map.get(name);
  if (!w) throw new RangeError(`tiny face detector weights: missing tensor ${name}`);
  return w;
}

function leaky(g: OnnxGraphBuilder, x: string): string {
  return g.node('LeakyRelu', [x], { attrs: { alpha: { float: 0.10000000149011612 } } });
}

/** face-api pads by one pixel on each side, then runs a VALID separable conv: the same as explicit pads. */
function separable(g: OnnxGraphBuilder, map: WeightMap, x: string, prefix: string): string {
  return g.scope(prefix, () =>
    leaky(
      g,
      separableConv2d(
        g,
        x,
        weight(map, `${prefix}/depthwise_filter`),
        weight(map, `${prefix}/pointwise_filter`),
        weight(map, `${prefix}/bias`),
        { pads: [1, 1, 1, 1] },
      ),
    ),
  );
}

/** `input`: NCHW [N,3,H,W] RGB 0..255, the image padded at bottom/right to multiples of 32. Returns NHWC grid. */
export function addTinyFaceDetectorNet(g: OnnxGraphBuilder, map: WeightMap, input: string): string {
  const mean = channelConstant(g, 'mean_rgb', TINY_FACE_MEAN_RGB);
  let x = g.node('Div', [g.node('Sub', [input, mean]), g.constant('div255', [255], [1])]);
  x = leaky(g, conv2d(g, x, weight(map, 'conv0/filters'), weight(map, 'conv0/bias'), { padding: 'valid' }));
  for (let i = 1; i <= 5; i++) {
    x = maxPool(g, x, [2, 2], [2, 2], 'same');
    x = separable(g, map, x, `conv${i}`);
  }
  x = maxPool(g, x, [2, 2], [1, 1], 'same');
  x = conv2d(g, x, weight(map, 'conv8/filters'), weight(map, 'conv8/bias'), { padding: 'valid' });
  return g.node('Transpose', [x], { attrs: { perm: [0, 2, 3, 1] } });
}
