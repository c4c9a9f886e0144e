// Softmax on integers: TFLM SOFTMAX for int8 input (INT8-ARITHMETIC.md §15): gemmlowp fixed-point exp of the
// scaled differences (Q5.26), sum in Q12.19, reciprocal by one_over_one_plus_x, output int8 (s = 1/256,
// zp = −128) or int16 (s = 1/65536, zp = −32768). The int16-input LUT path is not implemented (refused).
// The optional `beta` attribute (TFLite) defaults to 1.

import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { IntKernel } from '../../ops/types.js';
import { expOnNegativeValues, mbqmGreaterThanOne, oneOverOnePlusX, rdbpot, srdhm } from '../../quant/fixedpoint.js';
import { actDType, qm, scaleZp } from '../../quant/prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

const SCALED_DIFF_INT_BITS = 5;
const ACCUM_INT_BITS = 12;

export const kernel: IntKernel = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    const outDt = actDType(g, yId, node);
    if (inDt === 'int16')
      fail('EF3002', 'Softmax with int16 input (the TFLite LUT path) has no integer kernel yet', { node: node.name });
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
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
