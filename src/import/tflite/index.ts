// TFLite importer: .tflite flatbuffer → canonical IR. TFLite is already NHWC, conv weights are already OHWI, so
// the mapping is mostly one op to one node. Quantization records are kept exactly as stored (float32 scales,
// zero points, quantized_dimension); the only layout change is the depthwise filter, [1,KH,KW,Cout] in TFLite,
// [Cout,KH,KW,1] in the IR (its per-channel axis moves from 3 to 0).
//
// TFLite operators have no names: a node is named after its first output tensor.

import { EspforgeError, fail, type Diagnostic } from '../../diagnostics.js';
import { shapeSize, type DType, type TypedArray } from '../../ir/dtype.js';
import { GraphBuilder, type Attrs, type Graph, type QuantParams } from '../../ir/graph.js';
import { inferGraph } from '../../ops/infer.js';
import { verifyGraph } from '../../ops/verify.js';
import type { ImportOptions } from '../index.js';
import { foldPad } from '../../passes/fold-pad.js';
import { actName, bilinearModeName, halfToFloat, NODE_ATTRS_METADATA, NODE_NAMES_METADATA, nearestIndexMap, RESIZE_MAP_ATTRS, opName, samePads, tfliteBilinearOptions, transposeConvPad, TT_NAME, TT_SIZE, TT_TO_DTYPE } from './common.js';
import { ActivationFunctionType as ACT, BuiltinOperator as OP, BuiltinOptions as OPT, FIELD as F, Padding, TensorType as TT } from './generated/schema.js';
import { joinGates } from './lstm.js';
import { readModel, type FlatReader, type Table, type TfModel, type TfOperator, type TfSubGraph, type TfTensor } from './reader.js';

/** Largest element count accepted for any tensor (activations included): 2^28. */
const MAX_ELEMS = 1 << 28;

/** Import a .tflite file: parse, convert, verify, infer shapes. */
export function importTflite(bytes: Uint8Array, file: string, _opts: ImportOptions = {}): Graph {
  return inferGraph(tfliteToGraph(bytes, file));
}

/** Parse and convert without running shape inference (tensor shapes are the ones stored in the file). */
export function tfliteToGraph(bytes: Uint8Array, file: string): Graph {
  const { r, model } = readModel(bytes, file);
  if (model.version !== 3)
    fail('EF2007', `TFLite schema version ${model.version}; espforge reads version 3`, { file, suggestion: 'convert the model with a current TFLite converter' });
  if (model.subgraphs.length === 0) r.bad('the model has no subgraph');
  const c = new Converter(r, model, model.subgraphs[0], file);
  return c.run();
}

class Opts {
  constructor(
    private r: FlatReader,
    private t: Table | undefined,
    private what: string,
  ) {}
  int(id: number, d = 0): number {
    return this.t ? this.r.scalar(this.t, id, 'i32', d, this.what) : d;
  }
  byte(id: number, d = 0): number {
    return this.t ? this.r.scalar(this.t, id, 'i8', d, this.what) : d;
  }
  bool(id: number, d = false): boolean {
    return this.t ? this.r.scalar(this.t, id, 'bool', d ? 1 : 0, this.what) === 1 : d;
  }
  f32(id: number, d = 0): number {
    return this.t ? this.r.scalar(this.t, id, 'f32', d, this.what) : d;
  }
  ints(id: number): number[] | undefined {
    return this.t ? this.r.nums(this.t, id, 'i32', this.what) : undefined;
  }
}

interface OpCtx {
  op: TfOperator;
  code: number;
  name: string;
  /** The IR node name the writer recorded for this operator (espforge files), else undefined. */
  irName?: string;
  /** IR attributes the writer recorded for this operator (NODE_ATTRS_METADATA), unchecked. */
  irAttrs?: unknown;
  /** TFLite tensor index of input k (-1 = absent). */
  tin(k: number): number;
  tout(k: number): number;
  opts(expected: number): Opts;
}

/** A JSON array recorded by espforge's writer in a metadata buffer, one entry per operator (else undefined). */
function recorded(r: FlatReader, m: TfModel, key: string, count: number): unknown[] | undefined {
  const b = m.metadata.get(key);
  if (b === undefined || !m.buffers[b]?.size) return undefined;
  const { start, size } = m.buffers[b];
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.bytes.subarray(start, start + size)));
    if (Array.isArray(v) && v.length === count) return v;
  } catch {
    // not ours, or damaged: ignored (names and map descriptions are cosmetic)
  }
  return undefined;
}

/** The recorded node names, when present and well formed for this many operators. */
function recordedNames(r: FlatReader, m: TfModel, count: number): (string | null)[] | undefined {
  const v = recorded(r, m, NODE_NAMES_METADATA, count);
  return v?.every((x) => x === null || (typeof x === 'string' && x.length > 0 && x.length < 4096)) ? (v as (string | null)[]) : undefined;
}

class Converter {
  readonly b: GraphBuilder;
  private ids = new Map<number, number>();
  private extra = new Map<string, number>();
  private produced = new Set<number>();
  private folded = new Map<number, TypedArray>();
  private constCache = new Map<number, TypedArray | null>();
  private unsupported: string[] = [];
  /** Operators already converted as part of another one (an LSTM's last-step STRIDED_SLICE, its Y_h). */
  private absorbed = new Set<number>();
  private notes: string[] = [];
  /** Per operator, the source node name recorded by espforge's writer (NODE_NAMES_METADATA); TFLite has none. */
  private opNames: (string | null)[] | undefined;
  private opAttrs: unknown[] | undefined;

  constructor(
    readonly r: FlatReader,
    readonly m: TfModel,
    readonly sg: TfSubGraph,
    readonly file: string,
  ) {
    this.b = new GraphBuilder({
      format: 'tflite',
      source: file,
      producer: m.description,
      info: { schema_version: m.version, description: m.description ?? '' },
    });
    this.opNames = recordedNames(r, m, sg.operators.length);
    this.opAttrs = recorded(r, m, NODE_ATTRS_METADATA, sg.operators.length);
  }

  // ---------------------------------------------------------------- tensors

  tf(i: number, what = 'tensor index'): TfTensor {
    if (!Number.isInteger(i) || i < 0 || i >= this.sg.tensors.length)
      this.r.bad(`${what} ${i} is out of range (the subgraph has ${this.sg.tensors.length} tensors)`);
    return this.sg.tensors[i];
  }

  dtypeOf(t: TfTensor): DType {
    const dt = TT_TO_DTYPE[t.type];
    if (!dt) fail('EF2006', `tensor '${t.name}' has type ${TT_NAME[t.type] ?? t.type}, which espforge does not support`, { file: this.file });
    return dt;
  }

  /** Stored shape with a dynamic batch (-1, from shape_signature) read as 1; sanity-checked. */
  shapeOf(t: TfTensor): number[] {
    const shape = t.shape.map((d, k) => (d === -1 && k === 0 ? 1 : d));
    if (shape.length > 8) this.r.bad(`tensor '${t.name}' has rank ${shape.length}`);
    for (const d of shape) {
      if (d === -1) fail('EF1008', `tensor '${t.name}' has a dynamic dimension [${t.shape}]`, { file: this.file, suggestion: 'convert the model with static shapes' });
      if (!(d >= 0 && d <= MAX_ELEMS)) this.r.bad(`tensor '${t.name}' has dimension ${d}`);
    }
    if (shapeSize(shape) > MAX_ELEMS) fail('EF1007', `tensor '${t.name}' has ${shapeSize(shape)} elements`, { file: this.file });
    return shape;
  }

  quantOf(t: TfTensor, shape: number[]): QuantParams | undefined {
    const q = t.quant;
    if (!q) return undefined;
    if (q.hasDetails) fail('EF2003', `tensor '${t.name}' uses custom quantization details`, { file: this.file });
    if (q.scale.length === 0) return undefined;
    const zp = q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0);
    if (zp.length !== q.scale.length) this.r.bad(`tensor '${t.name}' has ${q.scale.length} scales and ${zp.length} zero points`);
    let axis = q.dim;
    // TOCO writes the depthwise filter's axis (3) on the matching rank-1 bias too; the only axis there is 0.
    if (q.scale.length > 1 && shape.length === 1 && shape[0] === q.scale.length) axis = 0;
    if (q.scale.length > 1 && !(axis >= 0 && axis < shape.length && shape[axis] === q.scale.length))
      this.r.bad(`tensor '${t.name}' has ${q.scale.length} scales along axis ${q.dim} of [${shape}]`);
    return { scale: q.scale.map(Math.fround), zeroPoint: zp.slice(), axis };
  }

  /** Decoded constant data of tensor i, or undefined when it has none. */
  constData(i: number): TypedArray | undefined {
    const hit = this.constCache.get(i);
    if (hit !== undefined) return hit ?? undefined;
    const v = this.loadConst(i);
    this.constCache.set(i, v ?? null);
    return v;
  }

  private loadConst(i: number): TypedArray | undefined {
    if (this.folded.has(i)) return this.folded.get(i);
    if (this.produced.has(i) || this.sg.inputs.includes(i)) return undefined;
    const t = this.tf(i);
    if (t.buffer >= this.m.buffers.length) this.r.bad(`tensor '${t.name}' refers to buffer ${t.buffer} of ${this.m.buffers.length}`);
    const buf = this.m.buffers[t.buffer];
    if (buf.size === 0) return undefined;
    if (t.sparse) fail('EF2006', `tensor '${t.name}' is stored sparse`, { file: this.file, suggestion: 'convert without sparsity' });
    const dt = this.dtypeOf(t);
    const shape = this.shapeOf(t);
    const n = shapeSize(shape);
    const es = TT_SIZE[t.type]!;
    if (buf.size !== n * es) this.r.bad(`constant '${t.name}' holds ${buf.size} bytes for ${TT_NAME[t.type]}[${shape}] (${n * es} expected)`);
    // Copy out (Buffer.slice would alias the file and keep its odd alignment).
    const raw = new Uint8Array(buf.size);
    raw.set(this.r.bytes.subarray(buf.start, buf.start + buf.size));
    const dv = new DataView(raw.buffer);
    switch (t.type) {
      case TT.FLOAT32:
        return new Float32Array(raw.buffer, 0, n);
      case TT.FLOAT16: {
        const out = new Float32Array(n);
        for (let k = 0; k < n; k++) out[k] = halfToFloat(dv.getUint16(2 * k, true));
        return out;
      }
      case TT.FLOAT64:
        return new Float64Array(raw.buffer, 0, n);
      case TT.INT8:
        return new Int8Array(raw.buffer, 0, n);
      case TT.UINT8:
      case TT.BOOL:
        return raw;
      case TT.INT16:
        return new Int16Array(raw.buffer, 0, n);
      case TT.UINT16:
        return new Uint16Array(raw.buffer, 0, n);
      case TT.INT32:
        return new Int32Array(raw.buffer, 0, n);
      case TT.INT64: {
        const out = new Float64Array(n);
        for (let k = 0; k < n; k++) out[k] = Number(dv.getBigInt64(8 * k, true));
        return out;
      }
    }
    return fail('EF2006', `constant '${t.name}' has unsupported type ${dt}`, { file: this.file });
  }

  /** IR id of TFLite tensor i (created on first use). */
  tid(i: number): number {
    const have = this.ids.get(i);
    if (have !== undefined) return have;
    const t = this.tf(i);
    const shape = this.shapeOf(t);
    const data = this.constData(i);
    let dtype = this.dtypeOf(t);
    if (t.type === TT.FLOAT16 && !data) fail('EF2006', `tensor '${t.name}' is a float16 activation`, { file: this.file });
    if (this.folded.has(i)) dtype = 'float32';
    if (t.isVariable) fail('EF2003', `tensor '${t.name}' is a variable (stateful) tensor`, { file: this.file });
    const quant = this.folded.has(i) ? undefined : this.quantOf(t, shape);
    const id = this.b.tensor({ name: t.name, dtype, shape, ...(data ? { data } : {}), ...(quant ? { quant } : {}) });
    this.ids.set(i, id);
    return id;
  }

  /** An extra IR tensor (not in the file): reshape outputs, transposed weights. */
  newTensor(key: string, t: { name: string; dtype: DType; shape: number[]; data?: TypedArray; quant?: QuantParams }): number {
    const have = this.extra.get(key);
    if (have !== undefined) return have;
    const id = this.b.tensor({ name: t.name, dtype: t.dtype, shape: t.shape, ...(t.data ? { data: t.data } : {}), ...(t.quant ? { quant: t.quant } : {}) });
    this.extra.set(key, id);
    return id;
  }

  constInts(i: number, ctx: OpCtx, what: string): number[] {
    const t = this.tf(i);
    const d = this.constData(i);
    if (!d || (t.type !== TT.INT32 && t.type !== TT.INT64))
      fail('EF2005', `${opName(ctx.code)} needs ${what} as a constant int32 tensor ('${t.name}' is not)`, { file: this.file, node: ctx.name });
    return Array.from(d);
  }

  // ---------------------------------------------------------------- driver

  run(): Graph {
    const sg = this.sg;
    for (const op of sg.operators) for (const o of op.outputs) if (o >= 0) this.produced.add(o);
    for (const i of sg.inputs) this.tf(i, 'graph input');
    for (const i of sg.outputs) this.tf(i, 'graph output');
    this.foldDequantize();
    this.b.inputs = sg.inputs.map((i) => this.tid(i));
    sg.operators.forEach((op, k) => this.convert(op, k));
    if (this.unsupported.length)
      fail('EF2002', `unsupported TFLite operator${this.unsupported.length > 1 ? 's' : ''}: ${this.unsupported.join(', ')}`, {
        file: this.file,
        suggestion: 'see `espforge inspect --list-ops` for the supported operators; replace these layers before converting',
      });
    this.b.outputs = sg.outputs.map((i) => this.tid(i));
    this.dequantizeHybridWeights();
    if (this.m.subgraphs.length > 1) this.notes.push(`the file holds ${this.m.subgraphs.length} subgraphs; only subgraph 0 is imported`);
    if (this.notes.length) this.b.meta.info!.notes = this.notes.join('; ');
    // TFLite has no explicit convolution pads: PAD + CONV_2D(VALID) becomes the convolution the source had
    const g = foldPad(this.b.build());
    const errs: Diagnostic[] = verifyGraph(g).map((d) => ({ ...d, file: this.file }));
    if (errs.length) throw new EspforgeError(errs);
    return g;
  }

  private opcode(op: TfOperator, k: number): { code: number; custom?: string } {
    if (op.opcodeIndex >= this.m.opcodes.length) this.r.bad(`operator ${k} uses opcode ${op.opcodeIndex} of ${this.m.opcodes.length}`);
    return this.m.opcodes[op.opcodeIndex];
  }

  private ctx(op: TfOperator, k: number): OpCtx {
    const { code } = this.opcode(op, k);
    if (op.outputs.length === 0) this.r.bad(`operator ${k} (${opName(code)}) has no outputs`);
    for (const i of op.inputs) if (i !== -1) this.tf(i, `operator ${k} input`);
    for (const i of op.outputs) this.tf(i, `operator ${k} output`);
    const irName = this.opNames?.[k] ?? undefined;
    const name = irName ?? (this.sg.tensors[op.outputs[0]].name || `op${k}`);
    const self = this;
    return {
      op,
      code,
      name,
      irName,
      irAttrs: this.opAttrs?.[k],
      tin: (j) => (j < op.inputs.length ? op.inputs[j] : -1),
      tout: (j) => {
        if (j >= op.outputs.length) self.r.bad(`${opName(code)} '${name}' lacks output ${j}`);
        return op.outputs[j];
      },
      opts(expected: number): Opts {
        if (op.optionsType !== 0 && op.optionsType !== expected)
          self.r.bad(`${opName(code)} '${name}' carries builtin options of union type ${op.optionsType} (expected ${expected})`);
        return new Opts(self.r, op.optionsType === expected ? op.options : undefined, `options of '${name}'`);
      },
    };
  }

  /**
   * The source model's description of a layer that espforge's writer recorded (NODE_ATTRS_METADATA): the attributes
   * in `keys` (strings, or short lists of finite numbers), adopted only when `same` says they describe exactly what
   * the file's own operator computes; else undefined (the file's description stands).
   */
  private recordedAttrs(ctx: OpCtx, attrs: Attrs, keys: readonly string[], same: (cand: Attrs) => boolean): Attrs | undefined {
    const rec = ctx.irAttrs;
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return undefined;
    const cand: Attrs = { ...attrs };
    for (const [k, v] of Object.entries(rec)) {
      if (!keys.includes(k)) return undefined;
      if (!(typeof v === 'string' || (Array.isArray(v) && v.length <= 4 && v.every((e) => typeof e === 'number' && Number.isFinite(e))))) return undefined;
      cand[k] = v as string | number[];
    }
    try {
      return same(cand) ? cand : undefined;
    } catch {
      return undefined; // an attribute the op refuses: keep the file's own description
    }
  }

  /** A recorded nearest Resize description (its ONNX coordinate mode), when it gives exactly the file's index map. */
  private sourceResizeAttrs(ctx: OpCtx, xs: number[], attrs: Attrs): Attrs | undefined {
    return this.recordedAttrs(ctx, attrs, RESIZE_MAP_ATTRS, (cand) => {
      const a = nearestIndexMap(xs, attrs, ctx.name);
      const b = nearestIndexMap(xs, cand, ctx.name);
      return !!a && !!b && a.length === b.length && a.every((v, i) => v === b[i]);
    });
  }

  /** DEQUANTIZE of a constant (float16 or int8 weights): fold into a float32 constant. */
  private foldDequantize(): void {
    this.sg.operators.forEach((op, k) => {
      const { code } = this.opcode(op, k);
      if (code !== OP.DEQUANTIZE || op.inputs.length < 1 || op.outputs.length < 1) return;
      const xi = op.inputs[0];
      const t = this.tf(xi);
      this.tf(op.outputs[0]);
      if (this.produced.has(xi) || this.sg.inputs.includes(xi)) return;
      const d = this.constData(xi);
      if (!d) return;
      const out = new Float32Array(d.length);
      if (t.type === TT.FLOAT16 || t.type === TT.FLOAT32) out.set(d);
      else {
        const shape = this.shapeOf(t);
        const q = this.quantOf(t, shape);
        if (!q) fail('EF3001', `DEQUANTIZE input '${t.name}' has no quantization record`, { file: this.file });
        dequantInto(d, shape, q, out);
      }
      this.folded.set(op.outputs[0], out);
      this.constCache.delete(op.outputs[0]);
    });
  }

  /** Weight-only ("hybrid") models: float activations with int8 weights → float weights. */
  private dequantizeHybridWeights(): void {
    let n = 0;
    for (const node of this.b.nodes) {
      if (node.op !== 'Conv' && node.op !== 'FullyConnected') continue;
      const x = this.b.tensors[node.inputs[0]];
      const w = this.b.tensors[node.inputs[1]];
      if (x.dtype !== 'float32' || !w.data || (w.dtype !== 'int8' && w.dtype !== 'uint8')) continue;
      if (!w.quant) fail('EF3001', `int8 weight '${w.name}' of a float layer has no quantization record`, { file: this.file, node: node.name });
      const out = new Float32Array(w.data.length);
      dequantInto(w.data, w.shape, w.quant, out);
      this.b.tensors[w.id] = { ...w, dtype: 'float32', data: out, quant: undefined };
      n++;
    }
    if (n) this.notes.push(`weight-only quantized model: ${n} int8 weight tensor(s) dequantized to float32 at import`);
  }

  // ---------------------------------------------------------------- operators

  /**
   * Add a node, named (like every TFLite node) after its first output tensor; the operator's own node (the one
   * writing its output) takes the source node name when espforge's writer recorded it.
   */
  private node(ctx: OpCtx, op: string, inputs: number[], outputs: number[], attrs: Attrs, _label?: string): void {
    const own = ctx.irName !== undefined && ctx.op.outputs[0] >= 0 && this.ids.get(ctx.op.outputs[0]) === outputs[0];
    this.b.node({ op, name: own ? ctx.irName! : this.b.tensors[outputs[0]].name, inputs, outputs, attrs });
  }

  /** Emit `op` with a TFLite fused activation: IR activation attr, or a separate Tanh node for float graphs. */
  private fused(ctx: OpCtx, op: string, inputs: number[], attrs: Attrs, act: number, hasAttr = true): void {
    const y = this.tid(ctx.tout(0));
    const name = actName(act);
    if (name !== undefined && (hasAttr || name === 'none')) {
      this.node(ctx, op, inputs, [y], hasAttr ? { ...attrs, activation: name } : attrs);
      return;
    }
    const yt = this.b.tensors[y];
    const act2 = act === ACT.TANH ? 'Tanh' : name === 'relu' ? 'Relu' : name === 'relu6' || name === 'relu_n1_to_1' ? 'Clip' : undefined;
    if (!act2 || (act2 === 'Tanh' && yt.dtype !== 'float32'))
      fail('EF2003', `${opName(ctx.code)} has fused activation ${act} that espforge cannot import${act === ACT.TANH ? ' on a quantized tensor' : ''}`, {
        file: this.file,
        node: ctx.name,
      });
    const mid = this.newTensor(`pre_act:${ctx.tout(0)}`, { name: `${yt.name}/pre_act`, dtype: yt.dtype, shape: yt.shape.slice(), quant: yt.quant });
    this.node(ctx, op, inputs, [mid], hasAttr ? { ...attrs, activation: 'none' } : attrs, `${ctx.name}/pre_act`);
    const clip: Attrs = name === 'relu6' ? { min: 0, max: 6 } : { min: -1, max: 1 };
    this.node(ctx, act2, [mid], [y], act2 === 'Clip' ? clip : {});
  }

  private need(ctx: OpCtx, n: number): void {
    for (let j = 0; j < n; j++)
      if (ctx.tin(j) < 0) this.r.bad(`${opName(ctx.code)} '${ctx.name}' lacks input ${j}`);
  }

  private shapeOfIn(ctx: OpCtx, j: number): number[] {
    return this.shapeOf(this.tf(ctx.tin(j)));
  }

  private rank(ctx: OpCtx, j: number, r: number, what: string): number[] {
    const s = this.shapeOfIn(ctx, j);
    if (s.length !== r) fail('EF1004', `${opName(ctx.code)} ${what} has rank ${s.length} ([${s}]); ${r} expected`, { file: this.file, node: ctx.name });
    return s;
  }

  private weight(ctx: OpCtx, j: number): void {
    if (!this.constData(ctx.tin(j)))
      fail('EF2005', `${opName(ctx.code)} input ${j} ('${this.tf(ctx.tin(j)).name}') must be a constant`, { file: this.file, node: ctx.name });
  }

  private window(ctx: OpCtx, o: Opts, f: { padding: number; sw: number; sh: number; dw?: number; dh?: number }, kH: number, kW: number, xs: number[]) {
    const strides = [o.int(f.sh, 0), o.int(f.sw, 0)];
    const dilations = f.dh !== undefined ? [o.int(f.dh, 1), o.int(f.dw!, 1)] : [1, 1];
    const pad = o.byte(f.padding, Padding.SAME);
    if (strides.some((s) => !(s >= 1 && s <= 1 << 16)) || dilations.some((d) => !(d >= 1 && d <= 1 << 16)))
      this.r.bad(`${opName(ctx.code)} '${ctx.name}' has strides [${strides}] dilations [${dilations}]`);
    if (!(kH >= 1 && kW >= 1)) this.r.bad(`${opName(ctx.code)} '${ctx.name}' has a ${kH}x${kW} window`);
    let pads: number[];
    if (pad === Padding.SAME) pads = samePads(xs[1], xs[2], kH, kW, strides, dilations);
    else if (pad === Padding.VALID) pads = [0, 0, 0, 0];
    else return this.r.bad(`${opName(ctx.code)} '${ctx.name}' has padding code ${pad}`);
    return { strides, dilations, pads };
  }

  private convert(op: TfOperator, k: number): void {
    if (this.absorbed.has(k)) return;
    const oc = this.opcode(op, k);
    const ctx = this.ctx(op, k);
    const code = ctx.code;
    const x = () => this.tid(ctx.tin(0));
    const y = () => this.tid(ctx.tout(0));
    switch (code) {
      case OP.CONV_2D: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.Conv2DOptions);
        const f = F.Conv2DOptions;
        const xs = this.rank(ctx, 0, 4, 'input');
        const ws = this.rank(ctx, 1, 4, 'filter');
        this.weight(ctx, 1);
        if (ws[3] < 1 || xs[3] % ws[3] !== 0 || ws[0] % (xs[3] / ws[3]) !== 0)
          fail('EF1004', `CONV_2D filter [${ws}] does not fit input [${xs}]`, { file: this.file, node: ctx.name });
        const w = this.window(ctx, o, { padding: f.padding, sw: f.stride_w, sh: f.stride_h, dw: f.dilation_w_factor, dh: f.dilation_h_factor }, ws[1], ws[2], xs);
        const ins = [x(), this.tid(ctx.tin(1)), ctx.tin(2) >= 0 ? this.tid(ctx.tin(2)) : -1];
        const attrs = { strides: w.strides, dilations: w.dilations, pads: w.pads, group: xs[3] / ws[3] };
        this.fused(ctx, 'Conv', ins, attrs, o.byte(f.fused_activation_function));
        return;
      }
      case OP.DEPTHWISE_CONV_2D: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.DepthwiseConv2DOptions);
        const f = F.DepthwiseConv2DOptions;
        const xs = this.rank(ctx, 0, 4, 'input');
        const ws = this.rank(ctx, 1, 4, 'filter');
        this.weight(ctx, 1);
        const cin = xs[3];
        const cout = ws[3];
        if (ws[0] !== 1 || cin < 1 || cout % cin !== 0)
          fail('EF1004', `DEPTHWISE_CONV_2D filter [${ws}] does not fit input [${xs}]`, { file: this.file, node: ctx.name });
        const mult = o.int(f.depth_multiplier, 0);
        if (mult !== 0 && mult * cin !== cout)
          this.notes.push(`'${ctx.name}': depth_multiplier ${mult} disagrees with the filter (${cout / cin}); the filter wins`);
        const win = this.window(ctx, o, { padding: f.padding, sw: f.stride_w, sh: f.stride_h, dw: f.dilation_w_factor, dh: f.dilation_h_factor }, ws[1], ws[2], xs);
        const ins = [x(), this.depthwiseWeight(ctx.tin(1), ws), ctx.tin(2) >= 0 ? this.tid(ctx.tin(2)) : -1];
        const attrs = { strides: win.strides, dilations: win.dilations, pads: win.pads, group: cin };
        this.fused(ctx, 'Conv', ins, attrs, o.byte(f.fused_activation_function));
        return;
      }
      case OP.FULLY_CONNECTED: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.FullyConnectedOptions);
        const f = F.FullyConnectedOptions;
        if (o.byte(f.weights_format, 0) !== 0)
          fail('EF2003', 'FULLY_CONNECTED with shuffled weights is not supported', { file: this.file, node: ctx.name });
        const ws = this.rank(ctx, 1, 2, 'filter');
        this.weight(ctx, 1);
        const xs = this.shapeOfIn(ctx, 0);
        const K = ws[1];
        let xin = x();
        if (!o.bool(f.keep_num_dims, false) && xs.length !== 2) {
          const n = shapeSize(xs);
          if (K < 1 || n % K !== 0) fail('EF1004', `FULLY_CONNECTED input [${xs}] is not a multiple of depth ${K}`, { file: this.file, node: ctx.name });
          const xt = this.b.tensors[xin];
          const flat = this.newTensor(`flat:${ctx.tin(0)}:${K}`, { name: `${xt.name}/flat`, dtype: xt.dtype, shape: [n / K, K], quant: xt.quant });
          this.node(ctx, 'Reshape', [xin], [flat], { shape: [n / K, K] }, `${ctx.name}/flatten`);
          xin = flat;
        }
        const wid = this.tid(ctx.tin(1));
        const bias = ctx.tin(2) >= 0 ? this.tid(ctx.tin(2)) : -1;
        this.fused(ctx, 'FullyConnected', [xin, wid, bias], {}, o.byte(f.fused_activation_function));
        return;
      }
      case OP.ADD:
      case OP.SUB:
      case OP.MUL:
      case OP.DIV: {
        this.need(ctx, 2);
        const [irOp, opt, field] =
          code === OP.ADD ? ['Add', OPT.AddOptions, F.AddOptions.fused_activation_function]
          : code === OP.SUB ? ['Sub', OPT.SubOptions, F.SubOptions.fused_activation_function]
          : code === OP.MUL ? ['Mul', OPT.MulOptions, F.MulOptions.fused_activation_function]
          : ['Div', OPT.DivOptions, F.DivOptions.fused_activation_function];
        const o = ctx.opts(opt);
        this.fused(ctx, irOp, [x(), this.tid(ctx.tin(1))], {}, o.byte(field));
        return;
      }
      case OP.MAXIMUM:
      case OP.MINIMUM:
        this.need(ctx, 2);
        this.node(ctx, code === OP.MAXIMUM ? 'Max' : 'Min', [x(), this.tid(ctx.tin(1))], [y()], {});
        return;
      case OP.AVERAGE_POOL_2D:
      case OP.MAX_POOL_2D: {
        this.need(ctx, 1);
        const o = ctx.opts(OPT.Pool2DOptions);
        const f = F.Pool2DOptions;
        const xs = this.rank(ctx, 0, 4, 'input');
        const kernel = [o.int(f.filter_height, 0), o.int(f.filter_width, 0)];
        const w = this.window(ctx, o, { padding: f.padding, sw: f.stride_w, sh: f.stride_h }, kernel[0], kernel[1], xs);
        const attrs: Attrs = { kernel, strides: w.strides, pads: w.pads, dilations: [1, 1], ceil_mode: 0 };
        if (code === OP.AVERAGE_POOL_2D) attrs.count_include_pad = 0;
        this.fused(ctx, code === OP.MAX_POOL_2D ? 'MaxPool' : 'AveragePool', [x()], attrs, o.byte(f.fused_activation_function));
        return;
      }
      case OP.MEAN:
      case OP.REDUCE_MAX: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.ReducerOptions);
        const rank = this.shapeOfIn(ctx, 0).length;
        const axes = this.axes(ctx, this.constInts(ctx.tin(1), ctx, 'the axes'), rank);
        const keepdims = o.bool(F.ReducerOptions.keep_dims, false) ? 1 : 0;
        this.node(ctx, code === OP.MEAN ? 'ReduceMean' : 'ReduceMax', [x()], [y()], { axes, keepdims });
        return;
      }
      case OP.RESHAPE:
      case OP.SQUEEZE:
      case OP.EXPAND_DIMS: {
        this.need(ctx, 1);
        const xs = this.shapeOfIn(ctx, 0);
        const ys = this.shapeOf(this.tf(ctx.tout(0)));
        let shape = ys;
        if (shapeSize(ys) !== shapeSize(xs)) {
          // The stored output shape disagrees: fall back to what the operator asks for.
          let req: number[] | undefined;
          if (code === OP.RESHAPE) {
            const si = ctx.tin(1);
            req = si >= 0 && this.constData(si) ? this.constInts(si, ctx, 'the new shape') : ctx.opts(OPT.ReshapeOptions).ints(F.ReshapeOptions.new_shape);
          }
          if (!req || !reshapeOk(xs, req)) fail('EF1004', `${opName(code)} cannot turn [${xs}] into [${ys}]`, { file: this.file, node: ctx.name });
          shape = req;
        }
        this.node(ctx, 'Reshape', [x()], [y()], { shape });
        return;
      }
      case OP.SOFTMAX: {
        this.need(ctx, 1);
        const beta = ctx.opts(OPT.SoftmaxOptions).f32(F.SoftmaxOptions.beta, 1);
        if (!(beta > 0) || !Number.isFinite(beta))
          fail('EF1006', `SOFTMAX beta ${beta} is not a positive finite number`, { file: this.file, node: ctx.name });
        this.node(ctx, 'Softmax', [x()], [y()], beta === 1 ? { axis: -1 } : { axis: -1, beta });
        return;
      }
      case OP.LOG_SOFTMAX:
        this.need(ctx, 1);
        this.node(ctx, 'LogSoftmax', [x()], [y()], { axis: -1 });
        return;
      case OP.LOGISTIC:
      case OP.TANH:
      case OP.RELU:
      case OP.HARD_SWISH:
      case OP.ELU:
        this.need(ctx, 1);
        this.node(ctx, { [OP.LOGISTIC]: 'Sigmoid', [OP.TANH]: 'Tanh', [OP.RELU]: 'Relu', [OP.HARD_SWISH]: 'HardSwish', [OP.ELU]: 'Elu' }[code]!, [x()], [y()], code === OP.ELU ? { alpha: 1 } : {});
        return;
      case OP.RELU6:
      case OP.RELU_N1_TO_1:
        this.need(ctx, 1);
        this.node(ctx, 'Clip', [x()], [y()], code === OP.RELU6 ? { min: 0, max: 6 } : { min: -1, max: 1 });
        return;
      case OP.LEAKY_RELU:
        this.need(ctx, 1);
        this.node(ctx, 'LeakyRelu', [x()], [y()], { alpha: ctx.opts(OPT.LeakyReluOptions).f32(F.LeakyReluOptions.alpha, 0) });
        return;
      case OP.PRELU:
        this.need(ctx, 2);
        this.node(ctx, 'PRelu', [x(), this.tid(ctx.tin(1))], [y()], {});
        return;
      case OP.PAD:
      case OP.PADV2: {
        this.need(ctx, 2);
        const xs = this.shapeOfIn(ctx, 0);
        const p = this.constInts(ctx.tin(1), ctx, 'the paddings');
        if (p.length !== 2 * xs.length || p.some((v) => v < 0))
          fail('EF1004', `${opName(code)} paddings [${p}] do not fit input rank ${xs.length}`, { file: this.file, node: ctx.name });
        const pads = [...xs.map((_, a) => p[2 * a]), ...xs.map((_, a) => p[2 * a + 1])];
        // The IR's `value` is a REAL value (the integer kernel quantizes it with the output scale and zero point).
        // PAD fills with real 0, i.e. the output zero point. PADV2's constant is stored quantized: it becomes the
        // real value it represents, (c - zp) * s with the constant's own record (the output's when it has none),
        // which the integer kernel maps back to exactly c.
        let value = 0;
        if (code === OP.PADV2 && ctx.tin(2) >= 0) {
          const ci = ctx.tin(2);
          const v = this.constData(ci);
          if (!v || v.length !== 1) fail('EF2005', 'PADV2 needs a constant scalar pad value', { file: this.file, node: ctx.name });
          value = v[0];
          const ct = this.tf(ci);
          const yt = this.tf(ctx.tout(0));
          const qy = this.quantOf(yt, this.shapeOf(yt));
          if (ct.type !== TT.FLOAT32 && ct.type !== TT.FLOAT16 && qy) {
            // TFLite fills with the stored constant and requires it to share the output's scale and zero point
            const qc = this.quantOf(ct, this.shapeOf(ct));
            if (qc && (qc.scale[0] !== qy.scale[0] || qc.zeroPoint[0] !== qy.zeroPoint[0]))
              fail('EF2003', `PADV2 constant '${ct.name}' is quantized with scale ${qc.scale[0]}, zero point ${qc.zeroPoint[0]}; the output with scale ${qy.scale[0]}, zero point ${qy.zeroPoint[0]}`, {
                file: this.file,
                node: ctx.name,
                suggestion: 'TFLite requires the pad constant to share the output quantization; re-convert the model',
              });
            value = (v[0] - qy.zeroPoint[0]) * qy.scale[0];
          }
        }
        this.node(ctx, 'Pad', [x()], [y()], { pads, mode: 'constant', value });
        return;
      }
      case OP.CONCATENATION: {
        if (op.inputs.length < 1 || op.inputs.some((i) => i < 0)) this.r.bad(`CONCATENATION '${ctx.name}' has a missing input`);
        const o = ctx.opts(OPT.ConcatenationOptions);
        const f = F.ConcatenationOptions;
        const rank = this.shapeOf(this.tf(ctx.tout(0))).length;
        const axis = this.axes(ctx, [o.int(f.axis, 0)], rank)[0];
        this.fused(ctx, 'Concat', op.inputs.map((i) => this.tid(i)), { axis }, o.byte(f.fused_activation_function), false);
        return;
      }
      case OP.QUANTIZE: {
        this.need(ctx, 1);
        const yt = this.b.tensors[y()];
        if (!yt.quant) fail('EF3001', `QUANTIZE output '${yt.name}' has no quantization record`, { file: this.file, node: ctx.name });
        const xt = this.b.tensors[x()];
        if (xt.dtype !== 'float32' && !xt.quant)
          fail('EF3001', `QUANTIZE (requantize) input '${xt.name}' has no quantization record`, { file: this.file, node: ctx.name });
        this.node(ctx, 'Quantize', [x()], [y()], { scale: yt.quant.scale.slice(), zero_point: yt.quant.zeroPoint.slice(), axis: yt.quant.axis, to: yt.dtype });
        return;
      }
      case OP.DEQUANTIZE: {
        this.need(ctx, 1);
        if (this.folded.has(ctx.tout(0))) return;
        const xt = this.b.tensors[x()];
        if (!xt.quant) fail('EF3001', `DEQUANTIZE input '${xt.name}' has no quantization record`, { file: this.file, node: ctx.name });
        this.node(ctx, 'Dequantize', [x()], [y()], { scale: xt.quant.scale.slice(), zero_point: xt.quant.zeroPoint.slice(), axis: xt.quant.axis });
        return;
      }
      case OP.TRANSPOSE: {
        this.need(ctx, 2);
        const rank = this.shapeOfIn(ctx, 0).length;
        const perm = this.constInts(ctx.tin(1), ctx, 'the permutation');
        if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((v, i) => v !== i))
          fail('EF1006', `TRANSPOSE permutation [${perm}] is not a permutation of rank ${rank}`, { file: this.file, node: ctx.name });
        this.node(ctx, 'Transpose', [x()], [y()], { perm });
        return;
      }
      case OP.RESIZE_NEAREST_NEIGHBOR: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.ResizeNearestNeighborOptions);
        const f = F.ResizeNearestNeighborOptions;
        const align = o.bool(f.align_corners, false);
        const half = o.bool(f.half_pixel_centers, false);
        if (align && half)
          fail('EF2003', 'RESIZE_NEAREST_NEIGHBOR with both align_corners and half_pixel_centers is not supported', { file: this.file, node: ctx.name });
        const xs = this.rank(ctx, 0, 4, 'input');
        const size = this.constInts(ctx.tin(1), ctx, 'the output size');
        if (size.length !== 2 || size.some((d) => !(Number.isInteger(d) && d >= 1 && d <= MAX_ELEMS)))
          fail('EF1006', `RESIZE_NEAREST_NEIGHBOR size [${size}] must be two positive integers`, { file: this.file, node: ctx.name });
        const ctm = align ? 'tflite_align_corners' : half ? 'tflite_half_pixel' : 'tflite_asymmetric';
        const attrs: Attrs = { mode: 'nearest', coordinate_transformation_mode: ctm, sizes: [xs[0], size[0], size[1], xs[3]] };
        this.node(ctx, 'Resize', [x()], [y()], this.sourceResizeAttrs(ctx, xs, attrs) ?? attrs);
        return;
      }
      case OP.RESIZE_BILINEAR: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.ResizeBilinearOptions);
        const f = F.ResizeBilinearOptions;
        const align = o.bool(f.align_corners, false);
        const half = o.bool(f.half_pixel_centers, false);
        if (align && half)
          fail('EF2003', 'RESIZE_BILINEAR with both align_corners and half_pixel_centers is not supported', { file: this.file, node: ctx.name });
        const xs = this.rank(ctx, 0, 4, 'input');
        const size = this.constInts(ctx.tin(1), ctx, 'the output size');
        if (size.length !== 2 || size.some((d) => !(Number.isInteger(d) && d >= 1 && d <= MAX_ELEMS)))
          fail('EF1006', `RESIZE_BILINEAR size [${size}] must be two positive integers`, { file: this.file, node: ctx.name });
        const sizes = [xs[0], size[0], size[1], xs[3]];
        const attrs: Attrs = { mode: 'linear', coordinate_transformation_mode: bilinearModeName(align, half), sizes };
        // the source's description (PyTorch's pytorch_half_pixel, its scales) when it has the same sample points
        const same = (cand: Attrs) => {
          const m = tfliteBilinearOptions(xs, sizes, cand);
          return typeof m !== 'string' && m.align === align && m.half === half;
        };
        this.node(ctx, 'Resize', [x()], [y()], this.recordedAttrs(ctx, attrs, RESIZE_MAP_ATTRS, same) ?? attrs);
        return;
      }
      case OP.TRANSPOSE_CONV:
        this.transposeConv(ctx);
        return;
      case OP.GELU:
        this.need(ctx, 1);
        this.node(ctx, 'Gelu', [x()], [y()], { approximate: ctx.opts(OPT.GeluOptions).bool(F.GeluOptions.approximate, false) ? 'tanh' : 'none' });
        return;
      case OP.STRIDED_SLICE:
        this.stridedSlice(ctx);
        return;
      case OP.GATHER: {
        this.need(ctx, 2);
        const o = ctx.opts(OPT.GatherOptions);
        if (o.int(F.GatherOptions.batch_dims, 0) !== 0) fail('EF2003', 'GATHER with batch_dims is not supported', { file: this.file, node: ctx.name });
        const rank = this.shapeOfIn(ctx, 0).length;
        const axis = this.axes(ctx, [o.int(F.GatherOptions.axis, 0)], rank)[0];
        this.node(ctx, 'Gather', [x(), this.tid(ctx.tin(1))], [y()], { axis });
        return;
      }
      case OP.ARG_MAX: {
        this.need(ctx, 2);
        const rank = this.shapeOfIn(ctx, 0).length;
        const a = this.constInts(ctx.tin(1), ctx, 'the axis');
        if (a.length !== 1) fail('EF1006', 'ARG_MAX needs one axis', { file: this.file, node: ctx.name });
        this.node(ctx, 'ArgMax', [x()], [y()], { axis: this.axes(ctx, a, rank)[0], keepdims: 0, select_last_index: 0 });
        return;
      }
      case OP.CAST:
        this.need(ctx, 1);
        this.node(ctx, 'Cast', [x()], [y()], { to: this.b.tensors[y()].dtype });
        return;
      case OP.UNIDIRECTIONAL_SEQUENCE_LSTM:
        this.lstm(ctx, k);
        return;
      default:
        this.unsupported.push(`${oc.custom !== undefined && code === OP.CUSTOM ? `CUSTOM(${oc.custom})` : opName(code)} (node '${ctx.name}')`);
    }
  }

  /**
   * A later STRIDED_SLICE (index) that takes exactly the last time step of LSTM output `yi` [T,B,H] / [B,T,H]
   * (time axis `t`) as [B,H] with the output's quantization: that is the LSTM's Y_h (what the writer writes for it).
   */
  private lastStepSlice(k: number, yi: number, t: number): number | undefined {
    const y = this.tf(yi);
    const ys = this.shapeOf(y);
    const yq = this.quantOf(y, ys);
    for (let j = k + 1; j < this.sg.operators.length; j++) {
      const op = this.sg.operators[j];
      if (this.opcode(op, j).code !== OP.STRIDED_SLICE || op.inputs[0] !== yi || op.inputs.length !== 4 || op.outputs.length !== 1 || op.inputs.some((i) => i < 0)) continue;
      const ints = op.inputs.slice(1).map((i) => {
        const tt = this.tf(i);
        const d = tt.type === TT.INT32 ? this.constData(i) : undefined;
        return d ? Array.from(d) : undefined;
      });
      const o = new Opts(this.r, op.optionsType === OPT.StridedSliceOptions ? op.options : undefined, 'STRIDED_SLICE options');
      const f = F.StridedSliceOptions;
      if (o.int(f.begin_mask) || o.int(f.end_mask) || o.int(f.ellipsis_mask) || o.int(f.new_axis_mask) || o.bool(f.offset, false) || o.int(f.shrink_axis_mask) !== 1 << t) continue;
      const begin = ys.map((d, a) => (a === t ? d - 1 : 0));
      const [b, e, s] = ints;
      if (!b || !e || !s || b.join() !== begin.join() || e.join() !== ys.join() || s.some((v) => v !== 1)) continue;
      const out = this.tf(op.outputs[0]);
      const os = this.shapeOf(out);
      const oq = this.quantOf(out, os);
      const sameQ = (!yq && !oq) || (!!yq && !!oq && yq.scale.join() === oq.scale.join() && yq.zeroPoint.join() === oq.zeroPoint.join());
      if (out.type !== y.type || os.join() !== ys.filter((_, a) => a !== t).join() || !sameQ) continue;
      return j;
    }
    return undefined;
  }

  /** UNIDIRECTIONAL_SEQUENCE_LSTM (TFLM's form) → Lstm with Y_h / Y_c outputs of its own (see lstm.ts). */
  private lstm(ctx: OpCtx, k: number): void {
    const o = ctx.opts(OPT.UnidirectionalSequenceLSTMOptions);
    const f = F.UnidirectionalSequenceLSTMOptions;
    const bad = (what: string) => fail('EF2003', `UNIDIRECTIONAL_SEQUENCE_LSTM with ${what} is not supported`, { file: this.file, node: ctx.name });
    if (o.byte(f.fused_activation_function, ACT.TANH) !== ACT.TANH) bad('a cell activation other than TANH');
    if (o.f32(f.cell_clip, 0) !== 0 || o.f32(f.proj_clip, 0) !== 0) bad('cell or projection clipping');
    if ([9, 10, 11, 16, 17, 20, 21, 22, 23].some((j) => ctx.tin(j) >= 0)) bad('peepholes, projection or layer normalization');
    if ([1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 18, 19].some((j) => ctx.tin(j) < 0)) bad('a coupled input gate (CIFG) or missing state tensors');
    const part = (j: number) => {
      const t = this.tf(ctx.tin(j));
      const shape = this.shapeOf(t);
      return { dtype: this.dtypeOf(t), shape, data: this.constData(ctx.tin(j)), quant: this.quantOf(t, shape) };
    };
    const W = joinGates([1, 2, 3, 4].map(part), 'input weights', ctx.name);
    const R = joinGates([5, 6, 7, 8].map(part), 'recurrent weights', ctx.name);
    const B = joinGates([12, 13, 14, 15].map(part), 'gate biases', ctx.name);
    const [hs, cs] = [18, 19].map((j) => {
      const t = this.tf(ctx.tin(j));
      if (!t.isVariable || this.constData(ctx.tin(j))) bad(`state tensor '${t.name}' that is not a zero-initialised variable`);
      const shape = this.shapeOf(t);
      return { dtype: this.dtypeOf(t), shape, quant: this.quantOf(t, shape) };
    });
    const xi = this.tid(ctx.tin(0));
    const yi = this.tid(ctx.tout(0));
    const yt = this.b.tensors[yi];
    const same = (a?: QuantParams, b?: QuantParams) => (!a && !b) || (!!a && !!b && a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0]);
    if (!same(hs.quant, yt.quant)) fail('EF3004', 'UNIDIRECTIONAL_SEQUENCE_LSTM output state and output are quantized differently', { file: this.file, node: ctx.name });
    const k0 = ctx.tout(0);
    const mk = (key: string, v: { dtype: DType; shape: number[]; data?: TypedArray; quant?: QuantParams }, suffix: string) =>
      this.newTensor(`lstm${key}:${k0}`, { name: `${ctx.name}/${suffix}`, ...v });
    const ids = [mk('W', W, 'W'), mk('R', R, 'R'), mk('B', B, 'B')];
    // Y_h: the last-step slice of the sequence when the file takes it (espforge's writer does for a Y_h that is read)
    const last = this.lastStepSlice(k, k0, o.bool(f.time_major, false) ? 0 : 1);
    if (last !== undefined) this.absorbed.add(last);
    const yh = last !== undefined ? this.tid(this.sg.operators[last].outputs[0]) : mk('h', { dtype: yt.dtype, shape: hs.shape, quant: yt.quant }, 'Y_h');
    // Y_c, the final cell state, is named after the cell-state variable (espforge's writer uses the source's Y_c)
    const yc = this.newTensor(`lstmc:${k0}`, { name: this.tf(ctx.tin(19)).name || `${ctx.name}/Y_c`, dtype: cs.dtype, shape: cs.shape, quant: cs.quant });
    this.node(ctx, 'Lstm', [xi, ...ids], [yi, yh, yc], { layout: o.bool(f.time_major, false) ? 0 : 1 });
  }

  private axes(ctx: OpCtx, axes: number[], rank: number): number[] {
    return axes.map((a) => {
      if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1))
        fail('EF1006', `${opName(ctx.code)} axis ${a} is out of range for rank ${rank}`, { file: this.file, node: ctx.name });
      return a < 0 ? a + rank : a;
    });
  }

  /**
   * TRANSPOSE_CONV (inputs: output_shape, weights [Cout,KH,KW,Cin], input, optional bias) → ConvTranspose with
   * weights [Cin,KH,KW,Cout]. TFLite places tap k of input pixel i at i·stride − pad + k, pad from SAME (computed on
   * the output extent) or 0 (VALID), and crops at output_shape: the IR's pads begin with that pad, and the output
   * extent is met by cropping the end (pads) or extending it (output_padding). The writer's record of the source's
   * own pads / output_padding / dilations is adopted when it describes the same computation (below).
   */
  private transposeConv(ctx: OpCtx): void {
    this.need(ctx, 3);
    const o = ctx.opts(OPT.TransposeConvOptions);
    const f = F.TransposeConvOptions;
    const ws = this.rank(ctx, 1, 4, 'filter');
    const xs = this.rank(ctx, 2, 4, 'input');
    this.weight(ctx, 1);
    const outShape = this.constInts(ctx.tin(0), ctx, 'the output shape');
    const ys = this.shapeOf(this.tf(ctx.tout(0)));
    if (outShape.length !== 4 || outShape.some((d, i) => d !== ys[i]))
      fail('EF1004', `TRANSPOSE_CONV output_shape [${outShape}] differs from its output tensor [${ys}]`, { file: this.file, node: ctx.name });
    const [Cout, KH, KW, Cin] = ws;
    if (Cin !== xs[3] || Cout !== ys[3] || ys[0] !== xs[0])
      fail('EF1004', `TRANSPOSE_CONV filter [${ws}] does not fit input [${xs}] and output [${ys}]`, { file: this.file, node: ctx.name });
    const strides = [o.int(f.stride_h, 0), o.int(f.stride_w, 0)];
    if (strides.some((s) => !(s >= 1 && s <= 1 << 16))) this.r.bad(`TRANSPOSE_CONV '${ctx.name}' has strides [${strides}]`);
    const pad = o.byte(f.padding, Padding.SAME);
    if (pad !== Padding.SAME && pad !== Padding.VALID) this.r.bad(`TRANSPOSE_CONV '${ctx.name}' has padding code ${pad}`);
    const begin = [0, 1].map((a) => (pad === Padding.SAME ? transposeConvPad(ys[1 + a], ws[1 + a], strides[a]) : 0));
    const pads = [begin[0], begin[1], 0, 0];
    const outPad = [0, 0];
    [0, 1].forEach((a) => {
      const rest = (xs[1 + a] - 1) * strides[a] + ws[1 + a] - begin[a] - ys[1 + a];
      if (rest >= 0) pads[2 + a] = rest;
      else outPad[a] = -rest;
    });
    // TFLite filter [Cout,KH,KW,Cin] → IR [Cin,KH,KW,Cout] (per-channel axis 0 → 3). espforge's writer spreads a
    // dilated filter with zeros between its taps and adds zero taps before or after it to place the output where
    // the source's pads do (transposeConvTaps); with its record of the source's pads / output_padding / dilations
    // the IR filter is taken back: tap k of the IR is file tap lead + k·d, with lead = SAME pad − IR pad and the IR
    // extent fixed by the output size. The record is adopted only when that fits and every other tap is zero.
    const ti = ctx.tin(1);
    const t = this.tf(ti);
    const src = this.constData(ti)!;
    const taps = (cand: Attrs) => {
      const d = (cand.dilations as number[] | undefined) ?? [1, 1];
      const p = (cand.pads as number[] | undefined) ?? [0, 0, 0, 0];
      const op = (cand.output_padding as number[] | undefined) ?? [0, 0];
      const lead = [0, 0];
      const k = [0, 0];
      for (const a of [0, 1]) {
        lead[a] = begin[a] - p[a];
        const span = ys[1 + a] - (xs[1 + a] - 1) * strides[a] - 1 - op[a] + p[a] + p[2 + a];
        if (!Number.isInteger(d[a]) || !(d[a] >= 1) || lead[a] < 0 || span < 0 || span % d[a] !== 0) return undefined;
        k[a] = span / d[a] + 1;
        if (lead[a] + span + 1 > ws[1 + a]) return undefined;
      }
      for (let i = 0; i < src.length; i++) {
        if (src[i] === 0) continue;
        const q = Math.floor(i / Cin);
        const [fy, fx] = [Math.floor(q / KW) % KH - lead[0], (q % KW) - lead[1]];
        if (fy < 0 || fx < 0 || fy % d[0] !== 0 || fx % d[1] !== 0 || fy / d[0] >= k[0] || fx / d[1] >= k[1]) return undefined;
      }
      return { lead, k, d };
    };
    const canonical: Attrs = { strides, dilations: [1, 1], pads, output_padding: outPad, group: 1 };
    const attrs = this.recordedAttrs(ctx, canonical, ['pads', 'output_padding', 'dilations'], (cand) => taps(cand) !== undefined) ?? canonical;
    const { lead, k, d } = taps(attrs)!;
    const [kh, kw] = k;
    const data = new (src.constructor as { new (n: number): TypedArray })(Cin * kh * kw * Cout);
    for (let co = 0; co < Cout; co++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++)
          for (let ci = 0; ci < Cin; ci++) data[((ci * kh + ky) * kw + kx) * Cout + co] = src[((co * KH + lead[0] + ky * d[0]) * KW + lead[1] + kx * d[1]) * Cin + ci];
    let quant = this.folded.has(ti) ? undefined : this.quantOf(t, ws);
    if (quant && quant.scale.length > 1) quant = { ...quant, axis: 3 };
    const dtype = this.folded.has(ti) ? 'float32' : this.dtypeOf(t);
    const wid = this.newTensor(`tc:${ti}`, { name: t.name, dtype, shape: [Cin, kh, kw, Cout], data, quant });
    const ins = [this.tid(ctx.tin(2)), wid, ctx.tin(3) >= 0 ? this.tid(ctx.tin(3)) : -1];
    this.fused(ctx, 'ConvTranspose', ins, attrs, o.byte(f.fused_activation_function));
  }

  /** TFLite depthwise filter [1,KH,KW,Cout] → IR [Cout,KH,KW,1]; per-channel axis 3 → 0. */
  private depthwiseWeight(ti: number, ws: number[]): number {
    const t = this.tf(ti);
    const src = this.constData(ti)!;
    const [, KH, KW, C] = ws;
    const data = new (src.constructor as { new (n: number): TypedArray })(src.length);
    for (let ky = 0; ky < KH; ky++)
      for (let kx = 0; kx < KW; kx++)
        for (let c = 0; c < C; c++) data[(c * KH + ky) * KW + kx] = src[(ky * KW + kx) * C + c];
    let quant = this.folded.has(ti) ? undefined : this.quantOf(t, ws);
    if (quant && quant.scale.length > 1) quant = { ...quant, axis: 0 };
    const dtype = this.folded.has(ti) ? 'float32' : this.dtypeOf(t);
    return this.newTensor(`dw:${ti}`, { name: t.name, dtype, shape: [C, KH, KW, 1], data, quant });
  }

  private stridedSlice(ctx: OpCtx): void {
    this.need(ctx, 4);
    const o = ctx.opts(OPT.StridedSliceOptions);
    const f = F.StridedSliceOptions;
    const xs = this.shapeOfIn(ctx, 0);
    const r = xs.length;
    if (o.int(f.ellipsis_mask) || o.int(f.new_axis_mask))
      fail('EF2003', 'STRIDED_SLICE with ellipsis or new-axis masks is not supported', { file: this.file, node: ctx.name });
    const begin = this.constInts(ctx.tin(1), ctx, 'begin');
    const end = this.constInts(ctx.tin(2), ctx, 'end');
    const steps = this.constInts(ctx.tin(3), ctx, 'strides');
    if (begin.length !== r || end.length !== r || steps.length !== r || steps.some((s) => s === 0))
      fail('EF1006', `STRIDED_SLICE begin/end/strides do not fit rank ${r}`, { file: this.file, node: ctx.name });
    const bm = o.int(f.begin_mask);
    const em = o.int(f.end_mask);
    const sm = o.int(f.shrink_axis_mask);
    const offset = o.bool(f.offset, false);
    const starts: number[] = [];
    const ends: number[] = [];
    const dims: number[] = [];
    for (let a = 0; a < r; a++) {
      const d = xs[a];
      const s = steps[a];
      let b = begin[a];
      let e = offset ? begin[a] + end[a] : end[a];
      if (bm & (1 << a)) b = s > 0 ? 0 : d - 1;
      else if (b < 0) b += d;
      if (sm & (1 << a)) e = b + 1;
      else if (em & (1 << a)) e = s > 0 ? d : -1 - d;
      else if (e < 0) e += d;
      if (s > 0) {
        b = Math.min(Math.max(b, 0), d);
        e = Math.min(Math.max(e, 0), d);
        dims.push(Math.max(0, Math.ceil((e - b) / s)));
      } else {
        b = Math.min(Math.max(b, 0), d - 1);
        e = Math.min(Math.max(e, -1), d - 1);
        dims.push(Math.max(0, Math.ceil((b - e) / -s)));
      }
      starts.push(b);
      // ONNX-style: a negative-step end of -1 means "through index 0", written as -d-1.
      ends.push(s < 0 && e === -1 ? -d - 1 : e);
    }
    const attrs = { starts, ends, axes: xs.map((_, a) => a), steps };
    const yt = this.tf(ctx.tout(0));
    if (sm === 0) {
      this.node(ctx, 'Slice', [this.tid(ctx.tin(0))], [this.tid(ctx.tout(0))], attrs);
      return;
    }
    const xt = this.b.tensors[this.tid(ctx.tin(0))];
    const mid = this.newTensor(`slice:${ctx.tout(0)}`, { name: `${yt.name}/slice`, dtype: xt.dtype, shape: dims, quant: xt.quant });
    this.node(ctx, 'Slice', [xt.id], [mid], attrs, `${ctx.name}/slice`);
    const ys = this.shapeOf(yt);
    if (shapeSize(ys) !== shapeSize(dims)) fail('EF1004', `STRIDED_SLICE output [${ys}] does not match the slice [${dims}]`, { file: this.file, node: ctx.name });
    this.node(ctx, 'Reshape', [mid], [this.tid(ctx.tout(0))], { shape: ys });
  }
}

function reshapeOk(xs: number[], req: number[]): boolean {
  let unknown = 0;
  let known = 1;
  for (const d of req) {
    if (d === -1) unknown++;
    else if (d >= 0) known *= d;
    else return false;
  }
  const n = shapeSize(xs);
  return unknown === 0 ? known === n : unknown === 1 && known > 0 && n % known === 0;
}

/** real = (q - zp) * scale, per tensor or along the record's axis. */
export function dequantInto(q: ArrayLike<number>, shape: number[], rec: QuantParams, out: Float32Array): void {
  if (rec.scale.length === 1) {
    const s = rec.scale[0];
    const z = rec.zeroPoint[0] ?? 0;
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - z) * s;
    return;
  }
  let inner = 1;
  for (let a = rec.axis + 1; a < shape.length; a++) inner *= shape[a];
  const C = shape[rec.axis];
  for (let i = 0; i < q.length; i++) {
    const c = Math.floor(i / inner) % C;
    out[i] = (q[i] - rec.zeroPoint[c]) * rec.scale[c];
  }
}

