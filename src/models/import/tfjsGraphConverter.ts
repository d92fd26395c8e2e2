import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OnnxGraphBuilder, WeightTensor } from './onnxGraphBuilder.js';
import { conv2d, depthwiseConv2d, type TfPadding } from './tfLayers.js';
import { readTfjsWeights, type TfjsWeightGroup, type WeightMap } from './tfjsWeights.js';

/**
 * Converts a TF.js graph model (`model.json` + shards, as @vladmandic/human ships them) into ONNX nodes.
 *
 * Covers the ops those models use: _FusedConv2D (BiasAdd, Relu, Relu6), DepthwiseConv2dNative, MaxPool,
 * AvgPool, AddV2, Relu, Relu6, Sigmoid, Mean, Softmax, Pad, Reshape, Identity. An op outside that list
 * is an error naming it, never a silent skip.
 *
 * Layout: TF graphs are NHWC. Every 4-D activation is kept NCHW here; ops whose meaning depends on the
 * layout (Pad, Mean, Reshape) translate their axes, and Reshape goes back to NHWC first so the flattened
 * order is TF's.
 */

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; i?: string; f?: number; b?: boolean; list?: { s?: string[]; i?: string[] } }>;
}

export interface TfjsGraphModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: TfjsWeightGroup[];
}

export interface LoadedTfjsGraph {
  model: TfjsGraphModel;
  weights: WeightMap;
}

export function loadTfjsGraph(modelJsonPath: string): LoadedTfjsGraph {
  const model = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as TfjsGraphModel;
  return { model, weights: readTfjsWeights(model.weightsManifest, dirname(modelJsonPath)) };
}

type Layout = 'nchw' | 'plain';
interface Value {
  name: string;
  layout: Layout;
}

const decode = (s: string | undefined) => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

/** Strips the `:0` output suffix and the `^` control-dependency marker TF uses in input names. */
function inputName(raw: string): string | undefined {
  if (raw.startsWith('^')) return undefined;
  return raw.replace(/:0$/, '');
}

/**
 * Adds the graph to `g`. `inputs` maps each Placeholder name to an NCHW tensor already in `g`.
 * Returns the ONNX tensor for each requested TF node name (NHWC-restored where 4-D).
 */
export function addTfjsGraph(
  g: OnnxGraphBuilder,
  { model, weights }: LoadedTfjsGraph,
  inputs: Record<string, string>,
  outputs: string[],
): Record<string, string> {
  const values = new Map<string, Value>();
  const constants = new Map<string, WeightTensor>();
  for (const [name, tensor] of Object.entries(inputs)) values.set(name, { name: tensor, layout: 'nchw' });

  const nodes = model.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes) {
    if (n.op === 'Const') {
      const w = weights.get(n.name);
      if (!w) throw new RangeError(`TF.js graph: constant ${n.name} has no weights`);
      constants.set(n.name, w);
    }
  }

  const constantOf = (raw: string): WeightTensor => {
    const name = inputName(raw)!;
    const c = constants.get(name);
    if (!c) throw new RangeError(`TF.js graph: ${name} is expected to be a constant`);
    return c;
  };

  const isConstant = (raw: string) => constants.has(inputName(raw)!);

  const resolve = (raw: string): Value => {
    const name = inputName(raw)!;
    const known = values.get(name);
    if (known) return known;
    const node = byName.get(name);
    if (!node) throw new RangeError(`TF.js graph: unknown tensor ${name}`);
    const value = g.scope(node.name.replace(/^StatefulPartitionedCall\//, '').replace(/[^\w/]/g, '_'), () =>
      convertNode(g, node, resolve, constantOf, isConstant),
    );
    values.set(name, value);
    return value;
  };

  const result: Record<string, string> = {};
  for (const out of outputs) {
    const v = resolve(out);
    result[out] = v.layout === 'nchw' ? g.node('Transpose', [v.name], { attrs: { perm: [0, 2, 3, 1] } }) : v.name;
  }
  return result;
}

function convertNode(
  g: OnnxGraphBuilder,
  node: TfNode,
  resolve: (raw: string) => Value,
  constantOf: (raw: string) => WeightTensor,
  isConstant: (raw: string) => boolean,
): Value {
  const ins = (node.input ?? []).filter((i) => !i.startsWith('^'));
  const attr = node.attr ?? {};
  const strides = (): [number, number] => {
    const s = (attr.strides?.list?.i ?? ['1', '1', '1', '1']).map(Number);
    return [s[1], s[2]];
  };
  const dilations = (): [number, number] => {
    const d = (attr.dilations?.list?.i ?? ['1', '1', '1', '1']).map(Number);
    return [d[1], d[2]];
  };
  const padding = (): TfPadding => {
    const p = decode(attr.padding?.s);
    if (p === 'SAME') return 'same';
    if (p === 'VALID') return 'valid';
    throw new RangeError(`TF.js graph: ${node.name} uses padding ${p}, which the importer does not support`);
  };
  const nchw = (v: Value): string => {
    if (v.layout !== 'nchw') throw new RangeError(`TF.js graph: ${node.name} expects a 4-D activation`);
    return v.name;
  };

  switch (node.op) {
    case 'Identity':
      return resolve(ins[0]);
    case '_FusedConv2D':
    case 'Conv2D': {
      const fused = (attr.fused_ops?.list?.s ?? []).map(decode);
      const bias = fused.includes('BiasAdd') ? constantOf(ins[2]) : undefined;
      let out = conv2d(g, nchw(resolve(ins[0])), constantOf(ins[1]), bias, {
        strides: strides(),
        padding: padding(),
        dilations: dilations(),
      });
      for (const op of fused) {
        if (op === 'BiasAdd') continue;
        out = activation(g, op, out, node.name, () => constantOf(ins[3]));
      }
      return { name: out, layout: 'nchw' };
    }
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative': {
      const fused = (attr.fused_ops?.list?.s ?? []).map(decode);
      const bias = fused.includes('BiasAdd') ? constantOf(ins[2]) : undefined;
      let out = depthwiseConv2d(g, nchw(resolve(ins[0])), constantOf(ins[1]), bias, {
        strides: strides(),
        padding: padding(),
        dilations: dilations(),
      });
      for (const op of fused) {
        if (op === 'BiasAdd') continue;
        out = activation(g, op, out, node.name, () => constantOf(ins[3]));
      }
      return { name: out, layout: 'nchw' };
    }
    case 'MaxPool':
    case 'AvgPool': {
      const k = (attr.ksize?.list?.i ?? []).map(Number);
      const p = padding();
      const onnxOp = node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool';
      const attrs: Record<string, number | number[] | string> = {
        kernel_shape: [k[1], k[2]],
        strides: strides(),
        auto_pad: p === 'same' ? 'SAME_UPPER' : 'VALID',
      };
      // TF's SAME average pooling divides by the number of real pixels, not the window size.
      if (onnxOp === 'AveragePool') attrs.count_include_pad = 0;
      return { name: g.node(onnxOp, [nchw(resolve(ins[0]))], { attrs }), layout: 'nchw' };
    }
    case 'AddV2':
    case 'Add':
    case 'Mul':
    case 'Sub': {
      const [a, b] = ins.map((i) => binaryOperand(g, i, resolve, constantOf, isConstant));
      const onnxOp = node.op === 'AddV2' ? 'Add' : node.op;
      const layout: Layout = a.layout === 'nchw' || b.layout === 'nchw' ? 'nchw' : 'plain';
      return { name: g.node(onnxOp, [a.name, b.name]), layout };
    }
    case 'Relu':
    case 'Relu6':
    case 'Sigmoid':
    case 'Tanh':
    case 'Elu': {
      const v = resolve(ins[0]);
      return { name: activation(g, node.op, v.name, node.name, () => constantOf(ins[1])), layout: v.layout };
    }
    case 'Prelu': {
      const v = resolve(ins[0]);
      return { name: activation(g, 'Prelu', v.name, node.name, () => constantOf(ins[1])), layout: v.layout };
    }
    case 'Mean': {
      const v = resolve(ins[0]);
      const axes = Array.from(constantOf(ins[1]).data).map((a) => (v.layout === 'nchw' ? nhwcAxisToNchw(a) : a));
      const keep = attr.keep_dims?.b ? 1 : 0;
      const out = g.node('ReduceMean', [v.name], { attrs: { axes, keepdims: keep } });
      return { name: out, layout: keep && v.layout === 'nchw' ? 'nchw' : 'plain' };
    }
    case 'Softmax': {
      const v = resolve(ins[0]);
      if (v.layout === 'nchw') throw new RangeError(`TF.js graph: ${node.name} Softmax over a 4-D activation`);
      return { name: g.node('Softmax', [v.name], { attrs: { axis: -1 } }), layout: 'plain' };
    }
    case 'Pad': {
      const v = resolve(ins[0]);
      const p = Array.from(constantOf(ins[1]).data);
      const rank = p.length / 2;
      let before = Array.from({ length: rank }, (_, i) => p[2 * i]);
      let after = Array.from({ length: rank }, (_, i) => p[2 * i + 1]);
      if (v.layout === 'nchw') {
        before = [before[0], before[3], before[1], before[2]];
        after = [after[0], after[3], after[1], after[2]];
      }
      const out = g.node('Pad', [v.name, g.int64Constant('pads', [...before, ...after])], { attrs: { mode: 'constant' } });
      return { name: out, layout: v.layout };
    }
    case 'Reshape': {
      const v = resolve(ins[0]);
      const nhwc = v.layout === 'nchw' ? g.node('Transpose', [v.name], { attrs: { perm: [0, 2, 3, 1] } }) : v.name;
      const shape = Array.from(constantOf(ins[1]).data);
      // Graphs exported for batch 1 (human's BlazeFace) fix it in the target shape; 0 copies the input's
      // batch instead (ONNX Reshape), so batches work.
      if (shape[0] === 1) shape[0] = 0;
      return { name: g.node('Reshape', [nhwc, g.int64Constant('shape', shape)]), layout: 'plain' };
    }
    default:
      throw new RangeError(`TF.js graph: op ${node.op} (node ${node.name}) is not supported by the importer`);
  }
}

function nhwcAxisToNchw(axis: number): number {
  return [0, 2, 3, 1][axis < 0 ? axis + 4 : axis];
}

/** A binary op operand: a constant [C] against an NCHW activation must broadcast over channels. */
function binaryOperand(
  g: OnnxGraphBuilder,
  raw: string,
  resolve: (raw: string) => Value,
  constantOf: (raw: string) => WeightTensor,
  isConstant: (raw: string) => boolean,
): Value {
  if (!isConstant(raw)) return resolve(raw);
  const c = constantOf(raw);
  if (c.shape.length > 1) throw new RangeError(`TF.js graph: constant operand ${raw} of rank ${c.shape.length}`);
  return { name: g.constant('k', c.data, c.shape.length ? [1, c.data.length, 1, 1] : [1]), layout: 'plain' };
}

function activation(g: OnnxGraphBuilder, op: string, x: string, where: string, alpha: () => WeightTensor): string {
  switch (op) {
    case 'Relu':
      return g.node('Relu', [x]);
    case 'Relu6':
      return g.node('Clip', [x, g.constant('zero', [0], []), g.constant('six', [6], [])]);
    case 'Sigmoid':
      return g.node('Sigmoid', [x]);
    case 'Tanh':
      return g.node('Tanh', [x]);
    case 'Elu':
      return g.node('Elu', [x]);
    case 'Prelu': {
      const a = alpha();
      return g.node('PRelu', [x, g.constant('alpha', a.data, [1, a.data.length, 1, 1])]);
    }
    default:
      throw new RangeError(`TF.js graph: fused activation ${op} in ${where} is not supported`);
  }
}
