// ConvTranspose on integers: TFLM TRANSPOSE_CONV, int8 reference (reference_integer_ops::TransposeConv, per-channel).
// Prepare as Conv: per-output-channel (M, S) = QM(s_in·s_w[c]/s_out), the fused activation as the output clamp.
// Eval as TFLM: an int32 scratch of the whole output, every input pixel and tap scattering (x − zp_in)·w into it,
// then per output element acc + bias[c] → MBQM(acc, M[c], S[c]) + zp_out, clamped. Weights here are
// [Cin,KH,KW,Cout] with per-channel scales on the last axis (TFLite stores them OHWI; same values). Dilations and
// explicit pads are honoured (TFLite writes neither: its pads come from SAME/VALID); groups are not (PTQ keeps a
// grouped ConvTranspose float).

import { fail } from '../../diagnostics.js';
import type { ConvParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { actDType } from './prepare.js';
import { prepareWeighted } from './conv.js';
import { attrOr, need, newOut, qa, qn } from './common.js';

export const kernel: IntKernel<ConvParams> = {
  prepare(node, g) {
    const w = g.tensors[node.inputs[1]];
    if (!w || w.shape.length !== 4) fail('EF1004', 'ConvTranspose weight must be [Cin,KH,KW,Cout]', { node: node.name });
    if (((node.attrs.group as number | undefined) ?? 1) !== 1)
      fail('EF3002', 'ConvTranspose has an integer kernel for group = 1 only (TFLite TRANSPOSE_CONV has no groups)', { node: node.name });
    if (actDType(g, node.inputs[0], node) === 'int16')
      fail('EF3002', 'ConvTranspose has an integer kernel for int8 only (TFLM has no 16x8 TRANSPOSE_CONV here)', {
        node: node.name,
        suggestion: 'keep this layer int8 (quantize --scheme int8 or mixed)',
      });
    return prepareWeighted(node, g, w.shape[3]);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const b = inputs[2];
    const out = newOut(g, node, inputs);
    const [N, H, W, Cin] = x.shape;
    const [, OH, OW, Cout] = out.shape;
    const [, KH, KW] = w.shape;
    const [sh, sw] = attrOr(node, 'strides', [1, 1]) as number[];
    const [dh, dw] = attrOr(node, 'dilations', [1, 1]) as number[];
    const pads = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
    const [pt, pl] = pads;
    const zi = qn(node, 'in_zp');
    const zo = qn(node, 'out_zp');
    const lo = qn(node, 'act_min');
    const hi = qn(node, 'act_max');
    const mult = qa(node, 'mult');
    const shift = qa(node, 'shift');
    const xd = x.data;
    const wd = w.data;
    const yd = out.data;
    for (let n = 0; n < N; n++) {
      const scratch = new Int32Array(OH * OW * Cout);
      for (let iy = 0; iy < H; iy++)
        for (let ix = 0; ix < W; ix++)
          for (let ci = 0; ci < Cin; ci++) {
            const xv = xd[((n * H + iy) * W + ix) * Cin + ci] - zi;
            for (let ky = 0; ky < KH; ky++) {
              const oy = iy * sh - pt + ky * dh;
              if (oy < 0 || oy >= OH) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ox = ix * sw - pl + kx * dw;
                if (ox < 0 || ox >= OW) continue;
                const ob = (oy * OW + ox) * Cout;
                const wb = ((ci * KH + ky) * KW + kx) * Cout;
                for (let o = 0; o < Cout; o++) scratch[ob + o] += xv * wd[wb + o];
              }
            }
          }
      const yb = n * OH * OW * Cout;
      for (let p = 0; p < OH * OW; p++)
        for (let o = 0; o < Cout; o++) {
          const acc = scratch[p * Cout + o] + (b ? b.data[o] : 0);
          const v = mbqm(acc | 0, mult[o], shift[o]) + zo;
          yd[yb + p * Cout + o] = v < lo ? lo : v > hi ? hi : v;
        }
    }
    return [out];
  },
};
