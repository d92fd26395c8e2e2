import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the importer targets: every op it emits has had its current form since opset 13. */
export const OPSET = 13;

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

/** A float32 tensor with its shape, as weights travel through the importer. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Builds one ONNX graph node by node and encodes it with onnx-proto (protobufjs).
 *
 * Names are unique per builder; `scope()` prefixes them so that two imported networks can be composed into
 * one graph (a multi-task member) without clashes. Output is deterministic: same calls, same bytes.
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  private prefix = '';

  /** Runs `fn` with every new name prefixed by `name/`. */
  scope<T>(name: string, fn: () => T): T {
    const saved = this.prefix;
    this.prefix = `${saved}${name}/`;
    try {
      return fn();
    } finally {
      this.prefix = saved;
    }
  }

  /** A fresh, unused tensor name. */
  fresh(hint: string): string {
    let name = `${this.prefix}${hint}`;
    while (this.used.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: (number | string)[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(tensor: string, name: string, shape: (number | string)[]): void {
    if (tensor !== name) this.node('Identity', [tensor], { outName: name });
    this.outputs.push(valueInfo(name, shape));
  }

  /** Adds a float32 initializer and returns its name. */
  constant(hint: string, data: Float32Array | number[], shape: number[]): string {
    const name = this.fresh(hint);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const expected = shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected) {
      throw new RangeError(`constant ${name}: ${values.length} values for shape [${shape.join(',')}]`);
    }
    this.initializers.push({
      name,
      dims: shape,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    });
    return name;
  }

  /** Adds an int64 initializer (shapes, axes, pads) and returns its name. */
  int64Constant(hint: string, values: number[]): string {
    const name = this.fresh(hint);
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(raw.buffer),
    });
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  node(
    opType: string,
    inputs: string[],
    options: { attrs?: Record<string, AttributeValue>; outName?: string; outputs?: number } = {},
  ): string {
    const count = options.outputs ?? 1;
    const outputs = [options.outName ?? this.fresh(opType.toLowerCase())];
    for (let i = 1; i < count; i++) outputs.push(this.fresh(`${opType.toLowerCase()}_out${i}`));
    if (options.outName) this.used.add(options.outName);
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(`node_${opType}`),
      attribute: Object.entries(options.attrs ?? {}).map(([key, value]) => attribute(key, value)),
    });
    return outputs[0];
  }

  /** Encodes the graph as an ONNX model file. */
  encode(graphName: string, docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'fer-stream-importer',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}
