import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;
const DT = onnx.TensorProto.DataType;

/**
 * Rewrites a statically quantized ONNX model in the QOperator format (QuantizeLinear, QLinearConv, QLinearAdd,
 * QLinearMatMul, DequantizeLinear) as the float model it approximates: each quantized weight becomes
 * `(q - zeroPoint) * scale` (per output channel where the scales are), each int32 bias `b * xScale * wScale`,
 * and activations stay float, so the Q/DQ pairs around every layer disappear.
 *
 * Why: such a model interleaves int8 layers with float ones (here PReLU), so ONNX Runtime quantizes and
 * dequantizes around every layer; the float graph is faster on CPU, takes any batch size, and its outputs are
 * those of the float network the int8 one was calibrated from, without activation rounding.
 * Any other operator passes through unchanged; an operator this does not know that reads a quantized
 * tensor is an error, never a silent wrong graph.
 */
export function dequantizeModel(bytes: Uint8Array, opts: { dynamicBatch?: boolean } = {}): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  dequantizeGraph(model, opts);
  return onnx.ModelProto.encode(model).finish();
}

/** dequantizeModel on a decoded model, in place: for builders that go on rewriting it before they encode it once. */
export function dequantizeGraph(model: onnxProto.onnx.IModelProto, opts: { dynamicBatch?: boolean } = {}): void {
  const graph = model.graph!;
  const initializers = new Map(graph.initializer!.map((t) => [t.name!, t]));
  const added: Tensor[] = [];
  /** A quantized activation's name -> the name of its float counterpart. */
  const floatOf = new Map<string, string>();
  const floatName = (q: string): string => {
    const f = floatOf.get(q);
    if (f !== undefined) return f;
    throw new Error(`dequantize: no float tensor for "${q}"`);
  };
  /** `axis`: where per-channel scales run (QLinearConv's weights: 0, output channels; QLinearMatMul's B: its columns). */
  const dequantizedInitializer = (q: string, scale: string, zeroPoint: string, axis: number): string => {
    const name = `${q}_float`;
    if (!added.some((t) => t.name === name)) added.push(floatTensor(name, dequantize(need(q), need(scale), need(zeroPoint), axis)));
    return name;
  };
  const need = (name: string): Tensor => {
    const t = initializers.get(name);
    if (!t) throw new Error(`dequantize: "${name}" is not a constant`);
    return t;
  };
  const operand = (q: string, scale: string, zeroPoint: string, axis: number) => (initializers.has(q) ? dequantizedInitializer(q, scale, zeroPoint, axis) : floatName(q));

  const nodes: Node[] = [];
  for (const node of graph.node!) {
    const [a, b, c, d, e, f, , , i] = node.input!;
    const out = node.output![0];
    switch (node.opType) {
      case 'QuantizeLinear':
        floatOf.set(out, a);
        break;
      case 'DequantizeLinear':
        if (initializers.has(a)) added.push(floatTensor(out, dequantize(need(a), need(b), need(c), axisOf(node, 1))));
        else nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [floatName(a)], output: [out], name: `${node.name ?? out}_float` }));
        break;
      case 'QLinearConv': {
        // inputs: x, xScale, xZeroPoint, w, wScale, wZeroPoint, yScale, yZeroPoint, bias(int32)?
        const inputs = [floatName(a), dequantizedInitializer(d, e, f, 0)];
        if (i) inputs.push(addBias(i, need(b), need(e)));
        nodes.push(floatNode(node, 'Conv', inputs, out, floatOf, node.attribute!));
        break;
      }
      case 'QLinearAdd': // a, aScale, aZeroPoint, b, bScale, bZeroPoint, cScale, cZeroPoint (com.microsoft)
        nodes.push(floatNode(node, 'Add', [operand(a, b, c, 0), operand(d, e, f, 0)], out, floatOf));
        break;
      case 'QLinearMatMul':
        nodes.push(floatNode(node, 'MatMul', [operand(a, b, c, -2), operand(d, e, f, -1)], out, floatOf));
        break;
      default:
        for (const input of node.input!) if (floatOf.has(input)) throw new Error(`dequantize: ${node.opType} reads the quantized tensor "${input}"`);
        nodes.push(node);
    }
  }

  function addBias(name: string, xScale: Tensor, wScale: Tensor): string {
    const bias = readValues(need(name));
    const xs = readValues(xScale)[0];
    const ws = readValues(wScale);
    const out = `${name}_float`;
    added.push(floatTensor(out, { dims: [bias.length], values: Float32Array.from(bias, (v, k) => v * xs * ws[ws.length > 1 ? k : 0]) }));
    return out;
  }

  graph.node = nodes;
  const used = new Set(nodes.flatMap((n) => n.input!));
  graph.initializer = [...graph.initializer!, ...added].filter((t) => used.has(t.name!));
  graph.valueInfo = []; // shapes of removed quantized tensors; Runtime infers the rest
  if (opts.dynamicBatch) for (const v of [...graph.input!, ...graph.output!]) v.type!.tensorType!.shape!.dim![0] = { dimParam: 'batch' };
  // QLinearAdd was the contrib domain's; Conv, Add and MatMul are in every opset such a model declares.
  const domains = new Set(nodes.map((n) => n.domain ?? ''));
  model.opsetImport = model.opsetImport!.filter((o) => (o.domain ?? '') === '' || domains.has(o.domain!));
}

function floatNode(node: Node, opType: string, input: string[], quantizedOut: string, floatOf: Map<string, string>, attribute: onnxProto.onnx.IAttributeProto[] = []): Node {
  const output = `${quantizedOut}_float`;
  floatOf.set(quantizedOut, output);
  return onnx.NodeProto.create({ opType, input, output: [output], attribute, name: `${node.name ?? quantizedOut}_float` });
}

/**
 * (q - zeroPoint) * scale; where there are several scales (and zero points), one per index along `axis`
 * (negative counts from the end).
 */
export function dequantize(q: Tensor, scale: Tensor, zeroPoint: Tensor, axis: number): { dims: number[]; values: Float32Array } {
  const dims = q.dims!.map(Number);
  const values = readValues(q);
  const scales = readValues(scale);
  const zeros = readValues(zeroPoint);
  const at = axis < 0 ? dims.length + axis : axis;
  const inner = dims.slice(at + 1).reduce((a, d) => a * d, 1);
  if (scales.length > 1 && scales.length !== dims[at]) throw new Error(`dequantize: "${q.name}" has ${scales.length} scales for ${dims[at]} channels`);
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const c = scales.length > 1 ? Math.floor(k / inner) % dims[at] : 0;
    out[k] = (values[k] - zeros[zeros.length > 1 ? c : 0]) * scales[c];
  }
  return { dims, values: out };
}

/** A DequantizeLinear's `axis` attribute, or ONNX's default. */
function axisOf(node: Node, fallback: number): number {
  const attr = node.attribute?.find((a) => a.name === 'axis');
  return attr ? Number(attr.i) : fallback;
}

/** The numbers of an int8, uint8, int32 or float initializer, from raw bytes or the typed fields. */
export function readValues(t: Tensor): Float64Array {
  const count = t.dims!.reduce((a, d) => a * Number(d), 1);
  const raw = t.rawData && t.rawData.length ? Buffer.from(t.rawData) : undefined;
  if (!raw) {
    if (t.dataType === DT.FLOAT) return Float64Array.from(t.floatData!);
    if (t.dataType === DT.INT8 || t.dataType === DT.UINT8 || t.dataType === DT.INT32) return Float64Array.from(t.int32Data!);
    throw new Error(`dequantize: "${t.name}" has data type ${t.dataType}`);
  }
  const read: Record<number, (k: number) => number> = {
    [DT.INT8]: (k) => raw.readInt8(k),
    [DT.UINT8]: (k) => raw.readUInt8(k),
    [DT.INT32]: (k) => raw.readInt32LE(4 * k),
    [DT.FLOAT]: (k) => raw.readFloatLE(4 * k),
  };
  const at = read[t.dataType!];
  if (!at) throw new Error(`dequantize: "${t.name}" has data type ${t.dataType}`);
  return Float64Array.from({ length: count }, (_, k) => at(k));
}

export function floatTensor(name: string, t: { dims: number[]; values: Float32Array }): Tensor {
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: DT.FLOAT, rawData: new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength) });
}
