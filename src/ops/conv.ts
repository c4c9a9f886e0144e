// Conv: 2-D convolution on NHWC data with OHWI weights, groups (depthwise when group == Cin, with a channel
// multiplier Cout/Cin), strides, dilations, explicit asymmetric pads and a fused activation. 1-D convolutions
// are expressed with H = 1.
//
// Float kernel: when each group has one input channel (depthwise, and any Cin = 1 conv) the weights are
// re-laid as [KH*KW][Cout] and each in-bounds tap updates a contiguous run of output channels; otherwise each
// output pixel's receptive field is gathered into a patch (im2col, one pixel at a time, zeros for padding) and
// dotted against contiguous weight rows, four output channels at a time. 1x1 unpadded convs read the input
// row directly. Sums are kept in doubles and rounded once on store.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type InferCtx, type OpDef, type OutputInfo, type Value } from './types.js';
import { input } from './util.js';
import { checkDims, checkOutputSize, clampBounds, intList, posInt, tapRange, windowExtent } from './window.js';

export interface ConvGeom {
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

/** Validate shapes and attributes and compute the output geometry (shared by infer and evalFloat). */
export function convGeom(x: readonly number[], w: readonly number[], b: readonly number[] | undefined, attrs: Attrs, node: string): ConvGeom {
  const op = 'Conv';
  if (x.length !== 4) fail('EF1004', `Conv input X must be NHWC (rank 4), got [${x.join(',')}]`, { node });
  if (w.length !== 4) fail('EF1004', `Conv weight W must be [Cout,KH,KW,Cin/group] (rank 4), got [${w.join(',')}]`, { node });
  checkDims(op, 'input X', x, node, true);
  checkDims(op, 'weight W', w, node);
  const [strides, dilations, pads] = [
    intList(op, attrs, 'strides', 2, 1, node),
    intList(op, attrs, 'dilations', 2, 1, node),
    intList(op, attrs, 'pads', 4, 0, node),
  ];
  const group = posInt(op, attrs, 'group', node);
  const [N, H, W, Cin] = x;
  const [Cout, KH, KW, cinG] = w;
  if (Cin % group !== 0) fail('EF1006', `Conv group ${group} does not divide the ${Cin} input channels`, { node });
  if (cinG * group !== Cin)
    fail('EF1004', `Conv weight [${w.join(',')}] expects ${cinG * group} input channels (Cin/group = ${cinG}, group ${group}), input has ${Cin}`, { node });
  if (Cout % group !== 0) fail('EF1004', `Conv group ${group} does not divide the ${Cout} output channels`, { node });
  if (b && (b.length !== 1 || b[0] !== Cout))
    fail('EF1004', `Conv bias must be [${Cout}], got [${b.join(',')}]`, { node });
  const OH = windowExtent(op, node, 'height', H, KH, strides[0], dilations[0], pads[0], pads[2], false);
  const OW = windowExtent(op, node, 'width', W, KW, strides[1], dilations[1], pads[1], pads[3], false);
  checkOutputSize(op, [N, OH, OW, Cout], node);
  return {
    N, H, W, Cin, Cout, KH, KW, OH, OW, group, cinG, coutG: Cout / group,
    sh: strides[0], sw: strides[1], dh: dilations[0], dw: dilations[1], pt: pads[0], pl: pads[1],
  };
}

/** Weights re-laid [Cout,KH,KW,1] → [KH*KW][Cout], cached per weight array (weights are constants). */
const tapMajorCache = new WeakMap<TypedArray, Float64Array>();
function tapMajor(w: TypedArray, Cout: number, taps: number): Float64Array {
  let t = tapMajorCache.get(w);
  if (t && t.length === w.length) return t;
  t = new Float64Array(w.length);
  for (let o = 0; o < Cout; o++) for (let k = 0; k < taps; k++) t[k * Cout + o] = w[o * taps + k];
  tapMajorCache.set(w, t);
  return t;
}

/** Weights as doubles (the inner loops then read one element type), cached per weight array. */
const f64Cache = new WeakMap<TypedArray, Float64Array>();
function asF64(w: TypedArray): Float64Array {
  if (w instanceof Float64Array) return w;
  let t = f64Cache.get(w);
  if (t && t.length === w.length) return t;
  t = Float64Array.from(w);
  f64Cache.set(w, t);
  return t;
}

/** The float Conv kernel on raw arrays; exported for reuse (e.g. by tests and later lowerings). */
export function convFloat(x: TypedArray, w: TypedArray, bias: TypedArray | undefined, g: ConvGeom, act: unknown, out: TypedArray): void {
  const [lo, hi] = clampBounds(act);
  if (g.cinG === 1 && g.group > 1) convDepthwise(x, tapMajor(w, g.Cout, g.KH * g.KW), bias, g, lo, hi, out);
  else convPatch(x, asF64(w), bias, g, lo, hi, out);
}

/** One input channel per group (depthwise) with multiplier coutG. */
function convDepthwise(x: TypedArray, wt: Float64Array, bias: TypedArray | undefined, g: ConvGeom, lo: number, hi: number, out: TypedArray): void {
  const { N, H, W, Cin, Cout, KH, KW, OH, OW, coutG, sh, sw, dh, dw, pt, pl } = g;
  const acc = new Float64Array(Cout);
  {
    const mult = coutG;
    for (let n = 0; n < N; n++) {
      for (let oy = 0; oy < OH; oy++) {
        const ys = oy * sh - pt;
        const [ky0, ky1] = tapRange(ys, KH, dh, 0, H - 1);
        for (let ox = 0; ox < OW; ox++) {
          const xs = ox * sw - pl;
          const [kx0, kx1] = tapRange(xs, KW, dw, 0, W - 1);
          if (bias) for (let o = 0; o < Cout; o++) acc[o] = bias[o];
          else acc.fill(0);
          for (let ky = ky0; ky <= ky1; ky++) {
            const rowBase = (n * H + ys + ky * dh) * W;
            for (let kx = kx0; kx <= kx1; kx++) {
              const xb = (rowBase + xs + kx * dw) * Cin;
              const wb = (ky * KW + kx) * Cout;
              if (mult === 1) {
                for (let c = 0; c < Cout; c++) acc[c] += x[xb + c] * wt[wb + c];
              } else {
                for (let c = 0; c < Cin; c++) {
                  const xv = x[xb + c];
                  const ob = c * mult;
                  for (let m = 0; m < mult; m++) acc[ob + m] += xv * wt[wb + ob + m];
                }
              }
            }
          }
          const ob = ((n * OH + oy) * OW + ox) * Cout;
          for (let o = 0; o < Cout; o++) {
            const v = acc[o];
            out[ob + o] = v < lo ? lo : v > hi ? hi : v;
          }
        }
      }
    }
  }
}

/** General grouped conv: gather each pixel's receptive field (im2col for one pixel), dot with weight rows. */
function convPatch(x: TypedArray, w: Float64Array, bias: TypedArray | undefined, g: ConvGeom, lo: number, hi: number, out: TypedArray): void {
  const { N, H, W, Cin, Cout, KH, KW, OH, OW, group, cinG, coutG, sh, sw, dh, dw, pt, pl } = g;
  const K = KH * KW * cinG;
  const direct = KH === 1 && KW === 1; // pads are irrelevant only when the pixel is in bounds; checked per pixel
  const patch = new Float64Array(K);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * sh - pt;
      const [ky0, ky1] = tapRange(ys, KH, dh, 0, H - 1);
      for (let ox = 0; ox < OW; ox++) {
        const xs = ox * sw - pl;
        const [kx0, kx1] = tapRange(xs, KW, dw, 0, W - 1);
        const ob = ((n * OH + oy) * OW + ox) * Cout;
        const inBounds = ky0 <= ky1 && kx0 <= kx1;
        for (let gi = 0; gi < group; gi++) {
          let src: TypedArray | Float64Array = patch;
          let so = 0;
          if (direct) {
            if (!inBounds) {
              for (let o = gi * coutG; o < (gi + 1) * coutG; o++) {
                const v = bias ? bias[o] : 0;
                out[ob + o] = v < lo ? lo : v > hi ? hi : v;
              }
              continue;
            }
            src = x;
            so = ((n * H + ys) * W + xs) * Cin + gi * cinG;
          } else {
            // gather the receptive field of group gi into the patch, zeros where the window is in padding
            if (ky1 - ky0 + 1 < KH || kx1 - kx0 + 1 < KW) patch.fill(0);
            for (let ky = ky0; ky <= ky1; ky++) {
              const rowBase = (n * H + ys + ky * dh) * W;
              for (let kx = kx0; kx <= kx1; kx++) {
                const xb = (rowBase + xs + kx * dw) * Cin + gi * cinG;
                const pb = (ky * KW + kx) * cinG;
                for (let c = 0; c < cinG; c++) patch[pb + c] = x[xb + c];
              }
            }
          }
          const oEnd = (gi + 1) * coutG;
          let o = gi * coutG;
          for (; o + 3 < oEnd; o += 4) {
            const w0 = o * K;
            const w1 = w0 + K;
            const w2 = w1 + K;
            const w3 = w2 + K;
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            for (let k = 0; k < K; k++) {
              const p = src[so + k];
              s0 += p * w[w0 + k];
              s1 += p * w[w1 + k];
              s2 += p * w[w2 + k];
              s3 += p * w[w3 + k];
            }
            if (bias) {
              s0 += bias[o];
              s1 += bias[o + 1];
              s2 += bias[o + 2];
              s3 += bias[o + 3];
            }
            out[ob + o] = s0 < lo ? lo : s0 > hi ? hi : s0;
            out[ob + o + 1] = s1 < lo ? lo : s1 > hi ? hi : s1;
            out[ob + o + 2] = s2 < lo ? lo : s2 > hi ? hi : s2;
            out[ob + o + 3] = s3 < lo ? lo : s3 > hi ? hi : s3;
          }
          for (; o < oEnd; o++) {
            const w0 = o * K;
            let s = bias ? bias[o] : 0;
            for (let k = 0; k < K; k++) s += src[so + k] * w[w0 + k];
            out[ob + o] = s < lo ? lo : s > hi ? hi : s;
          }
        }
      }
    }
  }
}

export const def: OpDef = {
  name: 'Conv',
  doc: '2-D convolution, NHWC input, OHWI weights, groups/depthwise, strides, dilations, pads, fused activation',
  inputs: [{ name: 'X' }, { name: 'W', constant: true }, { name: 'B', optional: true, constant: true }],
  outputs: ['Y'],
  attrs: {
    strides: { type: 'ints', default: [1, 1], doc: '[stride_h, stride_w]' },
    dilations: { type: 'ints', default: [1, 1], doc: '[dilation_h, dilation_w]' },
    pads: { type: 'ints', default: [0, 0, 0, 0], doc: '[top, left, bottom, right]' },
    group: { type: 'int', default: 1, doc: 'number of groups; group == Cin is depthwise' },
    activation: { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const b = ctx.inputs[2];
    const g = convGeom(x.shape, w.shape, b?.shape, ctx.attrs, ctx.node.name);
    return [{ dtype: x.dtype, shape: [g.N, g.OH, g.OW, g.Cout] }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node): Value[] {
    const x = ins[0]!;
    const w = ins[1]!;
    const b = ins[2];
    const g = convGeom(x.shape, w.shape, b?.shape, attrs, node.name);
    const shape = [g.N, g.OH, g.OW, g.Cout];
    const out = allocArray(x.dtype, shapeSize(shape));
    convFloat(x.data, w.data, b?.data, g, attrs.activation, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
  macs(ctx: InferCtx, outs: OutputInfo[]): number {
    const w = ctx.inputs[1]!.shape;
    const [N, OH, OW, Cout] = outs[0].shape;
    return Math.max(N, 1) * OH * OW * Cout * w[1] * w[2] * w[3];
  },
};
