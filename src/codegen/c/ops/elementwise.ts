// Portable C lowering: Broadcasting element-wise binary ops: Add / Sub / Mul (requantizing) and Max / Min (selecting).

import { fail } from '../../../diagnostics.js';
import { dtypeSize, shapeSize } from '../../../ir/dtype.js';
import { rdbpot, srdhm } from '../../../arith/fixedpoint.js';
import { num, checkMult, bcast4, operand, type CLowering, type LayerCode, type LowerCtx, type WalkCtx } from '../lowering.js';
import type { Walk } from '../../../plan/overlap.js';

/** Output elements from which an int8 Add / Sub tabulates its input rescales: below it the two 256-entry tables
 *  would hold more precomputed rescales than the layer performs (2 KB of flash for little time). */
export const ADD_TABLE_MIN = 512;

function emitArith(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, consts, notes } = c;
  const X2 = T(n.inputs[1]);
  const in1 = operand(c, X, 0);
  const in2 = operand(c, X2, 1);
  const out = Y.shape;
  const pad4 = (s: number[]) => [...new Array(4 - s.length).fill(1), ...s];
  const dims = pad4(out);
  const st1 = bcast4(out, X.shape);
  const st2 = bcast4(out, X2.shape);
  consts.push({ sym: `${L}_bc`, ctype: 'int32_t', data: [...dims, ...st1, ...st2], comment: `layer ${i}: output dims[4], input 1 strides[4], input 2 strides[4]`, where: 'model' });
  const bc = `${L}_bc, ${L}_bc + 4, ${L}_bc + 8`;
  const w16 = Y.dtype === 'int16';
  const sfx = w16 ? 's16' : 's8';
  if (n.op === 'Mul') {
    checkMult([num(q, 'mult', n)], n);
    const call = `    ${P}_mul_${sfx}(${in1}, ${in2}, ${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')}, ${bc}, ${num(q, 'in_zp', n)}, ${num(q, 'in2_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: [w16 ? 'mul16' : 'mul'], call, consts, notes };
  }
  checkMult([num(q, 'in_mult', n), num(q, 'in2_mult', n), num(q, 'out_mult', n)], n);
  const outShift = num(q, 'out_shift', n);
  if (!w16 && shapeSize(out) >= ADD_TABLE_MIN && outShift <= -1 && outShift >= -31) {
    // int8: the per-input rescale of each input byte, tabulated (256 int32 per input, exactly the simulator's
    // arithmetic); worth its 2 KB where the layer computes more rescales than the tables hold
    const ls = 2 ** num(q, 'left_shift', n);
    const table = (zp: number, m: number, s: number, neg: boolean) =>
      Int32Array.from({ length: 256 }, (_, k) => {
        const v = rdbpot(srdhm(((k - 128 - zp) * ls) | 0, m), -s);
        return neg ? -v | 0 : v;
      });
    const t1 = table(num(q, 'in_zp', n), num(q, 'in_mult', n), num(q, 'in_shift', n), false);
    const t2 = table(num(q, 'in2_zp', n), num(q, 'in2_mult', n), num(q, 'in2_shift', n), n.op === 'Sub');
    // the kernel's short rounding needs |t1 + t2| < 2^29 (int8 inputs shifted by 20 and a multiplier below one)
    for (const t of [t1, t2]) for (const v of t) if (Math.abs(v) > 2 ** 28) fail('EF3002', `${n.op}: an input rescale of ${v} exceeds 2^28`, { node: n.name });
    consts.push({ sym: `${L}_t1`, ctype: 'int32_t', data: t1, comment: `layer ${i}: input 1 rescaled, by input byte + 128`, where: 'weights' });
    consts.push({ sym: `${L}_t2`, ctype: 'int32_t', data: t2, comment: `layer ${i}: input 2 rescaled${n.op === 'Sub' ? ' and negated' : ''}, by input byte + 128`, where: 'weights' });
    const call = `    ${P}_addt_s8(${in1}, ${in2}, ${ptr(Y.id, 'int8_t')}, ${bc}, ${L}_t1, ${L}_t2, ${num(q, 'out_mult', n)}, ${-outShift}, ${num(q, 'out_zp', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: ['addt'], call, consts, notes: [...notes, 'input rescales tabulated (256 values per input)'] };
  }
  const call = `    ${P}_add_${sfx}(${in1}, ${in2}, ${ptr(Y.id, w16 ? 'int16_t' : 'int8_t')}, ${bc}, ${n.op === 'Sub' ? -1 : 1}, ${num(q, 'in_zp', n)}, ${num(q, 'in2_zp', n)}, ${num(q, 'left_shift', n)}, ${num(q, 'in_mult', n)}, ${num(q, 'in_shift', n)}, ${num(q, 'in2_mult', n)}, ${num(q, 'in2_shift', n)}, ${num(q, 'out_mult', n)}, ${num(q, 'out_shift', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
  return { kernel: [w16 ? 'add16' : 'add'], call, consts, notes };
}

function emitMinMax(c: LowerCtx): LayerCode {
  const { n, i, P, L, T, Y, ptr, cptr, consts, notes } = c;
  if (((n.attrs.activation as string | undefined) ?? 'none') !== 'none') fail('EF3002', `${n.op} with a fused activation has no C kernel`, { node: n.name });
  const ins = n.inputs.filter((id) => id >= 0);
  const isMax = n.op === 'Max' ? 1 : 0;
  const out = Y.shape;
  const w16 = Y.dtype === 'int16';
  if (ins.some((id) => (T(id).dtype === 'int16') !== w16)) fail('EF3002', `${n.op} of int8 and int16 tensors has no C kernel`, { node: n.name });
  const et = w16 ? 'int16_t' : 'int8_t';
  if (ins.length === 1) return { kernel: ['copy'], call: `    ${P}_copy(${ptr(Y.id)}, ${operand(c, T(ins[0]), 0)}, ${shapeSize(out) * (w16 ? 2 : 1)});`, consts, notes };
  const st = (id: number) => bcast4(out, T(id).shape);
  const dims = [...new Array(4 - out.length).fill(1), ...out];
  const lines: string[] = [];
  ins.slice(1).forEach((id, k) => {
    const sym = `${L}_bc${k}`;
    const first = k === 0;
    consts.push({ sym, ctype: 'int32_t', data: [...dims, ...(first ? st(ins[0]) : bcast4(out, out)), ...st(id)], comment: `layer ${i}: output dims[4], input strides[4] x2 (step ${k})`, where: 'model' });
    lines.push(`    ${P}_minmax_${w16 ? 's16' : 's8'}(${first ? operand(c, T(ins[0]), 0) : cptr(Y.id, et)}, ${operand(c, T(id), k + 1)}, ${ptr(Y.id, et)}, ${sym}, ${sym} + 4, ${sym} + 8, ${isMax});`);
  });
  return { kernel: [w16 ? 'minmax16' : 'minmax'], call: lines.join('\n'), consts, notes };
}

/** Memory walk (src/plan/overlap.ts) of the add / addt / mul kernels (int8 and int16, flat and general paths) when
 * input 0 is not broadcast: element k of input 0 (its index is k then) is read before output element k is written,
 * and never again, so the output may sit on input 0 or trail below it (addt's flat loop reads two elements, then
 * writes both: the same allowed range). */
function denseWalk(c: WalkCtx): Walk | undefined {
  const { X, Y } = c;
  if (X.shape.length !== Y.shape.length || X.shape.some((d, k) => d !== Y.shape[k])) return undefined;
  const ex = dtypeSize(X.dtype);
  const ey = dtypeSize(Y.dtype);
  const count = shapeSize(Y.shape);
  return (step) => {
    for (let k = 0; k < count; k++) step(k * ex, (k + 1) * ex, k * ey, (k + 1) * ey);
  };
}

export const add: CLowering = { op: 'Add', int16: true, walk: denseWalk, kernels: ['add', 'addt', 'add16'], emit: emitArith };
export const sub: CLowering = { op: 'Sub', int16: true, walk: denseWalk, kernels: ['add', 'addt', 'add16'], emit: emitArith };
export const mul: CLowering = { op: 'Mul', int16: true, walk: denseWalk, kernels: ['mul', 'mul16'], emit: emitArith };
export const max: CLowering = { op: 'Max', int16: true, kernels: ['copy', 'minmax', 'minmax16'], emit: emitMinMax };
export const min: CLowering = { op: 'Min', int16: true, kernels: ['copy', 'minmax', 'minmax16'], emit: emitMinMax };
