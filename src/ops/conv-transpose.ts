// ConvTranspose: transposed 2-D convolution on NHWC data, weights [Cin,KH,KW,Cout/group], groups, strides,
// dilations, explicit pads (cropped from the full output), output_padding (extra rows/columns at the end) and a
// fused activation. Output extent: (in-1)*s + (k-1)*d + 1 + output_padding - pad_begin - pad_end.
//
// Float kernel: scatter. Every input pixel and tap adds x * W[ci,ky,kx,:] to a contiguous run of output
// channels; sums are kept in doubles and rounded once on store.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type InferCtx, type OpDef, type OutputInfo, type Value } from './types.js';
import { input } from './util.js';
import { checkDims, checkOutputSize, clampBounds, intList, posInt } from './window.js';

export interface ConvTransposeGeom {
  N: number;
  H: number;
  W: number;
  Cin: number;
  Cout: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  group: number;
  cinG: number;
  coutG: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
}

export function convTransposeGeom(
  x: readonly number[],
  w: readonly number[],
  b: readonly number[] | undefined,
  attrs: Attrs,
  node: string,
): ConvTransposeGeom {
  const op = 'ConvTranspose';
  if (x.length !== 4) fail('EF1004', `ConvTranspose input X must be NHWC (rank 4), got [${x.join(',')}]`, { node });
  if (w.length !== 4)
    fail('EF1004', `ConvTranspose weight W must be [Cin,KH,KW,Cout/group] (rank 4), got [${w.join(',')}]`, { node });
  checkDims(op, 'input X', x, node, true);
  checkDims(op, 'weight W', w, node);
  const strides = intList(op, attrs, 'strides', 2, 1, node);
  const dilations = intList(op, attrs, 'dilations', 2, 1, node);
  const pads = intList(op, attrs, 'pads', 4, 0, node);
  const outPad = intList(op, attrs, 'output_padding', 2, 0, node);
  const group = posInt(op, attrs, 'group', node);
  const [N, H, W, Cin] = x;
  const [wCin, KH, KW, coutG] = w;
  if (wCin !== Cin) fail('EF1004', `ConvTranspose weight [${w.join(',')}] expects ${wCin} input channels, input has ${Cin}`, { node });
  if (Cin % group !== 0) fail('EF1006', `ConvTranspose group ${group} does not divide the ${Cin} input channels`, { node });
  const Cout = coutG * group;
  if (b && (b.length !== 1 || b[0] !== Cout))
    fail('EF1004', `ConvTranspose bias must be [${Cout}], got [${b.join(',')}]`, { node });
  const OH = (H - 1) * strides[0] + (KH - 1) * dilations[0] + 1 + outPad[0] - pads[0] - pads[2];
  const OW = (W - 1) * strides[1] + (KW - 1) * dilations[1] + 1 + outPad[1] - pads[1] - pads[3];
  if (OH < 1 || OW < 1)
    fail('EF1004', `ConvTranspose output would be ${OH}x${OW}: the pads [${pads.join(',')}] crop away the whole output`, { node });
  checkOutputSize(op, [N, OH, OW, Cout], node);
  return {
    N, H, W, Cin, Cout, KH, KW, OH, OW, group, cinG: Cin / group, coutG,
    sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt: pads[0], pl: pads[1],
  };
}

export function convTransposeFloat(
  x: TypedArray,
  w: TypedArray,
  bias: TypedArray | undefined,
  g: ConvTransposeGeom,
  act: unknown,
  out: TypedArray,
): void {
  const { N, H, W, Cin, Cout, KH, KW, OH, OW, group, cinG, coutG, sh, sw, dh, dw, pt, pl } = g;
  const [lo, hi] = clampBounds(act);
  const acc = new Float64Array(N * OH * OW * Cout);
  if (bias) for (let p = 0; p < acc.length; p += Cout) for (let o = 0; o < Cout; o++) acc[p + o] = bias[o];
  for (let n = 0; n < N; n++) {
    for (let iy = 0; iy < H; iy++) {
      for (let ky = 0; ky < KH; ky++) {
        const oy = iy * sh - pt + ky * dh;
        if (oy < 0 || oy >= OH) continue;
        for (let ix = 0; ix < W; ix++) {
          const xb = ((n * H + iy) * W + ix) * Cin;
          for (let kx = 0; kx < KW; kx++) {
            const ox = ix * sw - pl + kx * dw;
            if (ox < 0 || ox >= OW) continue;
            const obase = ((n * OH + oy) * OW + ox) * Cout;
            for (let gi = 0; gi < group; gi++) {
              const ob = obase + gi * coutG;
              for (let c = 0; c < cinG; c++) {
                const ci = gi * cinG + c;
                const xv = x[xb + ci];
                const wb = ((ci * KH + ky) * KW + kx) * coutG;
                for (let o = 0; o < coutG; o++) acc[ob + o] += xv * w[wb + o];
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) {
    const v = acc[i];
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

export const def: OpDef = {
  noIntAdvice:
    "ConvTranspose has an int8 kernel (TFLM's TRANSPOSE_CONV) only with group = 1: for grouped upsampling, use nearest Upsample/Resize followed by a Conv (both have int8 kernels), or run this part in float in the application on the dequantized output",
  name: 'ConvTranspose',
  // int8 as TFLM's TRANSPOSE_CONV (src/sim/int/conv-transpose.ts): per-output-channel weight scales, which are the
  // last axis of the [Cin,KH,KW,Cout] filter here. TRANSPOSE_CONV has no groups, so a grouped layer stays float.
  quant: {
    activations: 'int8',
    weights: { port: 1, biasPort: 2, granularity: 'per-channel', axis: 3 },
    keepsFloat: (n) => ((n.attrs.group as number | undefined) ?? 1) !== 1,
  },
  layout: 'spatial',
  doc: 'transposed 2-D convolution, NHWC input, [Cin,KH,KW,Cout/group] weights, strides, dilations, pads, output_padding',
  inputs: [{ name: 'X' }, { name: 'W', constant: true }, { name: 'B', optional: true, constant: true }],
  outputs: ['Y'],
  attrs: {
    strides: { type: 'ints', default: [1, 1], doc: '[stride_h, stride_w]' },
    dilations: { type: 'ints', default: [1, 1], doc: '[dilation_h, dilation_w]' },
    pads: { type: 'ints', default: [0, 0, 0, 0], doc: '[top, left, bottom, right], cropped from the full output' },
    output_padding: { type: 'ints', default: [0, 0], doc: 'extra [rows, cols] added at the bottom/right' },
    group: { type: 'int', default: 1, doc: 'number of groups' },
    activation: { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const g = convTransposeGeom(x.shape, w.shape, ctx.inputs[2]?.shape, ctx.attrs, ctx.node.name);
    return [{ dtype: x.dtype, shape: [g.N, g.OH, g.OW, g.Cout] }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node): Value[] {
    const x = ins[0]!;
    const w = ins[1]!;
    const b = ins[2];
    const g = convTransposeGeom(x.shape, w.shape, b?.shape, attrs, node.name);
    const shape = [g.N, g.OH, g.OW, g.Cout];
    const out = allocArray(x.dtype, shapeSize(shape));
    convTransposeFloat(x.data, w.data, b?.data, g, attrs.activation, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
  macs(ctx: InferCtx): number {
    // every input pixel meets every tap once (taps that land in the cropped pads are still counted)
    const x = ctx.inputs[0]!.shape;
    const w = ctx.inputs[1]!.shape;
    return Math.max(x[0], 1) * x[1] * x[2] * x[3] * w[1] * w[2] * w[3];
  },
};
