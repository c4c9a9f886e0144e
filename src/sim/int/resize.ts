// Resize on integers. Nearest: the values pass through (the registry's reference kernel on the stored integers).
// Bilinear: TFLM RESIZE_BILINEAR's integer path (reference ResizeBilinearInteger), int8 and int16, input and output
// sharing scale and zero point (the interpolation weights sum to one, so the zero point passes through):
//   scale_10 = (2^10·in + out/2) / out, or with align_corners (out > 1) (2^10·(in−1) + (out−1)/2) / (out−1)
//   (C integer division); source v = o·scale_10, with half-pixel centres o·scale_10 + scale_10/2 − 2^9;
//   lower = max(v / 2^10, 0) and upper = min((v + 2^10 − 1) / 2^10, in − 1) (C division truncates toward 0);
//   y = Σ x[tap]·wy·wx over the 4 taps with 10-bit weights (2^10 − (v − 2^10·lower) and v − 2^10·lower),
//   rounded half away from zero by 2^20 (TFLM without TFLITE_SINGLE_ROUNDING).
// ONNX coordinate modes map as PyTorch exports them: align_corners → align_corners; half_pixel and
// pytorch_half_pixel (an output extent > 1) → half_pixel_centers; asymmetric → neither. Any other mode, or explicit
// scales that are not out/in, has no TFLite form and no integer kernel here.

import { fail } from '../../diagnostics.js';
import type { Node } from '../../ir/graph.js';
import type { ResizeParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { generic } from './generic.js';
import { attrOr, need, newOut, qn } from './common.js';
import { interp10, scale10 } from '../../arith/resize10.js';

const nearest = generic('Resize', true);

function bilinearMode(node: Node, H: number, W: number, OH: number, OW: number): { align: boolean; half: boolean } {
  const ctm = attrOr(node, 'coordinate_transformation_mode', 'half_pixel') as string;
  const scales = node.attrs.scales as number[] | undefined;
  if (scales && (scales[1] !== OH / H || scales[2] !== OW / W))
    fail('EF3002', `bilinear Resize with explicit scales [${scales.join(',')}] that are not output/input has no integer kernel (TFLite RESIZE_BILINEAR maps by the sizes)`, {
      node: node.name,
      suggestion: 'export with an integer scale factor or explicit output sizes',
    });
  if (ctm === 'align_corners') return { align: true, half: false };
  if (ctm === 'asymmetric') return { align: false, half: false };
  if (ctm === 'half_pixel' || (ctm === 'pytorch_half_pixel' && OH > 1 && OW > 1)) return { align: false, half: true };
  return fail('EF3002', `bilinear Resize with coordinate_transformation_mode '${ctm}'${ctm === 'pytorch_half_pixel' ? ' and an output extent of 1' : ''} has no integer kernel (TFLite RESIZE_BILINEAR has align_corners, half_pixel_centers or neither)`, {
    node: node.name,
    suggestion: "use nn.Upsample(mode='bilinear', align_corners=False or True) (half_pixel / align_corners)",
  });
}

export const kernel: IntKernel<ResizeParams> = {
  prepare(node, g) {
    const base = nearest.prepare(node, g);
    if ((node.attrs.mode ?? 'nearest') !== 'linear') return base;
    const [, H, W] = g.tensors[node.inputs[0]].shape;
    const [, OH, OW] = g.tensors[node.outputs[0]].shape;
    const { align, half } = bilinearMode(node, H, W, OH, OW);
    return { ...base, bilinear: 1, align_corners: align ? 1 : 0, half_pixel_centers: half ? 1 : 0, h_scale_10: scale10(H, OH, align), w_scale_10: scale10(W, OW, align) };
  },
  eval(inputs, node, g, params) {
    if (params.bilinear !== 1) return nearest.eval(inputs, node, g, params);
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, C] = x.shape;
    const [, OH, OW] = out.shape;
    const half = qn(node, 'half_pixel_centers') === 1;
    const hs = qn(node, 'h_scale_10');
    const ws = qn(node, 'w_scale_10');
    const xd = x.data;
    const yd = out.data;
    let p = 0;
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < OH; oy++) {
        const [iy, y0, y1] = interp10(oy, hs, half, H);
        const fy = iy - 1024 * y0;
        for (let ox = 0; ox < OW; ox++) {
          const [ix, x0, x1] = interp10(ox, ws, half, W);
          const fx = ix - 1024 * x0;
          const a = ((n * H + y0) * W + x0) * C;
          const b = ((n * H + y1) * W + x0) * C;
          const c = ((n * H + y0) * W + x1) * C;
          const d = ((n * H + y1) * W + x1) * C;
          for (let k = 0; k < C; k++) {
            // |sum| < 2^15·2^20·4: exact in a double
            const s = xd[a + k] * (1024 - fy) * (1024 - fx) + xd[b + k] * fy * (1024 - fx) + xd[c + k] * (1024 - fy) * fx + xd[d + k] * fy * fx;
            yd[p++] = Math.trunc((s + (s > 0 ? 1 << 19 : -(1 << 19))) / (1 << 20));
          }
        }
      }
    return [out];
  },
};
