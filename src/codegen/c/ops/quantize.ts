// Portable C lowering: Quantize between integer types (requantization); float <-> integer conversion stays at the library boundary.

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import type { Tensor } from '../../../ir/graph.js';
import { num, checkMult, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

function emitQuantize(c: LowerCtx): LayerCode {
  const { n, P, q, X, Y, ptr, cptr, consts, notes } = c;
  if ((X.dtype === 'int16' || Y.dtype === 'int16') && num(q, 'requant', n) === 1) {
    if (X.dtype === 'uint8' || Y.dtype === 'uint8') fail('EF3002', 'Quantize between uint8 and int16 has no C kernel', { node: n.name });
    checkMult([num(q, 'mult', n)], n);
    const call = `    ${P}_requant_s16(${cptr(X.id, 'void')}, ${X.dtype === 'int16' ? 16 : 8}, ${ptr(Y.id, 'void')}, ${Y.dtype === 'int16' ? 16 : 8}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)});`;
    return { kernel: ['requant16'], call, consts, notes };
  }
  if (!['int8', 'uint8'].includes(X.dtype) || num(q, 'requant', n) !== 1)
    fail('EF3002', `Quantize from ${X.dtype} has no C kernel (the C library takes integer I/O)`, { node: n.name });
  checkMult([num(q, 'mult', n)], n);
  const call = `    ${P}_requant_s8u8(${cptr(X.id, 'uint8_t')}, ${X.dtype === 'uint8' ? 1 : 0}, ${ptr(Y.id, 'uint8_t')}, ${Y.dtype === 'uint8' ? 1 : 0}, ${shapeSize(X.shape)}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${num(q, 'mult', n)}, ${num(q, 'shift', n)});`;
  return { kernel: ['requant'], call, consts, notes };
}

/** In place: same element type, or int8 <-> uint8 (one byte per element either way). */
const quantizeInPlace = (x: Tensor, y: Tensor) => x.dtype === y.dtype || (['int8', 'uint8'].includes(x.dtype) && ['int8', 'uint8'].includes(y.dtype));

export const quantize: CLowering = { op: 'Quantize', int16: true, inPlace: quantizeInPlace, kernels: ['requant', 'requant16'], emit: emitQuantize };
