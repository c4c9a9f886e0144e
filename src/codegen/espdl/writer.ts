// .espdl writer: an IR graph in ESP-DL arithmetic mode (see quantize.ts) → the EDL2 container + a FlatBuffer of
// ESP-DL's schema (schema/espdl.fbs), in the form esp-ppq writes and ESP-DL v3 loads:
// - one node per IR node, ONNX op names and attributes plus ESP-DL's `quant_type` ("S8"/"S16") and, on Conv and
//   Gemm, `activation` ("Linear"/"Relu");
// - weights as integer initializers with their exponents, stored dims HWCN (HWNC for depthwise; Gemm [1,1,K,N])
//   and the S3/P4 element order N16HWC16 (int8) / N8HWC8 (int16) with the unaligned tail, named in the doc string
//   ("layout ==> ..."), the same storedIndex the importer reads;
// - biases at exponent e_in + e_w, Sigmoid/Tanh/... as `lut` attributes naming 256-entry int8 tables;
// - a value info with dtype, shape and exponent for every activation, and optionally the test input and the
//   output ESP-DL must produce for it (graph.test_inputs_value / test_outputs_value, what model->test() checks).
// Tensor data goes in raw_data, a vector of 16-byte AlignedBytes structs, so it stays 16-byte aligned.

import { Builder } from 'flatbuffers';
import { fail } from '../../diagnostics.js';
import { toLittleEndian, type DType, type TypedArray } from '../../ir/dtype.js';
import type { Graph, Node, Tensor } from '../../ir/graph.js';
import type { Value } from '../../ops/types.js';
import { storedIndex } from '../../import/espdl/index.js';
import { ATTR, DT, FIELD as F } from '../../import/espdl/reader.js';

const DTYPE_TO_DT: Partial<Record<DType, number>> = {
  float32: DT.FLOAT, uint8: DT.UINT8, int8: DT.INT8, uint16: DT.UINT16, int16: DT.INT16, int32: DT.INT32, int64: DT.INT64, bool: DT.BOOL,
};

type AttrV = { kind: 'int'; v: number } | { kind: 'float'; v: number } | { kind: 'string'; v: string } | { kind: 'ints'; v: number[] };

interface WTensor {
  name: string;
  dims: number[];
  dt: number;
  bytes: Uint8Array;
  exps: number[];
  doc?: string;
}

interface WNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: [string, AttrV][];
}

export interface EspdlWriteOptions {
  /** Embedded test values: the input(s) and the output(s) ESP-DL must produce for them. */
  test?: { inputs: Value[]; outputs: Value[] };
  producer?: string;
}

function expsOf(t: Tensor): number[] {
  return t.quant ? t.quant.scale.map((s) => Math.log2(s)) : [0];
}

function dtOf(t: Tensor): number {
  const dt = DTYPE_TO_DT[t.dtype];
  if (dt === undefined) fail('EF2006', `tensor '${t.name}' is ${t.dtype}, which an .espdl file cannot hold`);
  return dt;
}

class Lowering {
  inits: WTensor[] = [];
  nodes: WNode[] = [];
  private names = new Set<string>();

  constructor(readonly g: Graph) {
    // activation names are taken first; initializers made up here get unique names around them
    for (const t of g.tensors) if (!t.data) this.names.add(t.name);
  }

  private uniq(base: string): string {
    let n = base;
    let k = 1;
    while (this.names.has(n)) n = `${base}_${k++}`;
    this.names.add(n);
    return n;
  }

  vname(id: number): string {
    return this.g.tensors[id].name;
  }

  private init(base: string, dims: number[], dtype: DType, data: ArrayLike<number>, exps: number[], doc = 'layout ==> UNK'): string {
    const name = this.uniq(base);
    this.inits.push({ name, dims, dt: DTYPE_TO_DT[dtype]!, bytes: toLittleEndian(data, dtype), exps, doc });
    return name;
  }

  private ints(base: string, v: number[]): string {
    // "to the end" markers read as ±2^63 would wrap in int64: any bound beyond 2^53 means the same
    const c = v.map((x) => Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, x)));
    return this.init(base, [v.length], 'int64', c, [0]);
  }

  /** OHWI weight → ESP-DL stored dims and blocked element order. */
  private weight(t: Tensor, dw: boolean, gemm: boolean): string {
    const [N, KH, KW, C] = gemm ? [t.shape[0], 1, 1, t.shape[1]] : t.shape;
    const a = t.dtype === 'int16' ? 8 : 16;
    const layout = { block: a, plain: 'nhwc' as const };
    const at = storedIndex(N, KH, KW, C, dw, layout);
    const src = t.data!;
    const out = new (src.constructor as { new (k: number): TypedArray })(src.length);
    for (let n = 0; n < N; n++)
      for (let h = 0; h < KH; h++)
        for (let w = 0; w < KW; w++)
          for (let c = 0; c < C; c++) out[at(n, h, w, c)] = src[((n * KH + h) * KW + w) * C + c];
    const dims = dw ? [KH, KW, N, C] : [KH, KW, C, N];
    const doc = `layout ==> N${a}HWC${a}${N % a ? '_UNALIGNED' : ''}`;
    return this.init(t.name, dims, t.dtype, out, expsOf(t), doc);
  }

  private constIn(id: number): string {
    const t = this.g.tensors[id];
    return this.init(t.name, t.shape.slice(), t.dtype, t.data!, expsOf(t));
  }

  private input(id: number): string {
    const t = this.g.tensors[id];
    return t.data ? this.constIn(id) : t.name;
  }

  lower(n: Node): void {
    const qt: [string, AttrV] = ['quant_type', { kind: 'string', v: this.g.tensors[n.outputs[0]].dtype === 'int16' ? 'S16' : 'S8' }];
    const act = (): [string, AttrV] => ['activation', { kind: 'string', v: n.attrs.activation === 'relu' ? 'Relu' : 'Linear' }];
    const y = [this.vname(n.outputs[0])];
    const x = () => this.input(n.inputs[0]);
    const push = (op: string, inputs: string[], attrs: [string, AttrV][]) => this.nodes.push({ op, name: n.name, inputs, outputs: y, attrs: [...attrs, qt] });
    const ints = (k: string, d: number[]) => (n.attrs[k] as number[] | undefined) ?? d;
    switch (n.op) {
      case 'Conv': {
        const w = this.g.tensors[n.inputs[1]];
        const group = (n.attrs.group as number | undefined) ?? 1;
        const dw = group !== 1;
        if (dw && (w.shape[3] !== 1 || group !== this.g.tensors[n.inputs[0]].shape[3]))
          fail('EF2003', 'ESP-DL runs group 1 or depthwise convolutions only', { node: n.name });
        const ins = [x(), this.weight(w, dw, false)];
        if (n.inputs[2] !== undefined && n.inputs[2] >= 0) ins.push(this.constIn(n.inputs[2]));
        push('Conv', ins, [
          ['kernel_shape', { kind: 'ints', v: [w.shape[1], w.shape[2]] }],
          ['strides', { kind: 'ints', v: ints('strides', [1, 1]) }],
          ['dilations', { kind: 'ints', v: ints('dilations', [1, 1]) }],
          ['pads', { kind: 'ints', v: ints('pads', [0, 0, 0, 0]) }],
          ['group', { kind: 'int', v: group }],
          act(),
        ]);
        return;
      }
      case 'FullyConnected': {
        const ins = [x(), this.weight(this.g.tensors[n.inputs[1]], false, true)];
        if (n.inputs[2] !== undefined && n.inputs[2] >= 0) ins.push(this.constIn(n.inputs[2]));
        push('Gemm', ins, [
          ['alpha', { kind: 'float', v: 1 }],
          ['beta', { kind: 'float', v: 1 }],
          ['transB', { kind: 'int', v: 0 }],
          act(),
        ]);
        return;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
        push(n.op, [x(), this.input(n.inputs[1])], []);
        return;
      case 'Relu':
        push('Relu', [x()], []);
        return;
      case 'Clip': {
        const lo = n.qparams?.clip_lo;
        const hi = n.qparams?.clip_hi;
        if (typeof lo !== 'number' || typeof hi !== 'number') fail('EF3001', 'Clip has no integer bounds (quantize for ESP-DL first)', { node: n.name });
        // ESP-DL's Clip reads its bounds as integers at one exponent (the input's)
        const e = expsOf(this.g.tensors[n.inputs[0]]);
        push('Clip', [x(), this.init(`${n.name}_min`, [1], 'int8', [lo], e), this.init(`${n.name}_max`, [1], 'int8', [hi], e)], []);
        return;
      }
      case 'Sigmoid':
      case 'Tanh':
      case 'HardSigmoid':
      case 'HardSwish':
      case 'LeakyRelu':
      case 'Elu': {
        const lut = n.qparams?.lut;
        if (!Array.isArray(lut)) fail('EF3001', `${n.op} has no lookup table (quantize for ESP-DL first)`, { node: n.name });
        const name = this.init(`${n.op}_lut`, [lut.length], 'int8', lut, expsOf(this.g.tensors[n.outputs[0]]));
        push(n.op, [x()], [['lut', { kind: 'string', v: name }]]);
        return;
      }
      case 'Identity':
        push('RequantizeLinear', [x(), this.init(`${n.name}_scale`, [1], 'float32', [1], [0]), this.init(`${n.name}_zero_point`, [1], 'int8', [0], [0])], []);
        return;
      case 'AveragePool':
      case 'MaxPool': {
        const attrs: [string, AttrV][] = [
          ['kernel_shape', { kind: 'ints', v: ints('kernel', [1, 1]) }],
          ['strides', { kind: 'ints', v: ints('strides', [1, 1]) }],
          ['pads', { kind: 'ints', v: ints('pads', [0, 0, 0, 0]) }],
          ['ceil_mode', { kind: 'int', v: (n.attrs.ceil_mode as number | undefined) ?? 0 }],
        ];
        if (n.op === 'AveragePool') attrs.push(['count_include_pad', { kind: 'int', v: (n.attrs.count_include_pad as number | undefined) ?? 0 }]);
        push(n.op, [x()], attrs);
        return;
      }
      case 'ReduceMean':
        push('GlobalAveragePool', [x()], []);
        return;
      case 'Resize': {
        // ESP-DL reads the factors from input 2 (ONNX NCHW order): [1, 1, kH, kW]
        const xs = this.g.tensors[n.inputs[0]].shape;
        const ys = this.g.tensors[n.outputs[0]].shape;
        const scales = this.init(`${n.name}_scales`, [4], 'float32', [1, 1, ys[1] / xs[1], ys[2] / xs[2]], [0]);
        push('Resize', [x(), '', scales], [['mode', { kind: 'string', v: 'nearest' }], ['coordinate_transformation_mode', { kind: 'string', v: 'asymmetric' }], ['nearest_mode', { kind: 'string', v: 'floor' }]]);
        return;
      }
      case 'Reshape':
        push('Reshape', [x(), this.ints(`${n.name}_shape`, this.g.tensors[n.outputs[0]].shape)], []);
        return;
      case 'Transpose':
        push('Transpose', [x()], [['perm', { kind: 'ints', v: n.attrs.perm as number[] }]]);
        return;
      case 'Concat':
        push('Concat', n.inputs.map((i) => this.input(i)), [['axis', { kind: 'int', v: n.attrs.axis as number }]]);
        return;
      case 'Slice': {
        const starts = n.attrs.starts as number[];
        const ins = [x(), this.ints(`${n.name}_starts`, starts), this.ints(`${n.name}_ends`, n.attrs.ends as number[])];
        ins.push(this.ints(`${n.name}_axes`, (n.attrs.axes as number[] | undefined) ?? starts.map((_, i) => i)));
        ins.push(this.ints(`${n.name}_steps`, (n.attrs.steps as number[] | undefined) ?? starts.map(() => 1)));
        push('Slice', ins, []);
        return;
      }
      case 'Pad':
        if ((n.attrs.mode ?? 'constant') !== 'constant' || (n.attrs.value ?? 0) !== 0) fail('EF2003', 'ESP-DL export: Pad must be constant zero', { node: n.name });
        push('Pad', [x(), this.ints(`${n.name}_pads`, n.attrs.pads as number[])], [['mode', { kind: 'string', v: 'constant' }]]);
        return;
      default:
        fail('EF2002', `${n.op} has no ESP-DL export`, { node: n.name });
    }
  }
}

// ---------------------------------------------------------------------------------------- FlatBuffer building

function strVec(b: Builder, v: string[]): number {
  const offs = v.map((s) => b.createString(s));
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
  return b.endVector();
}
function offVec(b: Builder, offs: number[]): number {
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
  return b.endVector();
}
function i64Vec(b: Builder, v: number[]): number {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]));
  return b.endVector();
}
/** [AlignedBytes]: 16-byte structs, 16-byte aligned, zero-padded. */
function alignedBytes(b: Builder, bytes: Uint8Array): number {
  const n = Math.ceil(bytes.length / 16);
  b.startVector(16, n, 16);
  for (let i = n * 16 - 1; i >= 0; i--) b.addInt8(i < bytes.length ? bytes[i] : 0);
  return b.endVector();
}

function tensorT(b: Builder, t: WTensor): number {
  const name = b.createString(t.name);
  const doc = t.doc !== undefined ? b.createString(t.doc) : 0;
  const dims = i64Vec(b, t.dims);
  const raw = alignedBytes(b, t.bytes);
  const exps = i64Vec(b, t.exps);
  b.startObject(14);
  b.addFieldOffset(F.Tensor.dims, dims, 0);
  b.addFieldInt32(F.Tensor.data_type, t.dt, 0);
  b.addFieldOffset(F.Tensor.name, name, 0);
  if (doc) b.addFieldOffset(F.Tensor.doc_string, doc, 0);
  b.addFieldOffset(F.Tensor.raw_data, raw, 0);
  b.addFieldOffset(F.Tensor.exponents, exps, 0);
  return b.endObject();
}

function valueInfo(b: Builder, name: string, dt: number, shape: number[], exps: number[]): number {
  const nm = b.createString(name);
  const dims = shape.map((d) => {
    b.startObject(3);
    b.addFieldInt8(F.DimensionValue.dim_type, 1, 0);
    b.addFieldInt64(F.DimensionValue.dim_value, BigInt(d), BigInt(0));
    const dv = b.endObject();
    b.startObject(2);
    b.addFieldOffset(F.Dimension.value, dv, 0);
    return b.endObject();
  });
  const dimV = offVec(b, dims);
  b.startObject(1);
  b.addFieldOffset(F.TensorShape.dim, dimV, 0);
  const sh = b.endObject();
  b.startObject(2);
  b.addFieldInt32(F.TensorTypeAndShape.elem_type, dt, 0);
  b.addFieldOffset(F.TensorTypeAndShape.shape, sh, 0);
  const tt = b.endObject();
  b.startObject(3);
  b.addFieldInt8(F.TypeInfo.value_type, 1, 0); // TypeInfoValue.tensor_type
  b.addFieldOffset(F.TypeInfo.value, tt, 0);
  const ti = b.endObject();
  const ex = i64Vec(b, exps);
  b.startObject(4);
  b.addFieldOffset(F.ValueInfo.name, nm, 0);
  b.addFieldOffset(F.ValueInfo.value_info_type, ti, 0);
  b.addFieldOffset(F.ValueInfo.exponents, ex, 0);
  return b.endObject();
}

function attribute(b: Builder, name: string, a: AttrV): number {
  const nm = b.createString(name);
  let s = 0;
  let ints = 0;
  if (a.kind === 'string') {
    const bytes = new TextEncoder().encode(a.v);
    b.startVector(1, bytes.length, 1);
    for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
    s = b.endVector();
  }
  if (a.kind === 'ints') ints = i64Vec(b, a.v);
  b.startObject(16);
  b.addFieldOffset(F.Attribute.name, nm, 0);
  const type = { int: ATTR.INT, float: ATTR.FLOAT, string: ATTR.STRING, ints: ATTR.INTS }[a.kind];
  b.addFieldInt32(F.Attribute.attr_type, type, 0);
  if (a.kind === 'float') {
    b.prep(4, 4);
    b.writeFloat32(a.v);
    b.addFieldStruct(F.Attribute.f, b.offset(), 0);
  }
  if (a.kind === 'int') {
    b.prep(8, 8);
    b.writeInt64(BigInt(a.v));
    b.addFieldStruct(F.Attribute.i, b.offset(), 0);
  }
  if (s) b.addFieldOffset(F.Attribute.s, s, 0);
  if (ints) b.addFieldOffset(F.Attribute.ints, ints, 0);
  return b.endObject();
}

function nodeT(b: Builder, n: WNode): number {
  const ins = strVec(b, n.inputs);
  const outs = strVec(b, n.outputs);
  const name = b.createString(n.name);
  const op = b.createString(n.op);
  const attrs = offVec(b, n.attrs.map(([k, v]) => attribute(b, k, v)));
  b.startObject(7);
  b.addFieldOffset(F.Node.input, ins, 0);
  b.addFieldOffset(F.Node.output, outs, 0);
  b.addFieldOffset(F.Node.name, name, 0);
  b.addFieldOffset(F.Node.op_type, op, 0);
  b.addFieldOffset(F.Node.attribute, attrs, 0);
  return b.endObject();
}

/** Serialize an ESP-DL-mode IR graph as a .espdl file (EDL2 header + FlatBuffer). */
export function writeEspdl(g: Graph, opts: EspdlWriteOptions = {}): Uint8Array {
  if (g.meta.info?.arithmetic !== 'espdl') fail('EF3001', 'the graph is not quantized for ESP-DL (power-of-two exponents)');
  const L = new Lowering(g);
  for (const n of g.nodes) L.lower(n);
  const b = new Builder(1 << 16);
  const nodes = offVec(b, L.nodes.map((n) => nodeT(b, n)));
  const inits = offVec(b, L.inits.map((t) => tensorT(b, t)));
  const vi = (id: number) => {
    const t = g.tensors[id];
    return valueInfo(b, t.name, dtOf(t), t.shape, expsOf(t));
  };
  const inputs = offVec(b, g.inputs.map(vi));
  const outputs = offVec(b, g.outputs.map(vi));
  const io = new Set([...g.inputs, ...g.outputs]);
  const acts = g.nodes.flatMap((n) => n.outputs).filter((o) => !io.has(o));
  const values = offVec(b, acts.map(vi));
  const testT = (ids: number[], vals: Value[]) =>
    offVec(b, vals.map((v, k) => {
      const t = g.tensors[ids[k]];
      return tensorT(b, { name: t.name, dims: v.shape.slice(), dt: dtOf(t), bytes: toLittleEndian(v.data, t.dtype), exps: expsOf(t) });
    }));
  const tin = opts.test ? testT(g.inputs, opts.test.inputs) : 0;
  const tout = opts.test ? testT(g.outputs, opts.test.outputs) : 0;
  const gname = b.createString('espforge');
  b.startObject(10);
  b.addFieldOffset(F.Graph.node, nodes, 0);
  b.addFieldOffset(F.Graph.name, gname, 0);
  b.addFieldOffset(F.Graph.initializer, inits, 0);
  b.addFieldOffset(F.Graph.input, inputs, 0);
  b.addFieldOffset(F.Graph.output, outputs, 0);
  b.addFieldOffset(F.Graph.value_info, values, 0);
  if (tin) b.addFieldOffset(F.Graph.test_inputs_value, tin, 0);
  if (tout) b.addFieldOffset(F.Graph.test_outputs_value, tout, 0);
  const graph = b.endObject();
  const producer = b.createString(opts.producer ?? 'espforge');
  b.startObject(10);
  b.addFieldInt32(F.Model.ir_version, 8, 0);
  b.addFieldOffset(F.Model.producer_name, producer, 0);
  b.addFieldOffset(F.Model.graph, graph, 0);
  const model = b.endObject();
  b.finish(model);
  const fb = b.asUint8Array();
  const out = new Uint8Array(16 + fb.length);
  out.set([0x45, 0x44, 0x4c, 0x32]); // "EDL2"
  const dv = new DataView(out.buffer);
  dv.setUint32(4, 0, true);
  dv.setUint32(8, fb.length, true);
  dv.setUint32(12, 0, true);
  out.set(fb, 16);
  return out;
}
