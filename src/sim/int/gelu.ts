// Gelu on integers: TFLM GELU (int8/uint8): a 256-entry table filled at prepare time from the float function on
// every input value, in float32 as TFLM's LUTPopulate does it: x = s_in·(q − zp_in), y = gelu(x),
// out = clamp(round(y·(1/s_out)) + zp_out) (round half away from zero). Eval is one lookup per element.
// gelu here is computed in double and rounded to float32 once, where TFLM evaluates erff/tanhf in float32: the two
// differ by at most an ulp of float32, which changes a table entry only when y/s_out lies within that ulp of a
// rounding boundary.

import { fail } from '../../diagnostics.js';
import { dtypeRange } from '../../ir/dtype.js';
import type { GeluParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { gelu } from '../../ops/gelu.js';
import { rha } from '../../arith/fixedpoint.js';
import { actDType, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qa } from './common.js';

export const kernel: IntKernel<GeluParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    const outDt = actDType(g, yId, node);
    if (inDt === 'int16' || outDt !== inDt)
      fail('EF3002', `Gelu has an integer kernel for int8 and uint8 only (TFLM's table), got ${inDt} → ${outDt}`, {
        node: node.name,
        suggestion: 'keep this layer int8 (quantize --scheme int8 or mixed)',
      });
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const approx = attrOr(node, 'approximate', 'none') as string;
    const f = Math.fround;
    const inv = f(1 / y.s);
    const [lo, hi] = dtypeRange(inDt);
    const lut: number[] = [];
    for (let q = lo; q <= hi; q++) {
      const v = rha(f(f(gelu(f(x.s * (q - x.zp)), approx)) * inv)) + y.zp;
      lut.push(v < lo ? lo : v > hi ? hi : v);
    }
    return { lut };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const lut = qa(node, 'lut');
    const [lo] = dtypeRange(x.dtype);
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) yd[i] = lut[xd[i] - lo];
    return [out];
  },
};
