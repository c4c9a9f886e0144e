// Inner loops of the weighted integer kernels (Conv, depthwise Conv, FullyConnected), specialised for speed in
// V8 and kept byte-identical to the straightforward sums they replace:
// - int32 accumulation (int8/uint8 activations, and int16 with an int32 bias) wraps modulo 2^32 like the C code;
//   Math.imul and `| 0` keep every step an int32 operation, and a wrapped sum equals the exact sum wrapped once.
// - int64 accumulation (16x8 with an int64 bias or none) sums exactly in doubles: every product is below 2^23
//   and the sums stay far below 2^53.
// Four output channels share each input load; a general convolution gathers one patch per output pixel (padding
// taps are zeros, since inputs here already have their zero point subtracted) and reuses the same dot products.
// Plain top-level functions with typed-array parameters so that V8 keeps them monomorphic.

import type { TypedArray } from '../../ir/dtype.js';
import { mbqm, mbqm64 } from '../../quant/fixedpoint.js';

/** Requantization of one output pixel's (or row's) accumulators: per-channel (M, S), bias, zero point, clamp. */
export interface Requant {
  mult: Int32Array;
  shift: Int32Array;
  bias: Float64Array;
  outZp: number;
  actMin: number;
  actMax: number;
  acc64: boolean;
}

/** Convolution geometry, NHWC input [N,H,W,Cin], output [N,OH,OW,Cout], weights [Cout,KH,KW,Cig]. */
export interface ConvGeometry {
  N: number; H: number; W: number; Cin: number; OH: number; OW: number; Cout: number;
  KH: number; KW: number; Cig: number; cpg: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}

/**
 * acc[c - c0 + a0] = Σ_i w[c·K + i] · x[xb + i] for output channels c in [c0, c1), K taps, with int32
 * wrap-around.
 */
export function dotRows32(x: Int32Array, xb: number, K: number, w: Int32Array, c0: number, c1: number, acc: Float64Array, a0: number): void {
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const w0 = c * K;
    const w1 = w0 + K;
    const w2 = w1 + K;
    const w3 = w2 + K;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < K; i++) {
      const v = x[xb + i];
      s0 = (s0 + Math.imul(w[w0 + i], v)) | 0;
      s1 = (s1 + Math.imul(w[w1 + i], v)) | 0;
      s2 = (s2 + Math.imul(w[w2 + i], v)) | 0;
      s3 = (s3 + Math.imul(w[w3 + i], v)) | 0;
    }
    const o = a0 + c - c0;
    acc[o] = s0;
    acc[o + 1] = s1;
    acc[o + 2] = s2;
    acc[o + 3] = s3;
  }
  for (; c < c1; c++) {
    const wb = c * K;
    let s = 0;
    for (let i = 0; i < K; i++) s = (s + Math.imul(w[wb + i], x[xb + i])) | 0;
    acc[a0 + c - c0] = s;
  }
}

/** Same as dotRows32 with exact (int64-range) sums. */
export function dotRows64(x: Int32Array, xb: number, K: number, w: Int32Array, c0: number, c1: number, acc: Float64Array, a0: number): void {
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const w0 = c * K;
    const w1 = w0 + K;
    const w2 = w1 + K;
    const w3 = w2 + K;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < K; i++) {
      const v = x[xb + i];
      s0 += w[w0 + i] * v;
      s1 += w[w1 + i] * v;
      s2 += w[w2 + i] * v;
      s3 += w[w3 + i] * v;
    }
    const o = a0 + c - c0;
    acc[o] = s0;
    acc[o + 1] = s1;
    acc[o + 2] = s2;
    acc[o + 3] = s3;
  }
  for (; c < c1; c++) {
    const wb = c * K;
    let s = 0;
    for (let i = 0; i < K; i++) s += w[wb + i] * x[xb + i];
    acc[a0 + c - c0] = s;
  }
}

/** yd[oBase + c] = clamp(requantized acc[c] + zero point) for the n channels. */
export function requantRow(acc: Float64Array, n: number, yd: TypedArray, oBase: number, rq: Requant): void {
  const { mult, shift, bias, outZp, actMin, actMax } = rq;
  if (rq.acc64) {
    for (let c = 0; c < n; c++) {
      const v = mbqm64(acc[c] + bias[c], mult[c], shift[c]) + outZp;
      yd[oBase + c] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
  } else {
    for (let c = 0; c < n; c++) {
      const v = mbqm((acc[c] + bias[c]) | 0, mult[c], shift[c]) + outZp;
      yd[oBase + c] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
  }
}

/** Convolution (any kernel, stride, dilation, padding, groups) through per-pixel patches and dotRows. */
export function convPatches(xs: Int32Array, w: Int32Array, yd: TypedArray, g: ConvGeometry, rq: Requant): void {
  const { N, H, W, Cin, OH, OW, Cout, KH, KW, Cig, cpg, sh, sw, dh, dw, pt, pl } = g;
  const K = KH * KW * Cig;
  const groups = Cout / cpg;
  const acc = new Float64Array(Cout);
  const dot = rq.acc64 ? dotRows64 : dotRows32;
  // 1x1, stride-free of padding, one group: the input pixel is the patch
  const direct = KH === 1 && KW === 1 && groups === 1 && pt === 0 && pl === 0;
  const patch = new Int32Array(direct ? 0 : K);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        if (direct) dot(xs, ((n * H + oy * sh) * W + ox * sw) * Cin, K, w, 0, Cout, acc, 0);
        else
          for (let gr = 0; gr < groups; gr++) {
            const gi = gr * Cig;
            let p = 0;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                  patch.fill(0, p, p + Cig);
                } else {
                  const xb = ((n * H + iy) * W + ix) * Cin + gi;
                  for (let i = 0; i < Cig; i++) patch[p + i] = xs[xb + i];
                }
                p += Cig;
              }
            }
            dot(patch, 0, K, w, gr * cpg, (gr + 1) * cpg, acc, gr * cpg);
          }
        requantRow(acc, Cout, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}

/** Depthwise convolution (Cig = 1, group = Cin, depth multiplier Cout / Cin) with weights laid out [KH·KW, Cout]. */
export function depthwiseConv(xs: Int32Array, wT: Int32Array, yd: TypedArray, g: ConvGeometry, rq: Requant): void {
  const { N, H, W, Cin, OH, OW, Cout, KH, KW, sh, sw, dh, dw, pt, pl } = g;
  const dm = Cout / Cin;
  const acc = new Float64Array(Cout);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((n * H + iy) * W + ix) * Cin;
            const wb = (ky * KW + kx) * Cout;
            if (dm === 1) for (let c = 0; c < Cout; c++) acc[c] += wT[wb + c] * xs[xb + c];
            else for (let c = 0; c < Cout; c++) acc[c] += wT[wb + c] * xs[xb + ((c / dm) | 0)];
          }
        }
        // at most KH·KW products per channel: exact in doubles; requantRow wraps int32 sums once, like the C code
        requantRow(acc, Cout, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}
