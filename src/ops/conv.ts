// Conv: 2-D convolution on NHWC data with OHWI weights, groups (depthwise when group == Cin, with a channel
// multiplier Cout/Cin), strides, dilations, explicit asymmetric pads and a fused activation. 1-D convolutions
// are expressed with H = 1.
//
// Float kernel: depthwise (one input channel per group) re-lays the weights as [KH*KW][Cout] and keeps four
// output channels of one pixel in locals while walking the in-bounds taps. Everything else runs as a GEMM of
// output pixels × output channels in 2×4 register tiles against weights packed per block of 4 channels
// (cached per weight array); pixels whose window lies inside the input read it straight from X as contiguous
// runs, border pixels are gathered into an im2col panel with zeros for padding. Sums are kept in doubles and
// rounded once on store.

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
  // `| 0`: dims read from a model file are often boxed doubles; small-integer values keep the kernels' index
  // arithmetic in int32 (V8 deoptimises and falls back to float index math otherwise)
  return {
    N: N | 0, H: H | 0, W: W | 0, Cin: Cin | 0, Cout: Cout | 0, KH: KH | 0, KW: KW | 0, OH: OH | 0, OW: OW | 0,
    group: group | 0, cinG: cinG | 0, coutG: (Cout / group) | 0,
    sh: strides[0] | 0, sw: strides[1] | 0, dh: dilations[0] | 0, dw: dilations[1] | 0, pt: pads[0] | 0, pl: pads[1] | 0,
  };
}

/** Cheap fingerprint of a constant array (length and 32 sampled values), to notice an array edited in place. */
function fingerprint(w: TypedArray): number {
  const n = w.length;
  const step = Math.max(1, Math.floor(n / 32));
  let h = n;
  for (let i = 0; i < n; i += step) h += w[i] * (i + 1);
  return n > 0 ? h + w[n - 1] : h;
}

interface Packed {
  key: number;
  /** Layout id and its two size parameters (no strings: this runs once per Conv per image). */
  layout: number;
  a: number;
  b: number;
  data: Float64Array;
}

/** Re-laid weights cached per weight array (weights are constants; a changed fingerprint or layout repacks). */
const packCache = new WeakMap<TypedArray, Packed>();
function packed(w: TypedArray, layout: number, a: number, b: number, build: () => Float64Array): Float64Array {
  const key = fingerprint(w);
  const hit = packCache.get(w);
  if (hit && hit.layout === layout && hit.a === a && hit.b === b && (hit.key === key || (hit.key !== hit.key && key !== key)))
    return hit.data;
  const data = build();
  packCache.set(w, { key, layout, a, b, data });
  return data;
}

/** [Cout,KH,KW,1] → tap-major [KH*KW][Cout]: each tap updates a contiguous run of channels. */
function tapMajor(w: TypedArray, Cout: number, taps: number): Float64Array {
  return packed(w, 1, Cout, taps, () => {
    const t = new Float64Array(w.length);
    for (let o = 0; o < Cout; o++) for (let k = 0; k < taps; k++) t[k * Cout + o] = w[o * taps + k];
    return t;
  });
}

/**
 * [Cout,KH,KW,cinG] → per group, per block of 4 output channels, [K][4] with K = KH*KW*cinG (zero-padded past
 * the group's last channel): the GEMM inner loop then reads the weights of 4 channels sequentially.
 */
function gemmPack(w: TypedArray, group: number, coutG: number, K: number): Float64Array {
  const nb = (coutG + 3) >> 2;
  return packed(w, 2, group, coutG, () => {
    const t = new Float64Array(group * nb * K * 4);
    for (let gi = 0; gi < group; gi++)
      for (let o = 0; o < coutG; o++) {
        const src = (gi * coutG + o) * K;
        const dst = (gi * nb + (o >> 2)) * K * 4 + (o & 3);
        for (let k = 0; k < K; k++) t[dst + k * 4] = w[src + k];
      }
    return t;
  });
}

/** First and last in-bounds tap of every output position along one axis (out-of-range windows give first > last). */
function tapBounds(outSize: number, inSize: number, k: number, s: number, d: number, pad: number): [Int32Array, Int32Array] {
  const first = new Int32Array(outSize);
  const last = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) [first[o], last[o]] = tapRange(o * s - pad, k, d, 0, inSize - 1);
  return [first, last];
}

/** The float Conv kernel on raw arrays; exported for reuse (e.g. by tests and later lowerings). */
export function convFloat(x: TypedArray, w: TypedArray, bias: TypedArray | undefined, g: ConvGeom, act: unknown, out: TypedArray): void {
  const [lo, hi] = clampBounds(act);
  const bz = new Float64Array(g.Cout);
  if (bias) for (let o = 0; o < g.Cout; o++) bz[o] = bias[o];
  if (g.cinG === 1 && g.group > 1) convDepthwise(x, tapMajor(w, g.Cout, g.KH * g.KW), bz, g, lo, hi, out);
  else convGemm(x, gemmPack(w, g.group, g.coutG, g.KH * g.KW * g.cinG), bz, g, lo, hi, out);
}

/** One input channel per group (depthwise) with multiplier coutG; four channels per pass kept in locals. */
function convDepthwise(x: TypedArray, wt: Float64Array, bz: Float64Array, g: ConvGeom, lo: number, hi: number, out: TypedArray): void {
  const { N, H, W, Cin, Cout, KH, KW, OH, OW, coutG: mult, sh, sw, dh, dw, pt, pl } = g;
  const [ky0s, ky1s] = tapBounds(OH, H, KH, sh, dh, pt);
  const [kx0s, kx1s] = tapBounds(OW, W, KW, sw, dw, pl);
  const xdw = dw * Cin;
  const T = KH * KW;
  const toff = new Int32Array(T);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) toff[ky * KW + kx] = (ky * dh * W + kx * dw) * Cin;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * sh - pt;
      const ky0 = ky0s[oy];
      const ky1 = ky1s[oy];
      for (let ox = 0; ox < OW; ox++) {
        const xs = ox * sw - pl;
        const kx0 = kx0s[ox];
        const kx1 = kx1s[ox];
        const ob = ((n * OH + oy) * OW + ox) * Cout;
        if (mult === 1 && kx1 - kx0 + 1 === KW && ky1 - ky0 + 1 === KH) {
          // whole window inside the input: one flat loop over the taps
          const xb = ((n * H + ys) * W + xs) * Cin;
          let c = 0;
          for (; c + 3 < Cout; c += 4) {
            let s0 = bz[c];
            let s1 = bz[c + 1];
            let s2 = bz[c + 2];
            let s3 = bz[c + 3];
            for (let t = 0, wi = c; t < T; t++, wi += Cout) {
              const xi = xb + toff[t] + c;
              s0 += x[xi] * wt[wi];
              s1 += x[xi + 1] * wt[wi + 1];
              s2 += x[xi + 2] * wt[wi + 2];
              s3 += x[xi + 3] * wt[wi + 3];
            }
            out[ob + c] = s0 < lo ? lo : s0 > hi ? hi : s0;
            out[ob + c + 1] = s1 < lo ? lo : s1 > hi ? hi : s1;
            out[ob + c + 2] = s2 < lo ? lo : s2 > hi ? hi : s2;
            out[ob + c + 3] = s3 < lo ? lo : s3 > hi ? hi : s3;
          }
          for (; c < Cout; c++) {
            let s = bz[c];
            for (let t = 0, wi = c; t < T; t++, wi += Cout) s += x[xb + toff[t] + c] * wt[wi];
            out[ob + c] = s < lo ? lo : s > hi ? hi : s;
          }
        } else if (mult === 1) {
          let c = 0;
          for (; c + 3 < Cout; c += 4) {
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            for (let ky = ky0; ky <= ky1; ky++) {
              let xi = ((n * H + ys + ky * dh) * W + xs + kx0 * dw) * Cin + c;
              let wi = (ky * KW + kx0) * Cout + c;
              for (let kx = kx0; kx <= kx1; kx++, xi += xdw, wi += Cout) {
                s0 += x[xi] * wt[wi];
                s1 += x[xi + 1] * wt[wi + 1];
                s2 += x[xi + 2] * wt[wi + 2];
                s3 += x[xi + 3] * wt[wi + 3];
              }
            }
            s0 += bz[c];
            s1 += bz[c + 1];
            s2 += bz[c + 2];
            s3 += bz[c + 3];
            out[ob + c] = s0 < lo ? lo : s0 > hi ? hi : s0;
            out[ob + c + 1] = s1 < lo ? lo : s1 > hi ? hi : s1;
            out[ob + c + 2] = s2 < lo ? lo : s2 > hi ? hi : s2;
            out[ob + c + 3] = s3 < lo ? lo : s3 > hi ? hi : s3;
          }
          for (; c < Cout; c++) {
            let s = 0;
            for (let ky = ky0; ky <= ky1; ky++) {
              let xi = ((n * H + ys + ky * dh) * W + xs + kx0 * dw) * Cin + c;
              let wi = (ky * KW + kx0) * Cout + c;
              for (let kx = kx0; kx <= kx1; kx++, xi += xdw, wi += Cout) s += x[xi] * wt[wi];
            }
            s += bz[c];
            out[ob + c] = s < lo ? lo : s > hi ? hi : s;
          }
        } else {
          // channel multiplier: output channel c*mult+m reads input channel c
          for (let c = 0; c < Cin; c++) {
            for (let m = 0; m < mult; m++) {
              const o = c * mult + m;
              let s = 0;
              for (let ky = ky0; ky <= ky1; ky++) {
                let xi = ((n * H + ys + ky * dh) * W + xs + kx0 * dw) * Cin + c;
                let wi = (ky * KW + kx0) * Cout + o;
                for (let kx = kx0; kx <= kx1; kx++, xi += xdw, wi += Cout) s += x[xi] * wt[wi];
              }
              s += bz[o];
              out[ob + o] = s < lo ? lo : s > hi ? hi : s;
            }
          }
        }
      }
    }
  }
}

/**
 * General (grouped) conv as a GEMM: output pixels × output channels in 4×4 register tiles. Pixels whose whole
 * receptive field is inside the input read it straight from X as runs of contiguous values (one run per kernel
 * row when group = 1 and the width dilation is 1, else one per tap); the others are first gathered into a panel
 * (im2col, zeros for padding).
 */
function convGemm(x: TypedArray, wp: Float64Array, bz: Float64Array, g: ConvGeom, lo: number, hi: number, out: TypedArray): void {
  const { N, H, W, Cin, Cout, KH, KW, OH, OW, group, cinG, coutG, sh, sw, dh, dw, pt, pl } = g;
  const K = KH * KW * cinG;
  const nb = (coutG + 3) >> 2;
  const merge = group === 1 && dw === 1;
  const R = merge ? KH : KH * KW;
  const L = merge ? KW * Cin : cinG;
  const runOff = new Int32Array(R);
  for (let ky = 0; ky < KH; ky++)
    if (merge) runOff[ky] = ky * dh * W * Cin;
    else for (let kx = 0; kx < KW; kx++) runOff[ky * KW + kx] = (ky * dh * W + kx * dw) * Cin;
  const panelOff = new Int32Array(1);
  const [ky0s, ky1s] = tapBounds(OH, H, KH, sh, dh, pt);
  const [kx0s, kx1s] = tapBounds(OW, W, KW, sw, dw, pl);
  // output columns [oxA, oxB) have their whole window inside the input width
  let oxA = 0;
  while (oxA < OW && (kx0s[oxA] !== 0 || kx1s[oxA] !== KW - 1)) oxA++;
  let oxB = oxA;
  while (oxB < OW && kx0s[oxB] === 0 && kx1s[oxB] === KW - 1) oxB++;
  // the panel has X's element type (when X is float32 or float64) so the tile loop reads one array type
  const mkPanel = (n: number): Float32Array | Float64Array => (x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
  let panel: Float32Array | Float64Array | undefined;
  const acc = new Float64Array(16);
  const gather = (n: number, oy: number, ox0: number, ox1: number, gi: number): Float32Array | Float64Array => {
    const m = ox1 - ox0;
    if (!panel || panel.length < m * K) panel = mkPanel(Math.max(m, 4) * K);
    const p = panel;
    const ys = oy * sh - pt;
    const ky0 = ky0s[oy];
    const ky1 = ky1s[oy];
    for (let ox = ox0; ox < ox1; ox++) {
      const pb = (ox - ox0) * K;
      const xs = ox * sw - pl;
      const kx0 = kx0s[ox];
      const kx1 = kx1s[ox];
      if (ky1 - ky0 + 1 < KH || kx1 - kx0 + 1 < KW) p.fill(0, pb, pb + K);
      for (let ky = ky0; ky <= ky1; ky++) {
        const rowBase = (n * H + ys + ky * dh) * W;
        for (let kx = kx0; kx <= kx1; kx++) {
          const xb = (rowBase + xs + kx * dw) * Cin + gi * cinG;
          const kb = pb + (ky * KW + kx) * cinG;
          for (let c = 0; c < cinG; c++) p[kb + c] = x[xb + c];
        }
      }
    }
    return p;
  };
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * sh - pt;
      const yIn = ky0s[oy] === 0 && ky1s[oy] === KH - 1;
      const a = yIn ? oxA : 0;
      const b = yIn ? oxB : 0;
      const obRow = (n * OH + oy) * OW * Cout;
      for (let gi = 0; gi < group; gi++) {
        const wBase = gi * nb * K * 4;
        const c0 = gi * coutG;
        if (b > a) {
          const base = ((n * H + ys) * W + a * sw - pl) * Cin + gi * cinG;
          gemmTiles(x, base, sw * Cin, b - a, runOff, R, L, wp, wBase, nb, K, bz, c0, coutG, out, obRow + a * Cout, Cout, lo, hi, acc);
        }
        if (a > 0) gemmTiles(gather(n, oy, 0, a, gi), 0, K, a, panelOff, 1, K, wp, wBase, nb, K, bz, c0, coutG, out, obRow, Cout, lo, hi, acc);
        if (OW > b)
          gemmTiles(gather(n, oy, b, OW, gi), 0, K, OW - b, panelOff, 1, K, wp, wBase, nb, K, bz, c0, coutG, out, obRow + b * Cout, Cout, lo, hi, acc);
      }
    }
  }
}

/**
 * nPix output pixels (pixel p's receptive field starts at base + p*ps in src and is R runs of L values at
 * runOff) times the group's output channels, 4 pixels × 4 channels per tile with the 16 sums in locals.
 */
function gemmTiles(
  src: TypedArray | Float64Array,
  base: number,
  ps: number,
  nPix: number,
  runOff: Int32Array,
  R: number,
  L: number,
  wp: Float64Array,
  wBase: number,
  nb: number,
  K: number,
  bz: Float64Array,
  c0: number,
  coutG: number,
  out: TypedArray,
  ob: number,
  Cout: number,
  lo: number,
  hi: number,
  acc: Float64Array,
): void {
  for (let p = 0; p < nPix; p += 2) {
    const np = nPix - p < 2 ? nPix - p : 2;
    const a0 = base + p * ps;
    const a1 = np > 1 ? a0 + ps : a0;
    for (let blk = 0; blk < nb; blk++) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let wi = wBase + blk * K * 4;
      for (let r = 0; r < R; r++) {
        const ro = runOff[r];
        const i0 = a0 + ro;
        const i1 = a1 + ro;
        for (let c = 0; c < L; c++, wi += 4) {
          const w0 = wp[wi];
          const w1 = wp[wi + 1];
          const w2 = wp[wi + 2];
          const w3 = wp[wi + 3];
          let v = src[i0 + c];
          s00 += v * w0;
          s01 += v * w1;
          s02 += v * w2;
          s03 += v * w3;
          v = src[i1 + c];
          s10 += v * w0;
          s11 += v * w1;
          s12 += v * w2;
          s13 += v * w3;
        }
      }
      acc[0] = s00; acc[1] = s01; acc[2] = s02; acc[3] = s03;
      acc[4] = s10; acc[5] = s11; acc[6] = s12; acc[7] = s13;
      const o = c0 + blk * 4;
      const nc = coutG - blk * 4 < 4 ? coutG - blk * 4 : 4;
      for (let q = 0; q < np; q++) {
        const ob2 = ob + (p + q) * Cout + o;
        for (let j = 0; j < nc; j++) {
          const v = acc[q * 4 + j] + bz[o + j];
          out[ob2 + j] = v < lo ? lo : v > hi ? hi : v;
        }
      }
    }
  }
}

export const def: OpDef = {
  name: 'Conv',
  quant: { activations: 'int8+int16', weights: { port: 1, biasPort: 2, granularity: 'per-channel' } },
  layout: 'spatial',
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
