// Portable C lowering: Softmax and LogSoftmax over the last axis.

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { num, arr, checkMult, shiftOk, sameDtype, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

function emitSoftmax(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  const r = X.shape.length;
  const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
  if (axis !== r - 1) fail('EF3002', 'Softmax over a non-last axis has no C kernel', { node: n.name });
  const depth = X.shape[r - 1];
  const rows = shapeSize(X.shape) / depth;
  if (X.dtype === 'int16') {
    if (Y.dtype !== 'int16') fail('EF3002', `Softmax from int16 to ${Y.dtype} has no C kernel`, { node: n.name });
    checkMult([num(q, 'input_multiplier', n)], n);
    shiftOk(c, num(q, 'input_left_shift', n));
    consts.push({ sym: `${P}_softmax16_exp_lut`, ctype: 'int16_t', data: arr(q, 'exp_lut', 513, n), comment: 'TFLM softmax exp table: exp on [-10, 0], Q0.15 (513 entries, from the prepare step)', where: 'weights', shared: true });
    consts.push({ sym: `${P}_softmax16_recip_lut`, ctype: 'int16_t', data: arr(q, 'one_over_one_plus_x_lut', 513, n), comment: 'TFLM softmax 1/(1+x) table on [0, 1], Q0.15 (513 entries, from the prepare step)', where: 'weights', shared: true });
    const call16 = `    ${P}_softmax_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${P}_softmax16_exp_lut, ${P}_softmax16_recip_lut);`;
    return { kernel: ['softmax16'], call: call16, consts, notes: ['16x8: TFLM SoftmaxInt16 (table exp and reciprocal)'] };
  }
  const call = `    ${P}_softmax_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'diff_min', n)});`;
  return { kernel: ['softmax'], call, consts, notes };
}

function emitLogSoftmax(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  const r = X.shape.length;
  const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
  if (axis !== r - 1) fail('EF3002', 'LogSoftmax over a non-last axis has no C kernel', { node: n.name });
  const depth = X.shape[r - 1];
  const rows = shapeSize(X.shape) / depth;
  checkMult([num(q, 'input_multiplier', n), num(q, 'reverse_multiplier', n)], n);
  const call = `    ${P}_log_softmax_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${rows}, ${depth}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'reverse_multiplier', n)}, ${num(q, 'reverse_shift', n)}, ${num(q, 'diff_min', n)});`;
  return { kernel: ['logsoftmax'], call, consts, notes };
}

export const softmax: CLowering = { op: 'Softmax', int16: true, inPlace: sameDtype, kernels: ['softmax', 'softmax16'], emit: emitSoftmax };
export const logSoftmax: CLowering = { op: 'LogSoftmax', int16: false, inPlace: sameDtype, kernels: ['logsoftmax'], emit: emitLogSoftmax };
