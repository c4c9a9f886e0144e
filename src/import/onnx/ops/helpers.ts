// Shared by the ONNX op converters: the entry shape, constant helpers, layout alignment for element-wise
// operands, window padding for spatial ops.

import { shapeSize, type DType } from '../../../ir/dtype.js';
import { transposeValue } from '../../../ir/layout.js';
import { getOp } from '../../../ops/index.js';
import type { Value } from '../../../ops/types.js';
import { NodeAttrs } from '../attrs.js';
import { PLAIN, type Layout, type OnnxContext, type Sym } from '../context.js';
import type { NodeProto } from '../proto.js';

export interface ConvertArgs {
  ctx: OnnxContext;
  node: NodeProto;
  a: NodeAttrs;
  ins: string[];
  outs: string[];
  opset: number;
}

export interface OpEntry {
  /** Attributes accepted (any other → EF2003). May depend on the opset. */
  attrs: readonly string[];
  /** ONNX input positions that must hold constants (bound / folded) at this opset. */
  constInputs?: (opset: number) => number[];
  convert(x: ConvertArgs): void;
}

/** Whether the registry op declares an attribute (optional refinements some op versions add). */
export function hasAttr(op: string, name: string): boolean {
  return getOp(op).attrs[name] !== undefined;
}

const isOnes = (s: number[]) => s.every((d) => d === 1);

export function fval(dtype: DType, xs: number[]): Value {
  const data = dtype === 'float32' ? new Float32Array(xs) : dtype === 'int64' || dtype === 'float64' ? new Float64Array(xs) : new Int32Array(xs);
  return { dtype, shape: [xs.length], data };
}

export function scalarLike(v: Value, x: number): Value {
  const data = new (v.data.constructor as Float32ArrayConstructor)(1);
  data[0] = x;
  return { dtype: v.dtype, shape: [], data };
}

export function intsOf(v: Value): number[] {
  return Array.from(v.data as ArrayLike<number>);
}

/** Permute a constant value (ONNX layout, rank ≤ target) into the stored form of `layout` with ONNX shape `full`. */
export function constToLayout(ctx: OnnxContext, c: Sym, layout: Layout, full: number[]): Sym | undefined {
  const v = ctx.value(c.id);
  if (!v) return undefined;
  if (shapeSize(v.shape) === 1) return c;
  if (layout.k === 'cl') {
    const r = layout.r;
    if (v.shape.length > r) return undefined;
    const sh = [...new Array(r - v.shape.length).fill(1), ...v.shape];
    const x = { ...v, shape: sh };
    const t = r === 4 ? transposeValue(x, [0, 2, 3, 1]) : transposeValue(x, [0, 2, 1]);
    const st = r === 4 ? t.shape : [t.shape[0], 1, t.shape[1], t.shape[2]];
    return ctx.constSym(`${ctx.node}_cl`, { ...t, shape: st });
  }
  if (layout.k === 'flat') {
    const k = full[full.length - 1];
    const nonOne = v.shape.filter((d) => d !== 1);
    if (v.shape.length > 2 || nonOne.length !== 1 || v.shape[v.shape.length - 1] !== k) return undefined;
    const out = v.data.slice();
    permuteFlat(v.data, out, layout.c, layout.sp, 1);
    return ctx.constSym(`${ctx.node}_hwc`, { ...v, data: out });
  }
  return c;
}

/** out[rows × (S*C) in HWC order] = in[rows × (C*S) in CHW order]. */
export function permuteFlat(src: ArrayLike<number>, dst: { [i: number]: number }, c: number, sp: number[], rows: number): void {
  const s = shapeSize(sp);
  const k = c * s;
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < s; p++) dst[base + p * c + ch] = src[base + ch * s + p];
  }
}

/** Bring two operands of an element-wise op to a common layout. Returns ids and the result layout. */
export function alignBinary(ctx: OnnxContext, A: Sym, B: Sym): { ids: [number, number]; layout: Layout } {
  const la = A.layout;
  const lb = B.layout;
  const sa = ctx.shape(A);
  const sb = ctx.shape(B);
  const same = (x: Layout, y: Layout) => JSON.stringify(x) === JSON.stringify(y);
  if (same(la, lb)) return { ids: [A.id, B.id], layout: la };
  if (la.k === 'plain' && lb.k === 'plain') return { ids: [A.id, B.id], layout: PLAIN };
  // one side permuted: a constant or a one-element operand follows it
  const tryFollow = (P: Sym, sp: number[], Q: Sym, sq: number[]): number | undefined => {
    if (Q.layout.k !== 'plain') return undefined;
    if (isOnes(sq) && sq.length <= sp.length) return Q.id;
    if (ctx.isConst(Q.id) && sq.length <= sp.length) return constToLayout(ctx, Q, P.layout, sp)?.id;
    if (P.layout.k === 'cl' && sq.length === sp.length) return ctx.toCl(Q).id;
    return undefined;
  };
  if (la.k !== 'plain') {
    const q = tryFollow(A, sa, B, sb);
    if (q !== undefined) return { ids: [A.id, q], layout: la };
  }
  if (lb.k !== 'plain') {
    const q = tryFollow(B, sb, A, sa);
    if (q !== undefined) return { ids: [q, B.id], layout: lb };
  }
  return { ids: [ctx.toPlain(A), ctx.toPlain(B)], layout: PLAIN };
}

export function binary(ctx: OnnxContext, op: string, A: Sym, B: Sym, outName?: string): Sym {
  const { ids, layout } = alignBinary(ctx, A, B);
  const id = ctx.emit1(op, ids, {}, outName);
  return { id, layout };
}

/** Explicit begin/end pads for windowed ops from auto_pad / pads (ONNX order: all begins, then all ends). */
export function windowPads(
  ctx: OnnxContext,
  a: NodeAttrs,
  inSp: number[],
  k: number[],
  s: number[],
  d: number[],
): { begin: number[]; end: number[] } {
  const n = inSp.length;
  const autoPad = a.str('auto_pad', 'NOTSET');
  const pads = a.ints('pads', new Array(2 * n).fill(0));
  if (pads.length !== 2 * n) ctx.err('EF2003', `pads has ${pads.length} entries, ${2 * n} expected`);
  if (autoPad === 'NOTSET') return { begin: pads.slice(0, n), end: pads.slice(n) };
  if (autoPad === 'VALID') return { begin: new Array(n).fill(0), end: new Array(n).fill(0) };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') ctx.err('EF2003', `auto_pad '${autoPad}' is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(inSp[i] / s[i]);
    const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inSp[i]);
    const small = Math.floor(total / 2);
    if (autoPad === 'SAME_UPPER') begin.push(small), end.push(total - small);
    else begin.push(total - small), end.push(small);
  }
  return { begin, end };
}

/** Spatial attrs of a 1-D or 2-D windowed op, expressed as 2-D (H=1 for 1-D). */
export function to2d(xs: number[], n: number, fill: number): number[] {
  return n === 1 ? [fill, xs[0]] : xs;
}
export function pads2d(begin: number[], end: number[]): number[] {
  return begin.length === 1 ? [0, begin[0], 0, end[0]] : [begin[0], begin[1], end[0], end[1]];
}

export function needRank(ctx: OnnxContext, s: Sym, ranks: number[], what: string): number[] {
  const sh = ctx.shape(s);
  if (!ranks.includes(sh.length))
    ctx.err('EF2003', `${what} supports ${ranks.map((r) => `${r}-D`).join(' and ')} inputs only, got [${sh.join(',')}]`);
  return sh;
}
