// Portable C lowering: Point-wise activations: Sigmoid, Tanh, Relu / Clip, LeakyRelu, PRelu, HardSwish, HardSigmoid, Gelu.

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { SIGMOID_TABLE_UINT16 } from '../../../sim/int/lut16.js';
import { num, checkMult, bcast4, same16, operand, sameDtype, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

/** 16x8 LOGISTIC / TANH: the input rescale and TFLite's sigmoid(i/24) table (one copy per model). */
function logistic16(c: LowerCtx, k: 'logistic' | 'tanh'): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts } = c;
  same16(c);
  const m = num(q, 'input_multiplier', n);
  const sh = num(q, 'input_left_shift', n);
  if (!Number.isInteger(m) || m < 0 || m > 32767 || !Number.isInteger(sh) || sh < 0 || sh > 31)
    fail('EF9001', `node '${n.name}': int16 ${n.op} input rescale (${m}, ${sh}) is outside the kernel's range`, { node: n.name });
  consts.push({ sym: `${P}_sigmoid_table_u16`, ctype: 'uint16_t', data: [...SIGMOID_TABLE_UINT16], comment: 'TFLite sigmoid(i/24), i = 0..255, in 0.16 fixed point (int16 LOGISTIC and TANH)', where: 'weights', shared: true });
  const call = `    ${P}_${k}_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${m}, ${sh}, ${P}_sigmoid_table_u16);`;
  return { kernel: [`${k}16`], call, consts, notes: ['16x8: TFLM int16 table lookup'] };
}

function emitSigmoid(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  if (X.dtype === 'int16') return logistic16(c, 'logistic');
  const call = `    ${P}_logistic_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'input_range_radius', n)});`;
  return { kernel: ['logistic'], call, consts, notes };
}

function emitTanh(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  if (X.dtype === 'int16') return logistic16(c, 'tanh');
  const call = `    ${P}_tanh_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'input_multiplier', n)}, ${num(q, 'input_left_shift', n)}, ${num(q, 'input_range_radius', n)});`;
  return { kernel: ['tanh'], call, consts, notes };
}

function emitClamp(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  if (X.dtype === 'int16' || Y.dtype === 'int16') {
    same16(c);
    const sameQ = num(q, 'same_quant', n);
    if (sameQ !== 1) checkMult([num(q, 'mult', n)], n);
    const call16 = `    ${P}_clamp_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${sameQ}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: ['clamp16'], call: call16, consts, notes };
  }
  if (num(q, 'same_quant', n) === 1) {
    const call = `    ${P}_clamp_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: ['clamp'], call, consts, notes };
  }
  checkMult([num(q, 'mult', n)], n);
  const call = `    ${P}_requant_clamp_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
  return { kernel: ['rqclamp'], call, consts, notes };
}

function emitLeakyRelu(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  checkMult([num(q, 'mult_identity', n), num(q, 'mult_alpha', n)], n);
  if (X.dtype === 'int16' || Y.dtype === 'int16') {
    same16(c);
    const call16 = `    ${P}_leaky_relu_s16(${cptr(X.id, 'int16_t')}, ${ptr(Y.id, 'int16_t')}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
    return { kernel: ['leakyrelu16'], call: call16, consts, notes };
  }
  const call = `    ${P}_leaky_relu_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
  return { kernel: ['leakyrelu'], call, consts, notes };
}

function emitPRelu(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, cptr, consts, notes } = c;
  const A = T(n.inputs[1]);
  if (X.dtype !== 'int8' || A.dtype !== 'int8') fail('EF3002', `PRelu on ${X.dtype} with a ${A.dtype} slope has no C kernel (int8 only)`, { node: n.name });
  checkMult([num(q, 'mult_identity', n), num(q, 'mult_alpha', n)], n);
  const out = Y.shape;
  consts.push({ sym: `${L}_bc`, ctype: 'int32_t', data: [...new Array(4 - out.length).fill(1), ...out, ...bcast4(out, X.shape), ...bcast4(out, A.shape)], comment: `layer ${i}: output dims[4], element strides of x[4] and of the slope[4]`, where: 'model' });
  const call = `    ${P}_prelu_s8(${cptr(X.id)}, ${operand(c, A, 1)}, ${ptr(Y.id)}, ${L}_bc, ${L}_bc + 4, ${L}_bc + 8, ${num(q, 'in_zp', n)}, ${num(q, 'alpha_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult_identity', n)}, ${num(q, 'shift_identity', n)}, ${num(q, 'mult_alpha', n)}, ${num(q, 'shift_alpha', n)});`;
  return { kernel: ['prelu'], call, consts, notes };
}

function emitHardSwish(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  const call = `    ${P}_hard_swish_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'output_multiplier', n)}, ${num(q, 'output_multiplier_exponent', n)}, ${num(q, 'reluish_multiplier', n)}, ${num(q, 'reluish_multiplier_exponent', n)});`;
  return { kernel: ['hardswish'], call, consts, notes };
}

function emitHardSigmoid(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  checkMult([num(q, 'mult', n)], n);
  const call = `    ${P}_hard_sigmoid_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)}, ${num(q, 'beta_q', n)}, ${num(q, 'frac_bits', n)}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
  return { kernel: ['hardsigmoid'], call, consts, notes };
}

function emitGelu(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, X, Y, ptr, cptr, consts, notes } = c;
  if (X.dtype !== 'int8' || Y.dtype !== 'int8') fail('EF3002', `Gelu on ${X.dtype} has no C kernel (int8 only)`, { node: n.name });
  const lut = q?.lut;
  if (!Array.isArray(lut) || lut.length !== 256) fail('EF3001', `node '${n.name}' (Gelu) has no 256-entry table`, { node: n.name });
  consts.push({ sym: `${L}_lut`, ctype: 'int8_t', data: lut, comment: `layer ${i}: Gelu output for input -128..127 (TFLM GELU table, ${String(n.attrs.approximate ?? 'none')})`, where: 'model' });
  const call = `    ${P}_lut_s8(${cptr(X.id)}, ${ptr(Y.id)}, ${shapeSize(X.shape)}, ${L}_lut);`;
  return { kernel: ['lut8'], call, consts, notes };
}

export const sigmoid: CLowering = { op: 'Sigmoid', int16: true, inPlace: sameDtype, kernels: ['logistic', 'logistic16'], emit: emitSigmoid };
export const tanh: CLowering = { op: 'Tanh', int16: true, inPlace: sameDtype, kernels: ['tanh', 'tanh16'], emit: emitTanh };
export const relu: CLowering = { op: 'Relu', int16: true, inPlace: sameDtype, kernels: ['clamp', 'rqclamp', 'clamp16'], emit: emitClamp };
export const clip: CLowering = { op: 'Clip', int16: true, inPlace: sameDtype, kernels: ['clamp', 'rqclamp', 'clamp16'], emit: emitClamp };
export const leakyRelu: CLowering = { op: 'LeakyRelu', int16: true, inPlace: sameDtype, kernels: ['leakyrelu', 'leakyrelu16'], emit: emitLeakyRelu };
export const pRelu: CLowering = { op: 'PRelu', int16: false, kernels: ['prelu'], emit: emitPRelu };
export const hardSwish: CLowering = { op: 'HardSwish', int16: false, inPlace: sameDtype, kernels: ['hardswish'], emit: emitHardSwish };
export const hardSigmoid: CLowering = { op: 'HardSigmoid', int16: false, inPlace: sameDtype, kernels: ['hardsigmoid'], emit: emitHardSigmoid };
export const gelu: CLowering = { op: 'Gelu', int16: false, inPlace: sameDtype, kernels: ['lut8'], emit: emitGelu };
