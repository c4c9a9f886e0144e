// Softmax on integers: TFLM SOFTMAX for int8 input (INT8-ARITHMETIC.md §15): gemmlowp fixed-point exp of the
// scaled differences (Q5.26), sum in Q12.19, reciprocal by one_over_one_plus_x, output int8 (s = 1/256,
// zp = −128) or int16 (s = 1/65536, zp = −32768).
// int16 input (TFLM SoftmaxInt16, the 16x8 path; input zp 0, output int16 with s = 1/32768, zp 0): differences to
// the row maximum are rescaled by QM(s_in·beta/(10/65535)) so that [−65535, 0] covers [−10, 0], recentred by
// +32767 and looked up in the 513-entry exp table (Q0.15); the Q16.15 sum is normalised by its leading zeros and
// inverted through the 1/(1+x) table; outputs are (exp·recip + round) >> (31 − clz(sum)), clamped to [0, 32767].
// Both tables are built once in prepare (qparams exp_lut, one_over_one_plus_x_lut).
// The optional `beta` attribute (TFLite) defaults to 1.

import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Node } from '../../ir/graph.js';
import type { SoftmaxParams } from '../../ops/qparams.js';
import type { IntKernel, Value } from '../../ops/types.js';
import { expOnNegativeValues, mbqm, mbqmGreaterThanOne, oneOverOnePlusX, rdbpot, srdhm } from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, cached, need, newOut, qa, qn } from './common.js';
import { lutLookup16, softmaxExpLut, softmaxOneOverOnePlusXLut } from './lut16.js';

const SCALED_DIFF_INT_BITS = 5;
const ACCUM_INT_BITS = 12;

export const kernel: IntKernel<SoftmaxParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    const outDt = actDType(g, yId, node);
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    if (inDt === 'int16') return prepare16(node, x, y, outDt, attrOr(node, 'beta', 1) as number);
    const want = outDt === 'int16' ? { s: 1 / 65536, zp: -32768 } : outDt === 'uint8' ? { s: 1 / 256, zp: 0 } : { s: 1 / 256, zp: -128 };
    if (y.s !== want.s || y.zp !== want.zp)
      fail('EF3004', `Softmax ${outDt} output must have scale ${want.s} and zero point ${want.zp} (got ${y.s}, ${y.zp})`, {
        node: node.name,
        suggestion: 'quantize the softmax output with the fixed TFLite parameters',
      });
    const beta = attrOr(node, 'beta', 1) as number;
    const real = Math.min(beta * x.s * 2 ** (31 - SCALED_DIFF_INT_BITS), 2 ** 31 - 1);
    const [m, l] = qm(real, node, 'input');
    if (l < 0) fail('EF3004', `Softmax input scale ${x.s} is too small for the fixed-point path`, { node: node.name });
    const radius = Math.floor((((1 << SCALED_DIFF_INT_BITS) - 1) * 2 ** (31 - SCALED_DIFF_INT_BITS)) / 2 ** l);
    return { input_multiplier: m, input_left_shift: l, diff_min: -radius, in_zp: x.zp, out_zp: y.zp };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    if (x.dtype === 'int16') return [eval16(x, out, node)];
    const rank = x.shape.length;
    let axis = attrOr(node, 'axis', -1) as number;
    if (axis < 0) axis += rank;
    const depth = x.shape[axis];
    const inner = shapeSize(x.shape.slice(axis + 1));
    const outer = shapeSize(x.shape.slice(0, axis));
    const m = qn(node, 'input_multiplier');
    const l = qn(node, 'input_left_shift');
    const diffMin = qn(node, 'diff_min');
    const outBits = out.dtype === 'int16' ? 16 : 8;
    const outMin = out.dtype === 'int16' ? -32768 : out.dtype === 'uint8' ? 0 : -128;
    const outMax = out.dtype === 'int16' ? 32767 : out.dtype === 'uint8' ? 255 : 127;
    const xd = x.data;
    const yd = out.data;
    const e = new Int32Array(depth);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * depth * inner + j;
        let mx = -2147483648;
        for (let c = 0; c < depth; c++) if (xd[base + c * inner] > mx) mx = xd[base + c * inner];
        let sum = 0;
        for (let c = 0; c < depth; c++) {
          const d = xd[base + c * inner] - mx;
          if (d >= diffMin) {
            const ex = expOnNegativeValues(mbqmGreaterThanOne(d, m, l), SCALED_DIFF_INT_BITS);
            e[c] = ex;
            sum = (sum + rdbpot(ex, ACCUM_INT_BITS)) | 0; // Rescale<12>: Q0.31 → Q12.19
          }
        }
        // reciprocal of the sum (GetReciprocal)
        const h = Math.clz32(sum);
        const numBitsOverUnit = ACCUM_INT_BITS - h;
        const shiftedSumMinusOne = ((sum << h) - 0x80000000) | 0;
        const scale = oneOverOnePlusX(shiftedSumMinusOne);
        const exp = numBitsOverUnit + 31 - outBits;
        for (let c = 0; c < depth; c++) {
          const d = xd[base + c * inner] - mx;
          let v: number;
          if (d >= diffMin) {
            v = rdbpot(srdhm(scale, e[c]), exp) + outMin;
            v = v < outMin ? outMin : v > outMax ? outMax : v;
          } else v = outMin;
          yd[base + c * inner] = v;
        }
      }
    return [out];
  },
};

function prepare16(node: Node, x: { s: number; zp: number }, y: { s: number; zp: number }, outDt: string, beta: number): SoftmaxParams {
  if (outDt !== 'int16') fail('EF3002', `Softmax with int16 input needs an int16 output (got ${outDt})`, { node: node.name });
  if (x.zp !== 0) fail('EF3004', `Softmax int16 input must have zero point 0 (got ${x.zp})`, { node: node.name });
  // TF_LITE_ENSURE_NEAR(output scale, 1/32768, 0.001/32768) and zero point 0
  if (y.zp !== 0 || Math.abs(y.s - 1 / 32768) > 0.001 / 32768)
    fail('EF3004', `Softmax int16 output must have scale 1/32768 and zero point 0 (got ${y.s}, ${y.zp})`, {
      node: node.name,
      suggestion: 'quantize the softmax output with the fixed TFLite 16x8 parameters',
    });
  const [m, l] = qm((x.s * Math.fround(beta)) / (10 / 65535), node, 'input');
  return {
    input_multiplier: m,
    input_left_shift: l,
    diff_min: 0,
    in_zp: 0,
    out_zp: 0,
    exp_lut: Array.from(softmaxExpLut()),
    one_over_one_plus_x_lut: Array.from(softmaxOneOverOnePlusXLut()),
  };
}

function eval16(x: Value, out: ReturnType<typeof newOut>, node: Node) {
  const rank = x.shape.length;
  let axis = attrOr(node, 'axis', -1) as number;
  if (axis < 0) axis += rank;
  const depth = x.shape[axis];
  const inner = shapeSize(x.shape.slice(axis + 1));
  const outer = shapeSize(x.shape.slice(0, axis));
  const m = qn(node, 'input_multiplier');
  const l = qn(node, 'input_left_shift');
  const t = cached(node, () => ({ exp: Int16Array.from(qa(node, 'exp_lut')), rec: Int16Array.from(qa(node, 'one_over_one_plus_x_lut')) }));
  const xd = x.data;
  const yd = out.data;
  const e = new Int32Array(depth);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      const base = o * depth * inner + j;
      let mx = -32768;
      for (let c = 0; c < depth; c++) if (xd[base + c * inner] > mx) mx = xd[base + c * inner];
      let sum = 0;
      for (let c = 0; c < depth; c++) {
        const scaled = mbqm(xd[base + c * inner] - mx, m, l) + 32767;
        const v = lutLookup16(scaled < -32768 ? -32768 : scaled > 32767 ? 32767 : scaled, t.exp);
        e[c] = v;
        sum = (sum + v) | 0;
      }
      // reciprocal of the Q16.15 sum: normalise by the leading zeros, 1/(1+x) table on the recentred fraction
      const h = Math.clz32(sum);
      const shifted = Math.floor((sum * 2 ** (h - 1) + 8192) / 16384); // < 2^31 + 2^13: exact in a double
      const sym = shifted - 98304; // − (2^15 + 2^16)
      const rec = lutLookup16(sym < -32768 ? -32768 : sym > 32767 ? 32767 : sym, t.rec);
      const rs = 31 - h;
      const round = 2 ** (rs - 1);
      for (let c = 0; c < depth; c++) {
        const r = Math.floor((e[c] * rec + round) / 2 ** rs); // |e·rec| < 2^30: exact
        yd[base + c * inner] = r < 0 ? 0 : r > 32767 ? 32767 : r;
      }
    }
  return out;
}
