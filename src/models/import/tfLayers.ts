import type { OnnxGraphBuilder, WeightTensor } from './onnxGraphBuilder.js';

/**
 * TensorFlow layers expressed as ONNX nodes. TF keeps activations NHWC and filters HWIO; the importer keeps
 * every 4-D activation NCHW inside the graph (what ONNX Conv expects) and transposes filters once, here.
 */

export type TfPadding = 'same' | 'valid' | 'explicit';

/** TF 'SAME' puts the odd pixel of padding after, which is ONNX's SAME_UPPER. */
function autoPad(padding: TfPadding): string {
  return padding === 'same' ? 'SAME_UPPER' : 'VALID';
}

/** HWIO -> OIHW. */
export function hwioToOihw(w: WeightTensor): WeightTensor {
  const [kh, kw, cin, cout] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + x] = w.data[((h * kw + x) * cin + i) * cout + o];
  return { shape: [cout, cin, kh, kw], data: out };
}

/** Depthwise HW[C][M] -> [C*M, 1, H, W] (ONNX grouped conv, group = C). */
export function depthwiseToOihw(w: WeightTensor): WeightTensor {
  const [kh, kw, c, m] = w.shape;
  const out = new Float32Array(w.data.length);
  for (let h = 0; h < kh; h++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++)
        for (let k = 0; k < m; k++) out[((ch * m + k) * kh + h) * kw + x] = w.data[((h * kw + x) * c + ch) * m + k];
  return { shape: [c * m, 1, kh, kw], data: out };
}

export interface ConvOptions {
  strides?: [number, number];
  padding?: TfPadding;
  pads?: number[];
  dilations?: [number, number];
}

/** tf.conv2d (+ optional bias) on an NCHW activation. */
export function conv2d(g: OnnxGraphBuilder, x: string, filter: WeightTensor, bias: WeightTensor | undefined, opts: ConvOptions = {}): string {
  const w = hwioToOihw(filter);
  const inputs = [x, g.constant('W', w.data, w.shape)];
  if (bias) inputs.push(g.constant('B', bias.data, [bias.data.length]));
  return g.node('Conv', inputs, { attrs: convAttrs(w.shape, 1, opts) });
}

/** tf.depthwiseConv2d (+ optional bias) on an NCHW activation. */
export function depthwiseConv2d(g: OnnxGraphBuilder, x: string, filter: WeightTensor, bias: WeightTensor | undefined, opts: ConvOptions = {}): string {
  const w = depthwiseToOihw(filter);
  const inputs = [x, g.constant('W', w.data, w.shape)];
  if (bias) inputs.push(g.constant('B', bias.data, [bias.data.length]));
  return g.node('Conv', inputs, { attrs: convAttrs(w.shape, filter.shape[2], opts) });
}

/** tf.separableConv2d + bias: depthwise then 1x1 pointwise. */
export function separableConv2d(
  g: OnnxGraphBuilder,
  x: string,
  depthwise: WeightTensor,
  pointwise: WeightTensor,
  bias: WeightTensor,
  opts: ConvOptions = {},
): string {
  const dw = depthwiseConv2d(g, x, depthwise, undefined, opts);
  return conv2d(g, dw, pointwise, bias, { padding: 'valid' });
}

function convAttrs(oihw: number[], group: number, opts: ConvOptions) {
  const attrs: Record<string, number | number[] | string> = {
    kernel_shape: [oihw[2], oihw[3]],
    strides: opts.strides ?? [1, 1],
    dilations: opts.dilations ?? [1, 1],
    group,
  };
  if (opts.pads) attrs.pads = opts.pads;
  else attrs.auto_pad = autoPad(opts.padding ?? 'same');
  return attrs;
}

export function maxPool(g: OnnxGraphBuilder, x: string, kernel: [number, number], strides: [number, number], padding: TfPadding): string {
  return g.node('MaxPool', [x], { attrs: { kernel_shape: kernel, strides, auto_pad: autoPad(padding) } });
}

/** tf.avgPool with 'valid' padding (the only one the imported nets use). */
export function avgPoolValid(g: OnnxGraphBuilder, x: string, kernel: [number, number], strides: [number, number]): string {
  return g.node('AveragePool', [x], { attrs: { kernel_shape: kernel, strides } });
}

export function relu(g: OnnxGraphBuilder, x: string): string {
  return g.node('Relu', [x]);
}

export function add(g: OnnxGraphBuilder, a: string, b: string): string {
  return g.node('Add', [a, b]);
}

/** Dense layer on a [N, C] tensor: x @ W + b, with W stored [in, out] as TF does. */
export function dense(g: OnnxGraphBuilder, x: string, weights: WeightTensor, bias: WeightTensor): string {
  return g.node('Gemm', [x, g.constant('W', weights.data, weights.shape), g.constant('B', bias.data, bias.shape)]);
}

/** Per-channel constant [C] shaped to broadcast over NCHW. */
export function channelConstant(g: OnnxGraphBuilder, hint: string, values: number[] | Float32Array): string {
  return g.constant(hint, Float32Array.from(values), [1, values.length, 1, 1]);
}
