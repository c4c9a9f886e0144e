// HardSigmoid on integers: y = clamp(alpha·x + beta, 0, 1). TFLite has no HARD_SIGMOID builtin, so this is
// espforge's own int8 arithmetic, made like TFLM's HARD_SWISH gate (relu6(x + 3)/6) but for any alpha and beta:
// the input difference is scaled by a Q31 multiplier into the output's integers with 8 extra fractional bits, the
// offset beta is added at that resolution, one rounding shift drops the fraction, and [0, 1] becomes the clamp.
// Prepare (double arithmetic): (mult, shift) = QM(alpha·s_in/s_out·2^8), beta_q = round(beta/s_out·2^8).
// Error: MBQM's rounding (≤ 1/2 of 2^-8 LSB) plus beta_q's (≤ 1/2 of 2^-8 LSB) plus the final rounding (≤ 1/2 LSB),
// so y is within 1 LSB of the float function of the dequantized input.

import { fail } from '../../diagnostics.js';
import { dtypeRange } from '../../ir/dtype.js';
import type { HardSigmoidParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, rdbpot, rha } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

/** Fractional bits of the linear part before the final rounding. */
const FRAC_BITS = 8;

export const kernel: IntKernel<HardSigmoidParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    const outDt = actDType(g, yId, node);
    if (inDt === 'int16' || outDt === 'int16')
      fail('EF3002', 'HardSigmoid has an integer kernel for int8/uint8 only', {
        node: node.name,
        suggestion: 'keep this layer int8 (quantize --scheme int8 or mixed) or keep it float',
      });
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const alpha = attrOr(node, 'alpha', 0.2) as number;
    const beta = attrOr(node, 'beta', 0.5) as number;
    if (!(alpha > 0))
      fail('EF3002', `HardSigmoid with alpha = ${alpha} has no integer kernel (it needs alpha > 0)`, {
        node: node.name,
        suggestion: 'keep this layer float, or write it as Mul/Add/Clip',
      });
    const one = 2 ** FRAC_BITS;
    const real = ((alpha * x.s) / y.s) * one;
    const [mult, shift] = qm(real, node, 'slope');
    const betaQ = rha((beta / y.s) * one);
    const [lo, hi] = dtypeRange(inDt);
    const dMax = Math.max(hi - x.zp, x.zp - lo);
    // every intermediate must fit int32: the left-shifted difference, the scaled difference plus the offset
    if (dMax * 2 ** Math.max(shift, 0) >= 2 ** 31 || dMax * real + Math.abs(betaQ) + 1 >= 2 ** 31)
      fail('EF3004', `HardSigmoid: alpha·s_in/s_out = ${real / one} and beta/s_out = ${beta / y.s} overflow the int32 kernel`, {
        node: node.name,
        suggestion: 'recalibrate (the input or output range is degenerate) or keep this layer float',
      });
    const [olo, ohi] = dtypeRange(outDt);
    return {
      in_zp: x.zp,
      out_zp: y.zp,
      mult,
      shift,
      beta_q: betaQ,
      frac_bits: FRAC_BITS,
      act_min: Math.max(olo, y.zp),
      act_max: Math.min(ohi, y.zp + rha(1 / y.s)),
    };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const zi = qn(node, 'in_zp');
    const zo = qn(node, 'out_zp');
    const m = qn(node, 'mult');
    const s = qn(node, 'shift');
    const b = qn(node, 'beta_q');
    const fb = qn(node, 'frac_bits');
    const lo = qn(node, 'act_min');
    const hi = qn(node, 'act_max');
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const v = zo + rdbpot(mbqm(xd[i] - zi, m, s) + b, fb);
      yd[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return [out];
  },
};
