// Portable C lowering: ConvTranspose (int8, TFLM TRANSPOSE_CONV arithmetic). The kernel gathers instead of
// scattering: each output element sums the taps that land on it in an int32 accumulator started at its bias, which
// is the same integer as TFLM's scratch-then-bias sum, so no scratch buffer is needed. The filter is re-laid out
// [Cout][KH][KW][Cin] so each output channel reads contiguous input channels.

import { fail } from '../../../diagnostics.js';
import { commentSafe } from '../../common/cwriter.js';
import { arr, attrNums, checkMult, num, shiftOk, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

function emitConvTranspose(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, cptr, consts, notes } = c;
  const W = T(n.inputs[1]);
  const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
  if (X.dtype !== 'int8' || Y.dtype !== 'int8' || W.dtype !== 'int8' || !W.data)
    fail('EF3002', `ConvTranspose on ${X.dtype} with ${W.dtype} weights has no C kernel (int8 only)`, { node: n.name });
  if (B && (!B.data || B.dtype !== 'int32')) fail('EF3002', `ConvTranspose with a ${B.dtype} bias has no C kernel (constant int32)`, { node: n.name });
  if (((n.attrs.group as number | undefined) ?? 1) !== 1) fail('EF3002', 'grouped ConvTranspose has no C kernel', { node: n.name });
  const [N, IH, IW, IC] = X.shape;
  const [, OH, OW, OC] = Y.shape;
  const [, KH, KW] = W.shape;
  const ms = arr(q, 'mult', OC, n);
  const ss = arr(q, 'shift', OC, n);
  checkMult(ms, n);
  for (const v of ss) shiftOk(c, v);
  const wt = new Int8Array(OC * KH * KW * IC);
  for (let ci = 0; ci < IC; ci++)
    for (let t = 0; t < KH * KW; t++) for (let o = 0; o < OC; o++) wt[(o * KH * KW + t) * IC + ci] = W.data[(ci * KH * KW + t) * OC + o];
  consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wt, comment: `layer ${i} '${commentSafe(n.name)}': transposed-conv filter, layout [Cout=${OC}][KH=${KH}][KW=${KW}][Cin=${IC}] (re-laid from [${W.shape.join(',')}])`, where: 'weights' });
  if (B) consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: B.data!, comment: `layer ${i}: bias [${OC}]`, where: 'weights' });
  consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel`, where: 'model' });
  consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel (> 0 left)`, where: 'model' });
  const [sh, sw] = attrNums(n, 'strides', [1, 1]);
  const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
  const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
  const lines: string[] = [];
  for (let b = 0; b < N; b++)
    lines.push(
      `    ${P}_transpose_conv_s8(${cptr(X.id)} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${B ? `${L}_bias` : '0'}, ${ptr(Y.id)} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${num(q, 'in_zp', n)}, ${num(q, 'out_zp', n)}, ${L}_mult, ${L}_shift, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`,
    );
  return { kernel: ['transposeconv'], call: lines.join('\n'), consts, notes };
}

export const convTranspose: CLowering = { op: 'ConvTranspose', int16: false, kernels: ['transposeconv'], emit: emitConvTranspose };
