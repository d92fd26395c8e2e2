import { OnnxGraphBuilder } from '../../src/models/import/onnxGraphBuilder.js';
import { seededRandom } from '../../src/util/seededRandom.js';

/**
 * A small user network with a feature output, as `fer-stream train --features` takes one: input `img`
 * [N,3,size,size] (0..1), a seeded 3x3 convolution to 6 channels, ReLU, global average pooling -> `embedding`
 * [N,6], and `logits` [N,7] from a dense layer over it (labels in CANONICAL_LABELS order).
 */
export function tinyFeatureNet(size = 32, seed = 7): Uint8Array {
  const r = seededRandom(seed);
  const weights = (n: number) => Float32Array.from({ length: n }, () => r() - 0.5);
  const g = new OnnxGraphBuilder();
  const img = g.input('img', ['batch', 3, size, size]);
  const conv = g.node('Relu', [
    g.node('Conv', [img, g.constant('w', weights(6 * 3 * 9), [6, 3, 3, 3]), g.constant('b', weights(6), [6])], {
      attrs: { pads: [1, 1, 1, 1] },
    }),
  ]);
  const embedding = g.node('Flatten', [g.node('GlobalAveragePool', [conv])]);
  g.output(embedding, 'embedding', ['batch', 6]);
  g.output(g.node('Gemm', [embedding, g.constant('fc', weights(6 * 7), [6, 7]), g.constant('fc_b', weights(7), [7])]), 'logits', [
    'batch',
    7,
  ]);
  return g.encode('tiny-feature-net', 'test network with a feature output');
}
