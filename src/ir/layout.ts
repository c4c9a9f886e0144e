// Layout helpers at the graph boundary: transposing host-side data between a source model's layout
// (e.g. ONNX NCHW) and the stored IR layout (NHWC), as recorded by Tensor.sourcePerm.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, stridesOf } from './dtype.js';
import type { Tensor } from './graph.js';
import type { Value } from '../ops/types.js';

/** out = transpose(v, perm): out.shape[i] = v.shape[perm[i]]. */
export function transposeValue(v: Value, perm: number[]): Value {
  const r = v.shape.length;
  if (perm.length !== r) fail('EF1004', `permutation [${perm}] does not match rank ${r}`);
  const outShape = perm.map((p) => v.shape[p]);
  const inStr = stridesOf(v.shape);
  const n = shapeSize(outShape);
  const out = allocArray(v.dtype, n);
  const str = perm.map((p) => inStr[p]);
  const coord = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = v.data[off];
    for (let d = r - 1; d >= 0; d--) {
      coord[d]++;
      off += str[d];
      if (coord[d] < outShape[d]) break;
      off -= str[d] * coord[d];
      coord[d] = 0;
    }
  }
  return { dtype: v.dtype, shape: outShape, data: out };
}

export function invertPerm(p: number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((x, i) => (inv[x] = i));
  return inv;
}

/** Shape of the tensor in its source model's layout. */
export function sourceShape(t: Tensor): number[] {
  if (!t.sourcePerm) return t.shape;
  const inv = invertPerm(t.sourcePerm);
  return inv.map((i) => t.shape[i]);
}

/**
 * Bring a host value into the stored layout of graph input `t`: accepts the stored shape, the source-layout
 * shape (transposed with sourcePerm), or any shape with the same element count where no transposition is
 * implied (e.g. [28,28] for [1,28,28,1]).
 */
export function toStoredLayout(v: Value, t: Tensor): Value {
  const want = t.shape.map((d) => (d < 0 ? 1 : d));
  const eq = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (eq(v.shape, want)) return v;
  if (t.sourcePerm) {
    const src = sourceShape({ ...t, shape: want });
    if (eq(v.shape, src)) return transposeValue(v, t.sourcePerm);
  }
  if (shapeSize(v.shape) === shapeSize(want)) {
    const nonUnit = (s: number[]) => s.filter((d) => d !== 1);
    // Only a pure reshape when the non-unit dims agree in order (no hidden transposition).
    if (eq(nonUnit(v.shape), nonUnit(want)) || !t.sourcePerm) return { ...v, shape: want };
  }
  return fail('EF1004', `input '${t.name}' expects shape [${want}]${t.sourcePerm ? ` (or [${sourceShape({ ...t, shape: want })}] in the source layout)` : ''}, got [${v.shape}]`);
}

/** Bring an output value from the stored layout back to the source model's layout. */
export function toSourceLayout(v: Value, t: Tensor): Value {
  return t.sourcePerm ? transposeValue(v, invertPerm(t.sourcePerm)) : v;
}
