// Portable C lowering: ReduceMean and ReduceMax over adjacent axes (outer x reduced x inner).

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import type { Node } from '../../../ir/graph.js';
import { num, checkMult, attrNums, type CLowering, type LayerCode, type LowerCtx, type QP } from '../lowering.js';

function emitReduceMean(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  const r = X.shape.length;
  const axesRaw = attrNums(n, 'axes', []);
  const axes = (axesRaw.length ? axesRaw.map((v) => (v < 0 ? v + r : v)) : X.shape.map((_, k) => k)).sort((p, q2) => p - q2);
  const contiguous = axes.every((v, k) => k === 0 || v === axes[k - 1] + 1);
  if (!contiguous) fail('EF3002', 'ReduceMean over non-adjacent axes has no C kernel', { node: n.name });
  const outer = shapeSize(X.shape.slice(0, axes[0]));
  const red = shapeSize(axes.map((v) => X.shape[v]));
  const inner = shapeSize(X.shape.slice(axes[axes.length - 1] + 1));
  const { m, s } = meanMultiplier(q, red, n);
  notes.push(`multiplier adjusted for N=${red} at prepare time`);
  const w16 = X.dtype === 'int16';
  if (w16 !== (Y.dtype === 'int16')) fail('EF3002', `ReduceMean from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
  if (w16) {
    const call16 = `    ${P}_mean_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${outer}, ${red}, ${inner}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${m}, ${s});`;
    return { kernel: ['mean16'], call: call16, consts, notes };
  }
  const call = `    ${P}_mean_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${red}, ${inner}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${m}, ${s});`;
  return { kernel: ['mean'], call, consts, notes };
}

/**
 * MEAN's multiplier: the prepare step (src/sim/int/reduce-mean.ts) stores the count-adjusted pair
 * M' = (M·2^sh)/N, S' = S − sh (INT8-ARITHMETIC.md 11) in mult/shift, with N in count.
 */
function meanMultiplier(q: QP | undefined, count: number, n: Node): { m: number; s: number } {
  const c = num(q, 'count', n);
  if (c !== count) fail('EF9001', `ReduceMean prepared for N=${c} but the C kernel reduces N=${count}`, { node: n.name });
  const m = num(q, 'mult', n);
  checkMult([m], n);
  return { m, s: num(q, 'shift', n) };
}

function emitReduceMax(c: LowerCtx): LayerCode {
  const { n, P, X, Y, ptr, cptr, consts } = c;
  if (X.dtype !== 'int8' && X.dtype !== 'int16') fail('EF3002', `ReduceMax on ${X.dtype} has no C kernel (int8/int16 only: the kernel compares signed values)`, { node: n.name });
  const r = X.shape.length;
  const axesRaw = attrNums(n, 'axes', []);
  const axes = [...new Set(axesRaw.length ? axesRaw.map((v) => (v < 0 ? v + r : v)) : X.shape.map((_, k) => k))].sort((p, q2) => p - q2);
  if (!axes.every((v, k) => k === 0 || v === axes[k - 1] + 1)) fail('EF3002', 'ReduceMax over non-adjacent axes has no C kernel', { node: n.name });
  const outer = shapeSize(X.shape.slice(0, axes[0]));
  const red = shapeSize(axes.map((v) => X.shape[v]));
  const inner = shapeSize(X.shape.slice(axes[axes.length - 1] + 1));
  if (red < 1) fail('EF3002', 'ReduceMax over an empty axis has no C kernel', { node: n.name });
  if (X.dtype === 'int16') {
    const call16 = `    ${P}_reduce_max_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${outer}, ${red}, ${inner});`;
    return { kernel: ['reducemax16'], call: call16, consts, notes: [`axes [${axes.join(',')}]`] };
  }
  const call = `    ${P}_reduce_max_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${outer}, ${red}, ${inner});`;
  return { kernel: ['reducemax'], call, consts, notes: [`axes [${axes.join(',')}]`] };
}

export const reduceMean: CLowering = { op: 'ReduceMean', int16: true, kernels: ['mean', 'mean16'], emit: emitReduceMean };
export const reduceMax: CLowering = { op: 'ReduceMax', int16: true, kernels: ['reducemax', 'reducemax16'], emit: emitReduceMax };
