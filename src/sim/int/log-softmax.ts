// LogSoftmax on integers: TFLite / TFLM LOG_SOFTMAX int8 (reference_integer_ops::LogSoftmax), last axis.
// Output is fixed at scale 16/256 and zero point 127 ([-16, 0] → [-128, 127]).
//
// Prepare (PreprocessLogSoftmaxScalingExp with beta = 1 and 5 integer bits for the scaled differences):
//   (M, L) = QuantizeMultiplierGreaterThanOne(min(s_in·2^26, 2^31 − 1))                 input_multiplier/left_shift
//   (Mr, Sr) = QuantizeMultiplierSmallerThanOneExp(2^(31−L) / M), reverse_shift = −Sr    (a right shift >= 0)
//   diff_min = −floor(31·2^26 / 2^L)
// Eval per row:
//   d = x − max(row); for d >= diff_min: sum(Q12.19) += Rescale<12>(exp_on_negative_values(Q5.26: MBQM(d, M, L)))
//   lse = log_x_for_x_greater_than_or_equal_to_1<5>(sum)            (Q5.26)
//   adj = max(diff_min − 1, MBQM(lse + INT32_MIN, Mr, −reverse_shift))
//   y = d > adj ? clamp(RDBPOT(MBQM(d, M, L) − lse, 22) + 127) : −128
// log_x_for_x_greater_than_or_equal_to_1 (TFLite internal/common.h) is ported below from its published formula:
// a power-of-two split by leading zeros, then a rational approximation of log on [sqrt(sqrt(1/2)), ...) with one
// 1/(1+x) Newton reciprocal.

import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { LogSoftmaxParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { expOnNegativeValues, mbqm, oneOverOnePlusX, quantizeMultiplier, rdbpot, srdhm, srmbpot } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, need, newOut } from './common.js';

const INPUT_INT_BITS = 5;
const ACCUM_INT_BITS = 12;
const OUTPUT_INT_BITS = 4;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The fixed output quantization of int8 LOG_SOFTMAX. */
export const LOG_SOFTMAX_OUT = { scale: 16 / 256, zeroPoint: 127 } as const;

const wrapAdd = (a: number, b: number): number => (a + b) | 0;
const wrapSub = (a: number, b: number): number => (a - b) | 0;
const sat = (v: number): number => (v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v);
/** gemmlowp RoundingHalfSum for int32 (int64 sum, rounds half away from zero). */
const roundingHalfSum = (a: number, b: number): number => {
  const s = a + b;
  return Math.trunc((s + (s >= 0 ? 1 : -1)) / 2);
};

// Q0.31 constants of log_x_for_x_greater_than_or_equal_to_1_impl
const LOG_2 = 1488522236; // log(2)
const SQRT_SQRT_HALF = 1805811301; // 0.5^(1/4)
const SQRT_HALF = 1518500250; // sqrt(0.5)
const ONE_QUARTER = 536870912;
const ALPHA_N = 117049297; // 11/240 · 2^(1/4)
const ALPHA_D = 127690142; // 1/20 · 2^(1/4)
const ALPHA_I = 1057819769; // 2/2^(1/4) − 2^(1/4)
const ALPHA_F = 638450708; // 1/4 · 2^(1/4)

/**
 * TFLite log_x_for_x_greater_than_or_equal_to_1_impl<outBits, inBits>: x is the raw FixedPoint<int32, inBits>
 * (x > 0), the result the raw FixedPoint<int32, outBits> of log(x).
 */
export function logXForXGe1(x: number, inBits: number, outBits: number): number {
  const accBits = outBits + 1;
  const shiftedQuarter = srmbpot(ONE_QUARTER, -accBits); // Rescale<accBits>(F0)
  const zA = x;
  const zAHeadroomPlus1 = Math.clz32(zA);
  const rATmp = srmbpot(zA, zAHeadroomPlus1 - 1);
  const rARaw = srmbpot(srdhm(rATmp, SQRT_HALF), 1);
  const zAPow2Adj = sat(srmbpot(inBits - zAHeadroomPlus1, 31 - accBits) + shiftedQuarter);
  const zB = srdhm(zA, SQRT_HALF);
  const zBHeadroom = Math.clz32(zB) - 1;
  const rBRaw = srmbpot(zA, zBHeadroom);
  const zBPow2Adj = sat(srmbpot(inBits - zBHeadroom, 31 - accBits) - shiftedQuarter);
  const r = Math.min(rARaw, rBRaw);
  const zPow2Adj = Math.max(zAPow2Adj, zBPow2Adj);
  const p = roundingHalfSum(r, SQRT_SQRT_HALF);
  let q = wrapSub(r, SQRT_SQRT_HALF);
  q = wrapAdd(q, q);
  const commonSq = srdhm(q, q);
  const num = wrapAdd(srdhm(q, r), srdhm(srdhm(q, commonSq), ALPHA_N));
  const denomMinusOne = wrapAdd(srdhm(p, wrapAdd(wrapAdd(ALPHA_I, q), srdhm(ALPHA_D, commonSq))), srdhm(ALPHA_F, q));
  const recipDenom = oneOverOnePlusX(denomMinusOne);
  const numScaled = srmbpot(num, -accBits); // Rescale<accBits>(F0)
  return srmbpot(wrapAdd(srdhm(zPow2Adj, LOG_2), srdhm(numScaled, recipDenom)), accBits - outBits);
}

export const kernel: IntKernel<LogSoftmaxParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    const outDt = actDType(g, yId, node);
    if (inDt !== 'int8' || outDt !== 'int8')
      fail('EF3002', `LogSoftmax has an integer kernel for int8 → int8 only (got ${inDt} → ${outDt})`, {
        node: node.name,
        suggestion: 'keep this layer int8 (quantize --scheme int8) or keep it float',
      });
    const r = g.tensors[xId].shape.length;
    const axis = attrOr(node, 'axis', -1) as number;
    if (axis !== -1 && axis !== r - 1)
      fail('EF3002', `LogSoftmax over axis ${axis} of a rank-${r} tensor: the integer kernel works on the last axis only`, { node: node.name });
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    if (y.s !== LOG_SOFTMAX_OUT.scale || y.zp !== LOG_SOFTMAX_OUT.zeroPoint)
      fail('EF3004', `LogSoftmax int8 output must have scale 16/256 and zero point 127 (got ${y.s}, ${y.zp})`, {
        node: node.name,
        suggestion: 'quantize the LogSoftmax output with the fixed TFLite parameters',
      });
    const real = Math.min(x.s * 2 ** (31 - INPUT_INT_BITS), 2 ** 31 - 1);
    const [m, l] = qm(real, node, 'input');
    // TFLite computes 1 << (31 − L) in int: L must be in [1, 31] (L = 0 would mean an input scale below 2^-26)
    if (l < 1 || l > 31 || m === 0)
      fail('EF3004', `LogSoftmax input scale ${x.s} is outside the range of the fixed-point path`, { node: node.name });
    const rev = quantizeMultiplier(2 ** (31 - l) / m);
    if (rev.shift > 0) fail('EF3004', `LogSoftmax reverse scaling multiplier is not below one (input scale ${x.s})`, { node: node.name });
    const radius = Math.floor((((1 << INPUT_INT_BITS) - 1) * 2 ** (31 - INPUT_INT_BITS)) / 2 ** l);
    return {
      in_zp: x.zp,
      out_zp: y.zp,
      input_multiplier: m,
      input_left_shift: l,
      reverse_multiplier: rev.mult,
      reverse_shift: -rev.shift,
      diff_min: -radius,
    };
  },
  eval(inputs, node, g, p) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const depth = x.shape[x.shape.length - 1];
    const outer = depth > 0 ? shapeSize(x.shape) / depth : 0;
    const { input_multiplier: m, input_left_shift: l, reverse_multiplier: rm, reverse_shift: rs, diff_min: diffMin } = p;
    const xd = x.data;
    const yd = out.data;
    const outShift = 31 - INPUT_INT_BITS - OUTPUT_INT_BITS;
    for (let o = 0; o < outer; o++) {
      const base = o * depth;
      let mx = -128;
      for (let c = 0; c < depth; c++) if (xd[base + c] > mx) mx = xd[base + c];
      let sum = 0;
      for (let c = 0; c < depth; c++) {
        const d = xd[base + c] - mx;
        if (d >= diffMin) sum = wrapAdd(sum, rdbpot(expOnNegativeValues(mbqm(d, m, l), INPUT_INT_BITS), ACCUM_INT_BITS));
      }
      const lse = logXForXGe1(sum, ACCUM_INT_BITS, INPUT_INT_BITS);
      const adj = Math.max(diffMin - 1, mbqm(wrapAdd(lse, INT32_MIN), rm, -rs));
      for (let c = 0; c < depth; c++) {
        const d = xd[base + c] - mx;
        if (d > adj) {
          const v = rdbpot(wrapSub(mbqm(d, m, l), lse), outShift) + 127;
          yd[base + c] = v < -128 ? -128 : v > 127 ? 127 : v;
        } else yd[base + c] = -128;
      }
    }
    return [out];
  },
};
