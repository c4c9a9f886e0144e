// Portable C lowering: FullyConnected: the int8 GEMM over rows (16x8 through the conv kernel).

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { commentSafe } from '../../common/cwriter.js';
import { num, arr, packColumns, columnBlocks, qArrays, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';
import { conv16 } from './conv.js';

function emitFullyConnected(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, cptr, consts, notes } = c;
  const W = T(n.inputs[1]);
  const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
  if (!W.data || W.dtype !== 'int8') fail('EF3002', 'FullyConnected needs constant int8 weights', { node: n.name });
  if (X.dtype === 'int16') return conv16(c);
  const [No, K] = W.shape;
  const rows = shapeSize(X.shape) / K;
  const inZp = num(q, 'in_zp', n);
  if (W.quant && W.quant.zeroPoint.some((z) => z !== 0)) fail('EF3002', 'FullyConnected weights with a nonzero zero point', { node: n.name });
  qArrays(c, arr(q, 'mult', No, n), arr(q, 'shift', No, n));
  const bias = new Int32Array(No);
  for (let o = 0; o < No; o++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += W.data[o * K + k];
    bias[o] = ((B?.data ? B.data[o] : 0) - inZp * s) | 0;
  }
  consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(W.data, No, K), comment: `layer ${i} '${commentSafe(n.name)}': weights [N=${No}][K=${K}] packed in column blocks of 8/4/1 as [block][K][width]`, where: 'weights' });
  consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: bias, comment: `layer ${i}: bias - in_zp(${inZp}) * sum(row) [${No}]`, where: 'weights' });
  const call = `    ${P}_gemm_s8(${cptr(X.id)}, ${rows}, ${K}, ${L}_w, ${L}_bias, ${ptr(Y.id)}, ${No}, ${num(q, 'out_zp', n)}, ${L}_rq, ${L}_rqs, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
  return { kernel: ['gemm'], variants: columnBlocks(No).map((b) => `gemm.b${b}`), call, consts, notes };
}

export const fullyConnected: CLowering = { op: 'FullyConnected', int16: true, kernels: ['gemm', 'conv16', 'convb16', 'convb16i'], emit: emitFullyConnected };
