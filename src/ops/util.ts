// Helpers shared by op definitions: attribute access, broadcasting, fused activations, value construction.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, stridesOf, type DType, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { FusedActivation, InferCtx, TensorInfo, Value } from './types.js';

export function makeValue(dtype: DType, shape: number[], data?: TypedArray): Value {
  return { dtype, shape, data: data ?? allocArray(dtype, shapeSize(shape)) };
}

export function attrInt(a: Attrs, k: string): number {
  const v = a[k];
  if (typeof v !== 'number') throw new Error(`attribute ${k} is not a number`);
  return v;
}
export function attrFloat(a: Attrs, k: string): number {
  return attrInt(a, k);
}
export function attrInts(a: Attrs, k: string): number[] {
  const v = a[k];
  if (!Array.isArray(v)) throw new Error(`attribute ${k} is not a list`);
  return v as number[];
}
export function attrStr(a: Attrs, k: string): string {
  const v = a[k];
  if (typeof v !== 'string') throw new Error(`attribute ${k} is not a string`);
  return v;
}

/** The input at port i, or a coded error naming the node. */
export function input(ctx: InferCtx, i: number): TensorInfo {
  const t = ctx.inputs[i];
  if (!t) fail('EF1009', `input ${i} is missing`, { node: ctx.node.name });
  return t;
}

export function requireRank(ctx: InferCtx, i: number, rank: number | number[]): TensorInfo {
  const t = input(ctx, i);
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!ranks.includes(t.shape.length))
    fail('EF1004', `${ctx.node.op} input ${i} must have rank ${ranks.join(' or ')}, got [${t.shape.join(',')}]`, {
      node: ctx.node.name,
    });
  return t;
}

/** Numpy-style broadcast of two shapes, or a coded error. */
export function broadcastShapes(a: readonly number[], b: readonly number[], node = ''): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else fail('EF1004', `shapes [${a.join(',')}] and [${b.join(',')}] cannot be broadcast`, { node });
  }
  return out;
}

/**
 * For each output flat index, the flat index into an input of shape `inShape` broadcast to `outShape`.
 * Returned as an Int32Array so kernels can loop without recomputing strides.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = shapeSize(outShape);
  const idx = new Int32Array(n);
  const r = outShape.length;
  const inStr = stridesOf(inShape);
  // effective strides aligned to the output rank (0 where broadcast)
  const eff = new Array<number>(r).fill(0);
  for (let i = 0; i < r; i++) {
    const j = inShape.length - r + i;
    if (j >= 0 && inShape[j] !== 1) eff[i] = inStr[j];
  }
  if (eff.every((s, i) => s === stridesOf(outShape)[i])) {
    for (let i = 0; i < n; i++) idx[i] = i;
    return idx;
  }
  const coord = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      coord[d]++;
      off += eff[d];
      if (coord[d] < outShape[d]) break;
      off -= eff[d] * coord[d];
      coord[d] = 0;
    }
  }
  return idx;
}

/** Float clamp bounds of a fused activation (absent = none). The one table of fused-activation bounds. */
export function activationRange(act: unknown, node?: string): [number, number] {
  switch ((act ?? 'none') as FusedActivation) {
    case 'none':
      return [-Infinity, Infinity];
    case 'relu':
      return [0, Infinity];
    case 'relu6':
      return [0, 6];
    case 'relu_n1_to_1':
      return [-1, 1];
    default:
      return fail('EF1006', `unknown fused activation '${String(act)}'`, { node });
  }
}

/** Apply a fused activation in place to float data. */
export function applyActivation(data: TypedArray, act: string): void {
  if (act === 'none' || act === undefined) return;
  const [lo, hi] = activationRange(act);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    data[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** Normalise a possibly negative axis against a rank, or fail. */
export function normAxis(axis: number, rank: number, node = ''): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail('EF1006', `axis ${axis} is out of range for rank ${rank}`, { node });
  return a;
}


/**
 * Strided gather used by Transpose and Slice: for every output coordinate o (row-major over `outShape`),
 * out[flat(o)] = src[base + Σ o[d]·strides[d]]. Strides may be negative or zero. No per-element allocation.
 */
export function stridedCopy(src: TypedArray, base: number, outShape: readonly number[], strides: readonly number[], out: TypedArray): void {
  const r = outShape.length;
  if (r === 0) {
    out[0] = src[base];
    return;
  }
  if (shapeSize(outShape) === 0) return;
  const last = r - 1;
  const n = outShape[last];
  const s = strides[last];
  let pos = 0;
  const rec = (d: number, off: number): void => {
    if (d === last) {
      if (s === 1) {
        for (let i = 0; i < n; i++) out[pos + i] = src[off + i];
      } else {
        for (let i = 0, p = off; i < n; i++, p += s) out[pos + i] = src[p];
      }
      pos += n;
      return;
    }
    const m = outShape[d];
    const sd = strides[d];
    for (let i = 0, p = off; i < m; i++, p += sd) rec(d + 1, p);
  };
  rec(0, base);
}

/**
 * Per-axis index-map gather used by Pad: maps[d][o] is the input coordinate along axis d for output
 * coordinate o, or -1 for "outside the input" (then `fill` is written). `inShape` is the source shape.
 */
export function mappedCopy(src: TypedArray, inShape: readonly number[], maps: readonly Int32Array[], out: TypedArray, fill: number): void {
  const r = maps.length;
  if (r === 0) {
    out[0] = src[0];
    return;
  }
  const outShape = maps.map((m) => m.length);
  if (shapeSize(outShape) === 0) return;
  const str = stridesOf(inShape);
  const blocks = stridesOf(outShape); // output elements under one coordinate of axis d
  const last = r - 1;
  let pos = 0;
  const rec = (d: number, off: number): void => {
    const m = maps[d];
    const s = str[d];
    if (d === last) {
      for (let i = 0; i < m.length; i++) {
        const k = m[i];
        out[pos++] = k < 0 ? fill : src[off + k * s];
      }
      return;
    }
    for (let i = 0; i < m.length; i++) {
      const k = m[i];
      if (k < 0) {
        out.fill(fill, pos, pos + blocks[d]);
        pos += blocks[d];
      } else rec(d + 1, off + k * s);
    }
  };
  rec(0, 0);
}
