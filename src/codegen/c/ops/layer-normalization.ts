// Portable C lowering: LayerNormalization (int8 and 16x8), kernels/layer-normalization.c. The rows are the trailing
// N elements of X in memory order; Scale and the prepared bias (src/sim/int/layer-normalization.ts) are per row position.

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { arr, num, checkMult, shiftOk, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

function emitLayerNorm(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, X, Y, ptr, cptr, consts, notes } = c;
  const w16 = X.dtype === 'int16';
  if (X.dtype !== Y.dtype || (X.dtype !== 'int8' && !w16))
    fail('EF3002', `LayerNormalization from ${X.dtype} to ${Y.dtype} has no C kernel (int8 or int16 on both sides)`, { node: n.name });
  const N = num(q, 'count', n);
  const total = shapeSize(X.shape);
  if (total % N !== 0) fail('EF9001', `LayerNormalization prepared for rows of ${N} but X [${X.shape.join(',')}] holds ${total} elements`, { node: n.name });
  const m = num(q, 'mult', n);
  const s = num(q, 'shift', n);
  checkMult([m], n);
  shiftOk(c, s);
  const E = num(q, 'eps_term', n);
  consts.push({ sym: `${L}_gamma`, ctype: 'int8_t', data: arr(q, 'gamma', N, n), comment: `layer ${i}: Scale (int8, symmetric) per row position`, where: 'weights' });
  consts.push({ sym: `${L}_bias_k`, ctype: 'int32_t', data: arr(q, 'bias_k', N, n), comment: `layer ${i}: B in units of s_Scale*2^-${num(q, 'frac_bits', n)} per row position`, where: 'weights' });
  notes.push(`${total / N} rows of ${N}; epsilon term ${E}`);
  const t = w16 ? 'int16_t' : undefined;
  const call = `    ${P}_layer_norm_${w16 ? 's16' : 's8'}(${cptr(X.id, t)}, ${ptr(Y.id, t)}, ${total / N}, ${N}, (int64_t)${E}LL, ${num(q, 'frac_bits', n)}, ${L}_gamma, ${L}_bias_k, ${num(q, 'out_zp', n)}, ${m}, ${s});`;
  return { kernel: [w16 ? 'layernorm16' : 'layernorm'], call, consts, notes };
}

export const layerNormalization: CLowering = { op: 'LayerNormalization', int16: true, kernels: ['layernorm', 'layernorm16'], emit: emitLayerNorm };
