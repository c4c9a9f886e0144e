// ESP-DL v3 (.espdl) importer: an already-quantized, chip-specific graph (power-of-two exponents) becomes a
// quantized IR graph whose tensors carry scale = 2^exponent, zero point 0, and whose meta marks ESP-DL arithmetic
// (meta.info.arithmetic = 'espdl', meta.info.chip) so the integer simulator runs ESP-DL's kernels
// (src/sim/espdl/), not TFLite Micro's.
//
// ESP-DL executes the file's graph literally: Conv, pools and GlobalAveragePool run on NHWC (NWC for 1-D)
// tensors, and esp-ppq inserted explicit Transpose nodes wherever the ONNX semantics need another layout. So
// shapes follow the stored ones (no sourcePerm) and Transpose/Slice/Flatten keep their ONNX meaning. 1-D
// convolutions and pools become the IR's 2-D ops on an [N,1,W,C] view (Reshape nodes are free).
//
// Weights: the stored dims are HWCN (conv), HWNC (depthwise) or WCN / WNC (1-D), and the element order is
// chip-specific, named by the tensor's doc string "layout ==> ...": N16HWC16 / (N/16)HWC16 (int8 on S3/P4) or
// N8HWC8 (int16) store whole blocks of a output channels innermost, followed (the _UNALIGNED variants) by the
// remaining N mod a channels in plain order; the layout is read from each tensor, never assumed from the chip.

import { EspforgeError, fail, type Diagnostic } from '../../diagnostics.js';
import { fromLittleEndian, shapeSize, type DType, type TypedArray } from '../../ir/dtype.js';
import { GraphBuilder, type Attrs, type Graph, type QuantParams } from '../../ir/graph.js';
import { inferCtx, inferGraph } from '../../ops/infer.js';
import { verifyGraph } from '../../ops/verify.js';
import { getOp } from '../../ops/index.js';
import type { Value } from '../../ops/types.js';
import type { ImportOptions } from '../index.js';
import { DT, DT_NAME, DT_SIZE, readEspdl, type EdlAttr, type EdlModel, type EdlNode, type EdlTensor, type EspdlReader } from './reader.js';

/** Chips whose ESP-DL arithmetic espforge simulates; the value goes to meta.info.chip. */
export const ESPDL_CHIPS = ['esp32p4', 'esp32s3', 'esp32', 'esp32s2', 'esp32c2', 'esp32c3', 'esp32c5', 'esp32c6', 'esp32s31'] as const;
export type EspdlChip = (typeof ESPDL_CHIPS)[number];
/** esp-ppq's default export target; used when the caller names no chip (a .espdl file does not record it). */
export const DEFAULT_ESPDL_CHIP: EspdlChip = 'esp32p4';

/** Largest element count accepted for any tensor: 2^28. */
const MAX_ELEMS = 1 << 28;

const TO_DTYPE: Record<number, DType> = {
  [DT.FLOAT]: 'float32',
  [DT.UINT8]: 'uint8',
  [DT.INT8]: 'int8',
  [DT.UINT16]: 'uint16',
  [DT.INT16]: 'int16',
  [DT.INT32]: 'int32',
  [DT.INT64]: 'int64',
  [DT.BOOL]: 'bool',
} as Record<number, DType>;

export interface EspdlTestVectors {
  inputs: Value[];
  outputs: Value[];
}

/** Embedded test values (graph.test_inputs_value / test_outputs_value), keyed by graph meta. */
const TESTS = new WeakMap<object, EspdlTestVectors>();

/** The test input/output pair embedded in an imported .espdl file (what ESP-DL's model->test() checks). */
export function espdlTestVectors(g: Graph): EspdlTestVectors | undefined {
  return TESTS.get(g.meta);
}

export function importEspdl(bytes: Uint8Array, file: string, opts: ImportOptions = {}): Graph {
  const { r, model } = readEspdl(bytes, file);
  const chip = opts.espdlChip ?? DEFAULT_ESPDL_CHIP;
  if (!(ESPDL_CHIPS as readonly string[]).includes(chip))
    fail('EF0006', `unknown ESP-DL chip '${chip}'`, { file, suggestion: `use one of ${ESPDL_CHIPS.join(', ')}` });
  const c = new Converter(r, model, file, chip);
  const g = inferGraph(c.run());
  const tests = c.tests();
  if (tests) TESTS.set(g.meta, tests);
  return g;
}

function attrNum(a: EdlAttr | undefined, dflt: number): number {
  if (!a) return dflt;
  if (a.kind === 'int' || a.kind === 'float') return a.value;
  return dflt;
}
function attrInts(a: EdlAttr | undefined): number[] | undefined {
  if (!a) return undefined;
  if (a.kind === 'ints') return a.value;
  if (a.kind === 'int') return [a.value];
  return undefined;
}
function attrStr(a: EdlAttr | undefined): string | undefined {
  return a?.kind === 'string' ? a.value : undefined;
}

export interface Layout {
  /** Output channels per block (16 for int8, 8 for int16); 0 = plain order. */
  block: number;
  /** Plain order: 'nhwc' (OHWI) or 'hwcn' (the stored dims order). */
  plain: 'nhwc' | 'hwcn';
}

/** Parse the "layout ==> X" annotation esp-ppq writes into a weight's doc string. */
export function parseLayout(doc: string | undefined, what: string, file: string): Layout {
  const m = /layout\s*==>\s*(\S+)/.exec(doc ?? '');
  const name = m ? m[1] : 'UNK';
  const blocked = /^\(?N\/?(\d+)\)?H?WC(\d+)(_UNALIGNED)?$/.exec(name);
  if (blocked) {
    const a = Number(blocked[1]);
    if (a !== Number(blocked[2]) || (a !== 16 && a !== 8))
      fail('EF2003', `weight '${what}' has layout ${name}, which espforge does not know`, { file });
    return { block: a, plain: 'nhwc' };
  }
  if (name === 'NHWC' || name === 'NWC' || name === 'OHWI') return { block: 0, plain: 'nhwc' };
  if (name === 'HWCN' || name === 'WCN' || name === 'UNK') return { block: 0, plain: 'hwcn' };
  return fail('EF2003', `weight '${what}' has layout ${name}, which espforge does not know`, {
    file,
    suggestion: 'espforge reads N16HWC16/N8HWC8 (S3, P4), their (N/a)HWCa spellings and plain NHWC/HWCN layouts',
  });
}

/**
 * Position in the stored weight of element (n, h, w, c) of an OHWI [N, KH, KW, C] filter. `dw` marks depthwise
 * (stored H,W,N,C with C = 1). Shared by the importer (unpack) and the .espdl writer (pack).
 */
export function storedIndex(N: number, KH: number, KW: number, C: number, dw: boolean, layout: Layout): (n: number, h: number, w: number, c: number) => number {
  const a = layout.block;
  const full = a ? Math.floor(N / a) * a : 0;
  const hwc = KH * KW * C;
  const rem = N - full;
  return (n, h, w, c) => {
    if (n < full) return ((Math.floor(n / a) * KH + h) * KW + w) * C * a + c * a + (n % a);
    // the unaligned tail: plain NHWC for a conv, HWN (C = 1) for a depthwise filter
    if (a) return full * hwc + (dw ? ((h * KW + w) * C + c) * rem + (n - full) : (((n - full) * KH + h) * KW + w) * C + c);
    if (layout.plain === 'nhwc') return ((n * KH + h) * KW + w) * C + c;
    // dims order: H,W,C,N for a conv, H,W,N,C for a depthwise filter
    return dw ? ((h * KW + w) * N + n) * C + c : ((h * KW + w) * C + c) * N + n;
  };
}

/** Reorder stored conv weights into OHWI [N, KH, KW, C]. */
export function unpackWeight(src: ArrayLike<number>, N: number, KH: number, KW: number, C: number, dw: boolean, layout: Layout, out: TypedArray): void {
  const at = storedIndex(N, KH, KW, C, dw, layout);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < KH; h++)
      for (let w = 0; w < KW; w++)
        for (let c = 0; c < C; c++) out[((n * KH + h) * KW + w) * C + c] = src[at(n, h, w, c)];
}

/** ESP-DL operators this importer converts. */
export const SUPPORTED = new Set([
  'Conv', 'Gemm', 'Add', 'Sub', 'Mul', 'Sigmoid', 'Tanh', 'Relu', 'HardSwish', 'HardSigmoid', 'Identity', 'RequantizeLinear',
  'AveragePool', 'MaxPool', 'GlobalAveragePool', 'Transpose', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Slice', 'Concat',
  'StreamingCache', 'Clip', 'LeakyRelu', 'Elu', 'Softmax', 'Pad', 'Split', 'Resize',
]);

class Converter {
  readonly b: GraphBuilder;
  private ids = new Map<string, number>();
  private inits = new Map<string, EdlTensor>();
  private exps = new Map<string, { dtype: DType; exp: number[] }>();

  constructor(
    private r: EspdlReader,
    private m: EdlModel,
    private file: string,
    chip: EspdlChip,
  ) {
    this.b = new GraphBuilder({
      format: 'espdl',
      source: file,
      producer: m.producer,
      info: { arithmetic: 'espdl', chip, ir_version: m.irVersion },
    });
    for (const t of m.initializers) this.inits.set(t.name, t);
    for (const v of [...m.valueInfo, ...m.inputs, ...m.outputs]) {
      const dt = TO_DTYPE[v.elemType];
      if (dt) this.exps.set(v.name, { dtype: dt, exp: v.exponents });
    }
  }

  private bad(what: string): never {
    return this.r.bad(what);
  }

  private quant(exp: number[], axis = 0): QuantParams | undefined {
    if (exp.length === 0) return undefined;
    for (const e of exp) if (!Number.isInteger(e) || Math.abs(e) > 60) this.bad(`exponent ${e} is out of range`);
    return { scale: exp.map((e) => 2 ** e), zeroPoint: exp.map(() => 0), axis };
  }

  /** Decode an initializer's elements into a typed array of its dtype. */
  data(t: EdlTensor, dtype?: DType): TypedArray {
    const dt = TO_DTYPE[t.dataType];
    if (!dt) fail('EF2006', `tensor '${t.name}' has type ${DT_NAME[t.dataType] ?? t.dataType}, which espforge does not support`, { file: this.file });
    for (const d of t.dims) if (!(Number.isInteger(d) && d >= 0 && d <= MAX_ELEMS)) this.bad(`tensor '${t.name}' has dimension ${d}`);
    const n = shapeSize(t.dims);
    if (n > MAX_ELEMS) fail('EF1007', `tensor '${t.name}' has ${n} elements`, { file: this.file });
    const need = n * DT_SIZE[t.dataType];
    if (need > t.size) this.bad(`tensor '${t.name}' [${t.dims}] needs ${need} bytes of data, the file holds ${t.size}`);
    const out = fromLittleEndian(this.r.bytes.subarray(t.start, t.start + need), dt, n);
    if (dtype && dtype !== dt) fail('EF2006', `tensor '${t.name}' is ${dt}; expected ${dtype}`, { file: this.file });
    return out;
  }

  private ints(name: string, node: EdlNode): number[] {
    const t = this.inits.get(name);
    if (!t) fail('EF2005', `${node.opType} input '${name}' must be a constant`, { file: this.file, node: node.name });
    return Array.from(this.data(t), Number);
  }

  /** IR id of a value by name: a graph input, a produced tensor or a constant initializer. */
  tid(name: string, node: EdlNode): number {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    const t = this.inits.get(name);
    if (!t) return fail('EF1009', `node input '${name}' is neither produced earlier nor a graph input or initializer`, { file: this.file, node: node.name });
    const data = this.data(t);
    const cid = this.b.tensor({ name: t.name, dtype: TO_DTYPE[t.dataType], shape: t.dims.slice(), data, quant: this.quant(t.exponents) });
    this.ids.set(name, cid);
    return cid;
  }

  /** A fresh activation tensor for the value `name` (dtype and exponent from the file's value info). */
  private act(name: string, node: EdlNode, like?: number): number {
    const e = this.exps.get(name);
    let dtype: DType;
    let quant: QuantParams | undefined;
    if (e) {
      dtype = e.dtype;
      quant = dtype === 'float32' ? undefined : this.quant(e.exp);
      if (dtype !== 'float32' && !quant) fail('EF3001', `value '${name}' is ${dtype} but has no exponent`, { file: this.file, node: node.name });
    } else if (like !== undefined) {
      const t = this.b.tensors[like];
      dtype = t.dtype;
      quant = t.quant;
    } else {
      return fail('EF3001', `value '${name}' has no type or exponent in the file`, { file: this.file, node: node.name });
    }
    return this.b.tensor({ name, dtype, shape: [] , quant });
  }

  /** Emit an IR node and infer its output shapes now (later conversions need them). */
  private emit(op: string, name: string, inputs: number[], outputs: number[], attrs: Attrs): void {
    const n = this.b.node({ op, name, inputs, outputs, attrs });
    const g = this.b as unknown as Graph;
    const outs = getOp(op).infer(inferCtx(g, n));
    outs.forEach((o, k) => {
      const t = this.b.tensors[outputs[k]];
      t.shape = o.shape;
      if (t.dtype === undefined) t.dtype = o.dtype;
    });
  }

  /** A view tensor (same dtype/quant as `src`) to hold a reshape. */
  private view(src: number, suffix: string): number {
    const t = this.b.tensors[src];
    return this.b.tensor({ name: `${t.name}${suffix}`, dtype: t.dtype, shape: [], quant: t.quant });
  }

  private shape(id: number): number[] {
    return this.b.tensors[id].shape;
  }

  tests(): EspdlTestVectors | undefined {
    if (!this.m.testInputs.length || !this.m.testOutputs.length) return undefined;
    const val = (t: EdlTensor): Value => ({ dtype: TO_DTYPE[t.dataType], shape: t.dims.slice(), data: this.data(t) });
    const byName = (list: EdlTensor[], names: string[]) =>
      names.map((n) => {
        const t = list.find((x) => x.name === n);
        if (!t) fail('EF2001', `the embedded test values have no entry for '${n}'`, { file: this.file });
        return val(t);
      });
    return {
      inputs: byName(this.m.testInputs, this.m.inputs.map((v) => v.name)),
      outputs: byName(this.m.testOutputs, this.m.outputs.map((v) => v.name)),
    };
  }

  run(): Graph {
    if (this.m.inputs.length === 0) this.bad('the graph has no inputs');
    for (const v of this.m.inputs) {
      if (this.inits.has(v.name)) continue;
      const e = this.exps.get(v.name);
      if (!e) fail('EF2006', `graph input '${v.name}' has an unsupported element type`, { file: this.file });
      const shape = (v.shape ?? []).map((d, k) => {
        if (d === undefined || d < 0) {
          if (k === 0) return 1;
          fail('EF1008', `graph input '${v.name}' has a dynamic dimension`, { file: this.file, suggestion: 'export the model with static shapes (esp-ppq requires them)' });
        }
        if (d! > MAX_ELEMS) this.bad(`graph input '${v.name}' has dimension ${d}`);
        return d!;
      });
      if (shape.length === 0) fail('EF1008', `graph input '${v.name}' has no shape`, { file: this.file });
      const id = this.b.tensor({ name: v.name, dtype: e.dtype, shape, quant: e.dtype === 'float32' ? undefined : this.quant(e.exp) });
      this.ids.set(v.name, id);
      this.b.inputs.push(id);
    }
    const unsupported = [...new Set(this.m.nodes.map((n) => n.opType).filter((op) => !SUPPORTED.has(op)))];
    if (unsupported.length)
      fail('EF2002', `unsupported ESP-DL operators: ${unsupported.join(', ')}`, {
        file: this.file,
        notes: [`espforge reads ${[...SUPPORTED].join(', ')}`],
      });
    for (const n of this.m.nodes) {
      if (n.outputs.length === 0) this.bad(`node '${n.name}' has no outputs`);
      try {
        this.convert(n);
      } catch (e) {
        if (e instanceof EspforgeError) throw new EspforgeError(e.diagnostics.map((d) => ({ ...d, file: d.file ?? this.file, node: d.node ?? n.name })));
        throw e;
      }
    }
    this.b.outputs = this.m.outputs.map((v) => {
      const id = this.ids.get(v.name);
      if (id === undefined) return this.bad(`graph output '${v.name}' is produced by no node`);
      return id;
    });
    const g = this.b.build();
    const errs: Diagnostic[] = verifyGraph(g).map((d) => ({ ...d, file: this.file }));
    if (errs.length) throw new EspforgeError(errs);
    return g;
  }

  private out(n: EdlNode, k = 0, like?: number): number {
    const name = n.outputs[k];
    if (this.ids.has(name)) this.bad(`value '${name}' is produced twice`);
    const id = this.act(name, n, like);
    this.ids.set(name, id);
    return id;
  }

  private need(n: EdlNode, min: number, max = min): void {
    if (n.inputs.length < min || n.inputs.length > max)
      fail('EF1006', `${n.opType} has ${n.inputs.length} inputs; expected ${min === max ? min : `${min}..${max}`}`, { file: this.file, node: n.name });
  }

  /** Wrap a rank-3 [N,W,C] value as [N,1,W,C] for the IR's 2-D spatial ops. */
  private as4d(x: number, n: EdlNode): { id: number; oneD: boolean } {
    const s = this.shape(x);
    if (s.length === 4) return { id: x, oneD: false };
    if (s.length !== 3) fail('EF1004', `${n.opType} input must be NHWC or NWC, got [${s}]`, { file: this.file, node: n.name });
    const v = this.view(x, '/nhwc');
    this.emit('Reshape', `${n.name}/to2d`, [x], [v], { shape: [s[0], 1, s[1], s[2]] });
    return { id: v, oneD: true };
  }

  /** Emit a spatial op on a 4-D view and route the result back to rank 3 for a 1-D op. */
  private spatial(n: EdlNode, op: string, ins: number[], attrs: Attrs, oneD: boolean): void {
    const y = this.out(n, 0, ins[0]);
    if (!oneD) {
      this.emit(op, n.name, ins, [y], attrs);
      return;
    }
    const mid = this.view(y, '/nhwc');
    this.emit(op, n.name, ins, [mid], attrs);
    const s = this.shape(mid);
    this.emit('Reshape', `${n.name}/to1d`, [mid], [y], { shape: [s[0], s[2], s[3]] });
  }

  /** Pads (ONNX begins then ends) → the IR's [top, left, bottom, right]. */
  private pads(n: EdlNode, rank: number): number[] {
    const p = attrInts(n.attrs.get('pads')) ?? new Array(2 * rank).fill(0);
    if (p.length !== 2 * rank) fail('EF1006', `${n.opType} pads [${p}] do not fit ${rank} spatial dims`, { file: this.file, node: n.name });
    if (attrStr(n.attrs.get('auto_pad')) && attrStr(n.attrs.get('auto_pad')) !== 'NOTSET')
      fail('EF2003', `${n.opType} auto_pad is not supported`, { file: this.file, node: n.name });
    return rank === 1 ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
  }

  private pair(n: EdlNode, key: string, rank: number, dflt: number): number[] {
    const v = attrInts(n.attrs.get(key)) ?? new Array(rank).fill(dflt);
    if (v.length !== rank) fail('EF1006', `${n.opType} ${key} [${v}] do not fit ${rank} spatial dims`, { file: this.file, node: n.name });
    return rank === 1 ? [1, v[0]] : v.slice();
  }

  private activation(n: EdlNode): string {
    const a = attrStr(n.attrs.get('activation')) ?? 'Linear';
    if (a === 'Linear') return 'none';
    if (a === 'Relu' || a === 'ReLU') return 'relu';
    return fail('EF2003', `${n.opType} activation '${a}' is not supported`, { file: this.file, node: n.name, suggestion: 'espforge reads Linear and Relu fused activations' });
  }

  /** Conv/Gemm weights → an OHWI IR constant. */
  private weight(n: EdlNode, name: string, rank: number, dw: boolean, cinExpected: number): { id: number; cout: number; k: number[] } {
    const t = this.inits.get(name);
    if (!t) fail('EF2005', `${n.opType} weight '${name}' must be a constant`, { file: this.file, node: n.name });
    const d = t.dims;
    if (d.length !== rank + 2) fail('EF1004', `${n.opType} weight '${name}' has dims [${d}], expected rank ${rank + 2}`, { file: this.file, node: n.name });
    const KH = rank === 2 ? d[0] : 1;
    const KW = d[rank - 1];
    const [a, b] = [d[rank], d[rank + 1]];
    const N = dw ? a : b;
    const C = dw ? b : a;
    if (dw ? C !== 1 : C !== cinExpected)
      fail('EF1004', `${n.opType} weight '${name}' dims [${d}] do not match ${cinExpected} input channels`, { file: this.file, node: n.name });
    const src = this.data(t);
    const layout = parseLayout(t.docString, name, this.file);
    const out = new (src.constructor as { new (k: number): TypedArray })(src.length);
    unpackWeight(src, N, KH, KW, C, dw, layout, out);
    const q = this.quant(t.exponents, 0);
    if (q && q.scale.length !== 1 && q.scale.length !== N) this.bad(`weight '${name}' has ${q.scale.length} exponents for ${N} channels`);
    const id = this.b.tensor({ name: t.name, dtype: TO_DTYPE[t.dataType], shape: [N, KH, KW, C], data: out, quant: q });
    return { id, cout: N, k: [KH, KW] };
  }

  private bias(n: EdlNode, k: number, cout: number): number {
    const name = n.inputs[k];
    if (name === undefined || name === '') return -1;
    const t = this.inits.get(name);
    if (!t) fail('EF2005', `${n.opType} bias '${name}' must be a constant`, { file: this.file, node: n.name });
    if (shapeSize(t.dims) !== cout) fail('EF1004', `${n.opType} bias '${name}' has ${shapeSize(t.dims)} values for ${cout} channels`, { file: this.file, node: n.name });
    const data = this.data(t);
    return this.b.tensor({ name: t.name, dtype: TO_DTYPE[t.dataType], shape: [cout], data, quant: this.quant(t.exponents, 0) });
  }

  /** An 8-bit lookup table named by the node's `lut` attribute: kept on the IR node for the ESP-DL kernel. */
  private lut(n: EdlNode, xi: number): void {
    const lutName = attrStr(n.attrs.get('lut'));
    if (!lutName) return;
    const t = this.inits.get(lutName);
    if (!t) fail('EF2005', `${n.opType} lookup table '${lutName}' is missing`, { file: this.file, node: n.name });
    const lut = Array.from(this.data(t), Number);
    if (this.b.tensors[xi].dtype !== 'int8' || lut.length !== 256)
      fail('EF2003', `${n.opType} lookup table '${lutName}' has ${lut.length} entries; espforge reads 256-entry tables on int8 inputs`, { file: this.file, node: n.name });
    // the table is part of the model, not derived from exponents: kept on the node (qparams) for the kernel
    const node = this.b.nodes[this.b.nodes.length - 1];
    node.qparams = { ...(node.qparams ?? {}), lut };
  }

  private convert(n: EdlNode): void {
    const a = n.attrs;
    const qt = attrStr(a.get('quant_type'));
    if (qt !== undefined && qt !== 'S8' && qt !== 'S16' && qt !== 'F32')
      fail('EF2003', `${n.opType} quant_type '${qt}' is not supported`, { file: this.file, node: n.name });
    const x = () => this.tid(n.inputs[0], n);
    switch (n.opType) {
      case 'Conv': {
        this.need(n, 2, 3);
        const xi = x();
        const xs = this.shape(xi);
        const rank = xs.length - 2;
        if (rank !== 1 && rank !== 2) fail('EF1004', `Conv input must be NWC or NHWC, got [${xs}]`, { file: this.file, node: n.name });
        const cin = xs[xs.length - 1];
        const group = attrNum(a.get('group'), 1);
        const dw = group !== 1;
        if (dw && group !== cin) fail('EF2003', `Conv with group ${group} of ${cin} channels (ESP-DL runs group 1 or depthwise only)`, { file: this.file, node: n.name });
        const w = this.weight(n, n.inputs[1], rank, dw, cin);
        const bid = this.bias(n, 2, w.cout);
        const { id, oneD } = this.as4d(xi, n);
        const attrs: Attrs = {
          strides: this.pair(n, 'strides', rank, 1),
          dilations: this.pair(n, 'dilations', rank, 1),
          pads: this.pads(n, rank),
          group,
          activation: this.activation(n),
        };
        this.spatial(n, 'Conv', bid >= 0 ? [id, w.id, bid] : [id, w.id], attrs, oneD);
        return;
      }
      case 'Gemm': {
        this.need(n, 2, 3);
        if (attrNum(a.get('transA'), 0) !== 0 || attrNum(a.get('transB'), 0) !== 0)
          fail('EF2003', 'Gemm with transA/transB set is not an ESP-DL layout', { file: this.file, node: n.name });
        if (attrNum(a.get('alpha'), 1) !== 1 || attrNum(a.get('beta'), 1) !== 1)
          fail('EF2003', 'Gemm alpha and beta must be 1', { file: this.file, node: n.name });
        const xi = x();
        const xs = this.shape(xi);
        const K = xs[xs.length - 1];
        const w = this.weight(n, n.inputs[1], 2, false, K);
        if (w.k[0] !== 1 || w.k[1] !== 1) fail('EF1004', 'Gemm weight must be [1,1,K,N]', { file: this.file, node: n.name });
        const wt = this.b.tensors[w.id];
        wt.shape = [w.cout, K];
        const bid = this.bias(n, 2, w.cout);
        const y = this.out(n, 0, xi);
        this.emit('FullyConnected', n.name, bid >= 0 ? [xi, w.id, bid] : [xi, w.id], [y], { activation: this.activation(n) });
        return;
      }
      case 'Add':
      case 'Mul':
      case 'Sub': {
        this.need(n, 2);
        const i0 = x();
        const i1 = this.tid(n.inputs[1], n);
        this.emit(n.opType, n.name, [i0, i1], [this.out(n, 0, i0)], {});
        return;
      }
      case 'Sigmoid':
      case 'Tanh':
      case 'Relu':
      case 'HardSwish':
      case 'HardSigmoid':
      case 'Identity': {
        const xi = x();
        const y = this.out(n, 0, xi);
        this.emit(n.opType, n.name, [xi], [y], {});
        this.lut(n, xi);
        return;
      }
      case 'LeakyRelu':
      case 'Elu': {
        const xi = x();
        const y = this.out(n, 0, xi);
        this.emit(n.opType, n.name, [xi], [y], { alpha: attrNum(a.get('alpha'), n.opType === 'Elu' ? 1 : 0.01) });
        this.lut(n, xi);
        return;
      }
      case 'Clip': {
        // bounds are inputs 1 and 2 (integers at their exponent) or, in older opsets, min/max attributes
        const xi = x();
        const bound = (k: number, key: string): { q?: number; real?: number } => {
          const name = n.inputs[k];
          if (name) {
            const t = this.inits.get(name);
            if (!t) fail('EF2005', `Clip bound '${name}' must be a constant`, { file: this.file, node: n.name });
            const q = Number(this.data(t)[0]);
            return t.dataType === DT.FLOAT ? { real: q } : { q, real: q * 2 ** (t.exponents[0] ?? 0) };
          }
          const v = a.get(key);
          return v?.kind === 'float' ? { real: v.value } : {};
        };
        const lo = bound(1, 'min');
        const hi = bound(2, 'max');
        const attrs: Attrs = {};
        if (lo.real !== undefined) attrs.min = lo.real;
        if (hi.real !== undefined) attrs.max = hi.real;
        const y = this.out(n, 0, xi);
        this.emit('Clip', n.name, [xi], [y], attrs);
        const node = this.b.nodes[this.b.nodes.length - 1];
        if (lo.q !== undefined && hi.q !== undefined) node.qparams = { clip_lo: lo.q, clip_hi: hi.q };
        this.lut(n, xi);
        return;
      }
      case 'Softmax': {
        const xi = x();
        this.emit('Softmax', n.name, [xi], [this.out(n, 0, xi)], { axis: attrNum(a.get('axis'), -1) });
        return;
      }
      case 'Pad': {
        const xi = x();
        const s = this.shape(xi);
        const pads = n.inputs[1] ? this.ints(n.inputs[1], n) : attrInts(a.get('pads')) ?? [];
        if (pads.length !== 2 * s.length) fail('EF1006', `Pad pads [${pads}] do not fit rank ${s.length}`, { file: this.file, node: n.name });
        if (n.inputs[3]) fail('EF2003', 'Pad with axes is not supported', { file: this.file, node: n.name });
        const mode = attrStr(a.get('mode')) ?? 'constant';
        if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect') fail('EF2003', `Pad mode ${mode} is not supported`, { file: this.file, node: n.name });
        if (n.inputs[2] && this.ints(n.inputs[2], n).some((v) => v !== 0))
          fail('EF2003', 'Pad with a nonzero constant value is not supported', { file: this.file, node: n.name });
        this.emit('Pad', n.name, [xi], [this.out(n, 0, xi)], { pads, mode, value: 0 });
        return;
      }
      case 'Split': {
        const xi = x();
        const s = this.shape(xi);
        let axis = attrNum(a.get('axis'), 0);
        if (axis < 0) axis += s.length;
        if (!(axis >= 0 && axis < s.length)) fail('EF1006', `Split axis ${axis} is out of range for rank ${s.length}`, { file: this.file, node: n.name });
        let sizes = n.inputs[1] ? this.ints(n.inputs[1], n) : attrInts(a.get('split'));
        if (!sizes) {
          const k = n.outputs.length;
          const each = Math.ceil(s[axis] / k);
          sizes = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(each, s[axis] - i * each)));
        }
        if (sizes.length !== n.outputs.length || sizes.reduce((p, q) => p + q, 0) !== s[axis])
          fail('EF1006', `Split sizes [${sizes}] do not add up to ${s[axis]} for ${n.outputs.length} outputs`, { file: this.file, node: n.name });
        let start = 0;
        sizes.forEach((len, k) => {
          this.emit('Slice', `${n.name}/${k}`, [xi], [this.out(n, k, xi)], { starts: [start], ends: [start + len], axes: [axis], steps: [1] });
          start += len;
        });
        return;
      }
      case 'Resize': {
        // ESP-DL's Resize2D (dl_module_resize.hpp) takes H and W factors from scales[2], scales[3] (the ONNX NCHW
        // order) and resizes the NHWC tensor; espforge runs nearest neighbour with integer factors
        const xi = x();
        const s = this.shape(xi);
        if (s.length !== 4) fail('EF2003', `Resize of a rank-${s.length} tensor is not supported`, { file: this.file, node: n.name });
        const mode = attrStr(a.get('mode')) ?? 'nearest';
        const st = n.inputs[2] ? this.inits.get(n.inputs[2]) : undefined;
        const scales = st ? Array.from(this.data(st), Number) : [];
        if (mode !== 'nearest' || scales.length !== 4 || !Number.isInteger(scales[2]) || !Number.isInteger(scales[3]) || scales[2] < 1 || scales[3] < 1 || scales[2] * s[1] > 1 << 16 || scales[3] * s[2] > 1 << 16)
          fail('EF2003', `Resize ${mode} with scales [${scales}] is not supported (espforge reads nearest resizing by integer factors)`, { file: this.file, node: n.name });
        this.emit('Resize', n.name, [xi], [this.out(n, 0, xi)], {
          mode: 'nearest',
          coordinate_transformation_mode: 'asymmetric',
          nearest_mode: 'floor',
          sizes: [s[0], s[1] * scales[2], s[2] * scales[3], s[3]],
        });
        return;
      }
      case 'RequantizeLinear':
      case 'DequantizeLinear':
      case 'QuantizeLinear': {
        const xi = x();
        this.emit('Identity', n.name, [xi], [this.out(n, 0, xi)], {});
        return;
      }
      case 'AveragePool':
      case 'MaxPool': {
        this.need(n, 1);
        const xi = x();
        const rank = this.shape(xi).length - 2;
        const { id, oneD } = this.as4d(xi, n);
        const k = attrInts(a.get('kernel_shape'));
        if (!k || k.length !== rank) fail('EF1006', `${n.opType} kernel_shape must have ${rank} values`, { file: this.file, node: n.name });
        const attrs: Attrs = {
          kernel: rank === 1 ? [1, k[0]] : k.slice(),
          strides: this.pair(n, 'strides', rank, 1),
          pads: this.pads(n, rank),
          ceil_mode: attrNum(a.get('ceil_mode'), 0),
        };
        if (n.opType === 'AveragePool') attrs.count_include_pad = attrNum(a.get('count_include_pad'), 0);
        this.spatial(n, n.opType, [id], attrs, oneD);
        return;
      }
      case 'GlobalAveragePool': {
        this.need(n, 1);
        const xi = x();
        const rank = this.shape(xi).length;
        this.emit('ReduceMean', n.name, [xi], [this.out(n, 0, xi)], { axes: rank === 4 ? [1, 2] : [1], keepdims: 1 });
        return;
      }
      case 'Transpose': {
        const xi = x();
        this.emit('Transpose', n.name, [xi], [this.out(n, 0, xi)], attrInts(a.get('perm')) ? { perm: attrInts(a.get('perm'))! } : {});
        return;
      }
      case 'Flatten': {
        const xi = x();
        const s = this.shape(xi);
        let axis = attrNum(a.get('axis'), 1);
        if (axis < 0) axis += s.length;
        if (axis < 0 || axis > s.length) fail('EF1006', `Flatten axis ${axis} is out of range for rank ${s.length}`, { file: this.file, node: n.name });
        this.emit('Reshape', n.name, [xi], [this.out(n, 0, xi)], { shape: [shapeSize(s.slice(0, axis)), shapeSize(s.slice(axis))] });
        return;
      }
      case 'Reshape': {
        this.need(n, 2);
        const xi = x();
        this.emit('Reshape', n.name, [xi], [this.out(n, 0, xi)], { shape: this.ints(n.inputs[1], n) });
        return;
      }
      case 'Squeeze':
      case 'Unsqueeze': {
        const xi = x();
        const s = this.shape(xi);
        const axes = n.inputs[1] ? this.ints(n.inputs[1], n) : attrInts(a.get('axes')) ?? [];
        let shape: number[];
        if (n.opType === 'Squeeze') {
          const ax = new Set(axes.map((v) => (v < 0 ? v + s.length : v)));
          shape = s.filter((d, i) => (ax.size ? !ax.has(i) : d !== 1));
        } else {
          const r = s.length + axes.length;
          const ax = new Set(axes.map((v) => (v < 0 ? v + r : v)));
          shape = [];
          let j = 0;
          for (let i = 0; i < r; i++) shape.push(ax.has(i) ? 1 : s[j++]);
        }
        this.emit('Reshape', n.name, [xi], [this.out(n, 0, xi)], { shape });
        return;
      }
      case 'Slice': {
        this.need(n, 3, 5);
        const xi = x();
        const attrs: Attrs = { starts: this.ints(n.inputs[1], n), ends: this.ints(n.inputs[2], n) };
        if (n.inputs[3]) attrs.axes = this.ints(n.inputs[3], n);
        if (n.inputs[4]) attrs.steps = this.ints(n.inputs[4], n);
        this.emit('Slice', n.name, [xi], [this.out(n, 0, xi)], attrs);
        return;
      }
      case 'Concat': {
        const ins = n.inputs.map((s) => this.tid(s, n));
        this.emit('Concat', n.name, ins, [this.out(n, 0, ins[0])], { axis: attrNum(a.get('axis'), 0) });
        return;
      }
      case 'StreamingCache': {
        // ESP-DL's streaming state: the last window_size-1 frames of earlier calls, then this call's frames. A
        // single inference starts from an empty (zero) cache, which is zero padding before the frame axis.
        const xi = x();
        const s = this.shape(xi);
        const axis = attrNum(a.get('frame_axis'), 1);
        const win = attrNum(a.get('window_size'), 1);
        if (!(axis >= 0 && axis < s.length) || !(win >= 1 && win <= 4096))
          fail('EF1006', `StreamingCache frame_axis ${axis} / window_size ${win} do not fit [${s}]`, { file: this.file, node: n.name });
        const pads = new Array(2 * s.length).fill(0);
        pads[axis] = win - 1;
        this.emit('Pad', n.name, [xi], [this.out(n, 0, xi)], { pads, mode: 'constant', value: 0 });
        if (!this.b.meta.info!.notes) this.b.meta.info!.notes = 'StreamingCache runs as one call from an empty cache (zero history)';
        return;
      }
      default:
        fail('EF2002', `unsupported ESP-DL operator ${n.opType}`, { file: this.file, node: n.name });
    }
  }
}
