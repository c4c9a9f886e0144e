// HardSwish on integers: TFLM HARD_SWISH int8 reference. Prepare (float32 arithmetic as hard_swish_common.cc):
// hires scale = s_in/128, output multiplier QM(hires/s_out) and "reluish" multiplier QM(hires/(3/32768)), both
// down-scaled to int16. Eval works in saturating 16-bit fixed point.

import { fail } from '../../diagnostics.js';
import { dtypeRange } from '../../ir/dtype.js';
import type { HardSwishParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import {
  downScaleInt32ToInt16Multiplier,
  rdbpot,
  saturatingLeftShift16,
  sdhm16,
  srdhm16,
  toInt16,
} from '../../arith/fixedpoint.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { need, newOut, qn } from './common.js';

export const kernel: IntKernel<HardSwishParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    const inDt = actDType(g, xId, node);
    actDType(g, yId, node);
    if (inDt === 'int16')
      fail('EF3002', 'HardSwish has an integer kernel for int8/uint8 only (TFLite Micro has no int16 HARD_SWISH kernel)', {
        node: node.name,
        suggestion: 'keep this layer int8 (quantize --scheme int8 or mixed) or keep it float',
      });
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    const f = Math.fround;
    const hires = f(f(1 / 128) * x.s);
    const reluishScale = f(3 / 32768);
    const [om, oe] = qm(f(hires / y.s), node, 'output');
    if (oe > 0) fail('EF3004', 'HardSwish output scale is too small relative to the input scale (output multiplier exponent > 0)', { node: node.name });
    const [rm, re] = qm(f(hires / reluishScale), node, 'reluish');
    return {
      in_zp: x.zp,
      out_zp: y.zp,
      output_multiplier: downScaleInt32ToInt16Multiplier(om),
      output_multiplier_exponent: oe,
      reluish_multiplier: downScaleInt32ToInt16Multiplier(rm),
      reluish_multiplier_exponent: re,
    };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const zi = qn(node, 'in_zp');
    const zo = qn(node, 'out_zp');
    const om = qn(node, 'output_multiplier');
    const oe = qn(node, 'output_multiplier_exponent');
    const rm = qn(node, 'reluish_multiplier');
    const re = qn(node, 'reluish_multiplier_exponent');
    const [lo, hi] = dtypeRange(out.dtype);
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < xd.length; i++) {
      const iv = toInt16(xd[i] - zi);
      const hiresV = toInt16(iv * 128);
      const preshiftOut = srdhm16(hiresV, om);
      let r = hiresV;
      if (re > 0) r = saturatingLeftShift16(r, re - 1);
      r = srdhm16(r, rm);
      if (re > 0) r = saturatingLeftShift16(r, 1);
      if (re < 0) r = rdbpot(r, -re);
      r = toInt16((r + 32768) >> 1);
      const pre = sdhm16(r, preshiftOut);
      let v = toInt16(rdbpot(pre, -oe) + zo);
      v = v < lo ? lo : v > hi ? hi : v;
      yd[i] = v;
    }
    return [out];
  },
};
