// Shared pieces of the recurrent ops (Lstm, Gru): shape checks and the sequence layout.
//
// Layout 0 (time major): X [T, B, I], Y [T, B, H]. Layout 1 (batch major): X [B, T, I], Y [B, T, H]. States are
// [B, H] (ONNX's num_directions axis of 1 is dropped by the importer). Direction 'reverse' walks t = T−1 … 0 and
// writes each step's hidden state at its own time index, as ONNX does.

import { fail } from '../diagnostics.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OutputInfo, TensorInfo } from './types.js';
import { input } from './util.js';

export interface RnnDims {
  T: number;
  B: number;
  I: number;
  H: number;
  /** Batch major (layout 1). */
  bm: boolean;
}

/** Dims of a recurrent op with `gates` gates from X [T,B,I] / [B,T,I] and W [gates·H, I]. */
export function rnnDims(op: string, x: readonly number[], w: readonly number[], r: readonly number[], layout: number, gates: number, node: string): RnnDims {
  if (layout !== 0 && layout !== 1) fail('EF1006', `${op} layout must be 0 (time major) or 1 (batch major), got ${layout}`, { node });
  if (x.length !== 3) fail('EF1004', `${op} input X must be rank 3 ([seq, batch, input] or [batch, seq, input]), got [${x.join(',')}]`, { node });
  if (w.length !== 2 || w[0] % gates !== 0 || w[0] === 0)
    fail('EF1004', `${op} weight W must be [${gates}·hidden, input], got [${w.join(',')}]`, { node });
  const H = w[0] / gates;
  const bm = layout === 1;
  const T = bm ? x[1] : x[0];
  const B = bm ? x[0] : x[1];
  const I = x[2];
  if (w[1] !== I) fail('EF1004', `${op} weight W [${w.join(',')}] expects input size ${w[1]}, X [${x.join(',')}] has ${I}`, { node });
  if (r.length !== 2 || r[0] !== gates * H || r[1] !== H)
    fail('EF1004', `${op} recurrence weight R must be [${gates * H}, ${H}], got [${r.join(',')}]`, { node });
  if (T < 1 || B < 1) fail('EF1004', `${op} input X [${x.join(',')}] has an empty sequence or batch`, { node });
  return { T, B, I, H, bm };
}

export function checkVec(op: string, what: string, t: TensorInfo | undefined, n: number, node: string): void {
  if (t && (t.shape.length !== 1 || t.shape[0] !== n)) fail('EF1004', `${op} ${what} must be [${n}], got [${t.shape.join(',')}]`, { node });
}

export function checkState(op: string, what: string, t: TensorInfo | undefined, d: RnnDims, node: string): void {
  if (t && (t.shape.length !== 2 || t.shape[0] !== d.B || t.shape[1] !== d.H))
    fail('EF1004', `${op} ${what} must be [batch, hidden] = [${d.B}, ${d.H}], got [${t.shape.join(',')}]`, { node });
}

export function rnnOutputs(d: RnnDims, dtype: TensorInfo['dtype'], states: number): OutputInfo[] {
  const y = d.bm ? [d.B, d.T, d.H] : [d.T, d.B, d.H];
  return [{ dtype, shape: y }, ...new Array(states).fill(0).map(() => ({ dtype, shape: [d.B, d.H] }))];
}

/** Dims from an infer context (X port 0, W port 1, R port 2). */
export function rnnDimsOf(op: string, ctx: InferCtx, gates: number): RnnDims {
  const x = input(ctx, 0);
  if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'int8')
    fail('EF1004', `${op} input X must be float (or int8 when quantized), got ${x.dtype}`, { node: ctx.node.name });
  return rnnDims(op, x.shape, input(ctx, 1).shape, input(ctx, 2).shape, ctx.attrs.layout as number, gates, ctx.node.name);
}

/** Offset of X row (t, b) / Y row (t, b) in elements of width `w`. */
export function rowOf(d: RnnDims, t: number, b: number, w: number): number {
  return (d.bm ? b * d.T + t : t * d.B + b) * w;
}

export function isReverse(a: Attrs): boolean {
  return a.direction === 'reverse';
}

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
