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
import { mbqm, mbqm64, rdbpot } from '../../arith/fixedpoint.js';

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

/**
 * dotRows32 for two patches at once (x[xa..], x[xb..]) over all n rows: acc[c] for the first, acc[n + c] for the
 * second. Each weight load serves two pixels.
 */
export function dotRows32x2(x: Int32Array, xa: number, xb: number, K: number, w: Int32Array, n: number, acc: Float64Array): void {
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const w0 = c * K;
    const w1 = w0 + K;
    const w2 = w1 + K;
    const w3 = w2 + K;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let i = 0; i < K; i++) {
      const u = x[xa + i];
      const v = x[xb + i];
      const q0 = w[w0 + i];
      const q1 = w[w1 + i];
      const q2 = w[w2 + i];
      const q3 = w[w3 + i];
      a0 = (a0 + Math.imul(q0, u)) | 0;
      a1 = (a1 + Math.imul(q1, u)) | 0;
      a2 = (a2 + Math.imul(q2, u)) | 0;
      a3 = (a3 + Math.imul(q3, u)) | 0;
      b0 = (b0 + Math.imul(q0, v)) | 0;
      b1 = (b1 + Math.imul(q1, v)) | 0;
      b2 = (b2 + Math.imul(q2, v)) | 0;
      b3 = (b3 + Math.imul(q3, v)) | 0;
    }
    acc[c] = a0;
    acc[c + 1] = a1;
    acc[c + 2] = a2;
    acc[c + 3] = a3;
    acc[n + c] = b0;
    acc[n + c + 1] = b1;
    acc[n + c + 2] = b2;
    acc[n + c + 3] = b3;
  }
  for (; c < n; c++) {
    const wb = c * K;
    let a = 0;
    let b = 0;
    for (let i = 0; i < K; i++) {
      const q = w[wb + i];
      a = (a + Math.imul(q, x[xa + i])) | 0;
      b = (b + Math.imul(q, x[xb + i])) | 0;
    }
    acc[c] = a;
    acc[n + c] = b;
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

const TWO21 = 2097152;

/**
 * mbqm (TFLite MultiplyByQuantizedMultiplier, int32) with a fast exact path: when |x·2^max(s,0)| < 2^21 the 64-bit
 * product with any int32 multiplier is below 2^52, so the double product, the rounding nudge and the division by
 * 2^31 are all exact; larger values take mbqm itself.
 */
export function mbqmFast(x: number, m: number, s: number): number {
  const a = s > 0 ? Math.imul(x, 1 << s) : x;
  if (a >= TWO21 || a <= -TWO21) return mbqm(x, m, s);
  const p = a * m;
  const h = Math.trunc((p >= 0 ? p + 1073741824 : p - 1073741823) / 2147483648);
  return s >= 0 ? h : rdbpot(h, -s);
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
      const v = mbqmFast((acc[c] + bias[c]) | 0, mult[c], shift[c]) + outZp;
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
  const wide = rq.acc64;
  // 1x1, stride-free of padding, one group: the input pixel is the patch
  const direct = KH === 1 && KW === 1 && groups === 1 && pt === 0 && pl === 0;
  const patch = new Int32Array(direct ? 0 : K);
  if (direct && !wide) {
    // pointwise: two output pixels per pass over the weights
    const acc2 = new Float64Array(2 * Cout);
    const hi = acc2.subarray(Cout);
    const P = N * OH * OW;
    const base = (p: number) => {
      const ox = p % OW;
      const r = (p - ox) / OW;
      const oy = r % OH;
      return (((r - oy) / OH) * H + oy * sh) * W * Cin + ox * sw * Cin;
    };
    let p = 0;
    for (; p + 2 <= P; p += 2) {
      dotRows32x2(xs, base(p), base(p + 1), K, w, Cout, acc2);
      requantRow(acc2, Cout, yd, p * Cout, rq);
      requantRow(hi, Cout, yd, (p + 1) * Cout, rq);
    }
    if (p < P) {
      dotRows32(xs, base(p), K, w, 0, Cout, acc, 0);
      requantRow(acc, Cout, yd, p * Cout, rq);
    }
    return;
  }
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        if (direct) {
          const xb = ((n * H + oy * sh) * W + ox * sw) * Cin;
          if (wide) dotRows64(xs, xb, K, w, 0, Cout, acc, 0);
          else dotRows32(xs, xb, K, w, 0, Cout, acc, 0);
        }
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
            if (wide) dotRows64(patch, 0, K, w, gr * cpg, (gr + 1) * cpg, acc, gr * cpg);
            else dotRows32(patch, 0, K, w, gr * cpg, (gr + 1) * cpg, acc, gr * cpg);
          }
        requantRow(acc, Cout, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}

/**
 * Depthwise convolution (Cig = 1, group = Cin, depth multiplier Cout / Cin) with weights [Cout, KH·KW] (the
 * stored layout). Pixels whose taps are all inside the input take a channel-outer loop over precomputed tap
 * offsets with the sum in a register; border pixels skip the taps that fall in the padding.
 */
export function depthwiseConv(xs: Int32Array, w: Int32Array, yd: TypedArray, g: ConvGeometry, rq: Requant): void {
  const { N, H, W, Cin, OH, OW, Cout, KH, KW, sh, sw, dh, dw, pt, pl } = g;
  const dm = Cout / Cin;
  const T = KH * KW;
  const acc = new Float64Array(Cout);
  const off = new Int32Array(T);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) off[ky * KW + kx] = (ky * dh * W + kx * dw) * Cin;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++) {
      const iy0 = oy * sh - pt;
      const rowIn = iy0 >= 0 && iy0 + (KH - 1) * dh < H;
      for (let ox = 0; ox < OW; ox++) {
        const ix0 = ox * sw - pl;
        if (rowIn && ix0 >= 0 && ix0 + (KW - 1) * dw < W) {
          const xb = ((n * H + iy0) * W + ix0) * Cin;
          if (T === 9 && dm === 1) {
            // 3x3, the common case, with the taps unrolled
            const o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];
            for (let c = 0; c < Cout; c++) {
              const x0 = xb + c;
              const wb = 9 * c;
              acc[c] =
                w[wb] * xs[x0] + w[wb + 1] * xs[x0 + o1] + w[wb + 2] * xs[x0 + o2] + w[wb + 3] * xs[x0 + o3] + w[wb + 4] * xs[x0 + o4] +
                w[wb + 5] * xs[x0 + o5] + w[wb + 6] * xs[x0 + o6] + w[wb + 7] * xs[x0 + o7] + w[wb + 8] * xs[x0 + o8];
            }
          } else {
            for (let c = 0; c < Cout; c++) {
              const xc = xb + (dm === 1 ? c : (c / dm) | 0);
              const wb = c * T;
              let s = 0;
              for (let k = 0; k < T; k++) s += w[wb + k] * xs[xc + off[k]];
              acc[c] = s;
            }
          }
        } else {
          acc.fill(0);
          for (let ky = 0; ky < KH; ky++) {
            const iy = iy0 + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ix0 + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const xb = ((n * H + iy) * W + ix) * Cin;
              const k = ky * KW + kx;
              for (let c = 0; c < Cout; c++) acc[c] += w[c * T + k] * xs[xb + (dm === 1 ? c : (c / dm) | 0)];
            }
          }
        }
        // at most KH·KW products per channel: exact in doubles; requantRow wraps int32 sums once, like the C code
        requantRow(acc, Cout, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
    }
}
