// Pad on integers: TFLM PAD fills with the output zero point and PADV2 with its stored constant. The IR's `value`
// is a real value (importers convert a stored quantized constant to the real value it represents), quantized
// here exactly once with the output scale: zp + rha(f32(value/s)); modes edge and reflect copy existing elements. No requantization: input and
// output must share scale and zero point.

import { fail } from '../../diagnostics.js';
import { stridesOf } from '../../ir/dtype.js';
import type { PadParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { actDType, padFill, scaleZp } from './prepare.js';
import { attrOr, need, newOut, qn } from './common.js';

export const kernel: IntKernel<PadParams> = {
  prepare(node, g) {
    const xId = node.inputs[0];
    const yId = node.outputs[0];
    actDType(g, xId, node);
    const dt = actDType(g, yId, node);
    const x = scaleZp(g, xId, node, 'input');
    const y = scaleZp(g, yId, node, 'output');
    if (x.s !== y.s || x.zp !== y.zp) fail('EF3004', 'Pad input and output must share scale and zero point', { node: node.name });
    const fill = padFill(attrOr(node, 'value', 0) as number, y.s, y.zp, dt);
    return { in_zp: x.zp, out_zp: y.zp, pad_value: fill };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const r = x.shape.length;
    const pads = attrOr(node, 'pads', new Array(2 * r).fill(0)) as number[];
    const mode = attrOr(node, 'mode', 'constant') as string;
    const fill = qn(node, 'pad_value');
    const inStr = stridesOf(x.shape);
    const os = out.shape;
    const xd = x.data;
    const yd = out.data;
    const coord = new Array<number>(r).fill(0);
    for (let i = 0; i < yd.length; i++) {
      let off = 0;
      let inside = true;
      for (let d = 0; d < r; d++) {
        let c = coord[d] - pads[d];
        const n = x.shape[d];
        if (c < 0 || c >= n) {
          if (mode === 'constant') {
            inside = false;
            break;
          }
          if (mode === 'edge') c = c < 0 ? 0 : n - 1;
          else {
            // reflect (no edge repeat)
            const p = 2 * (n - 1);
            c = p === 0 ? 0 : ((c % p) + p) % p;
            if (c >= n) c = p - c;
          }
        }
        off += c * inStr[d];
      }
      yd[i] = inside ? xd[off] : fill;
      for (let d = r - 1; d >= 0; d--) {
        if (++coord[d] < os[d]) break;
        coord[d] = 0;
      }
    }
    return [out];
  },
};
