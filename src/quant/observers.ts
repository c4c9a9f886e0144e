// Range observers for post-training quantization. Each turns the values a tensor took over the calibration
// set into a clip range [min, max]:
//   minmax      the observed extremes (TFLite's converter default)
//   percentile  the p-th / (100−p)-th percentiles (e.g. 99.99), ignoring rare outliers
//   mse         the clip range minimising the expected int8 quantization MSE over the observed histogram
//   kl          the threshold minimising KL divergence between the clipped and the quantized histogram
//               (TensorRT-style entropy calibration), on |x|
// minmax needs one pass over the data; the histogram methods need the min/max first (a second pass fills a
// fixed-range histogram), which src/quant/calibrate.ts arranges.

import type { TypedArray } from '../ir/dtype.js';

export type CalibMethod = 'minmax' | 'percentile' | 'mse' | 'kl';
export const CALIB_METHODS: readonly CalibMethod[] = ['minmax', 'percentile', 'mse', 'kl'];

export interface Range {
  min: number;
  max: number;
}

export class MinMaxObserver {
  min = Infinity;
  max = -Infinity;
  count = 0;
  update(d: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    this.count += d.length;
  }
  range(): Range {
    return this.count ? { min: this.min, max: this.max } : { min: 0, max: 0 };
  }
}

/** Fixed-range histogram over [min, max] (values outside are counted in the edge bins). */
export class HistogramObserver {
  readonly counts: Float64Array;
  readonly width: number;
  constructor(
    readonly min: number,
    readonly max: number,
    readonly bins = 2048,
  ) {
    this.counts = new Float64Array(bins);
    this.width = max > min ? (max - min) / bins : 0;
  }
  update(d: TypedArray | ArrayLike<number>): void {
    const c = this.counts;
    const nb = this.bins;
    if (this.width === 0) {
      c[0] += d.length;
      return;
    }
    const inv = 1 / this.width;
    const lo = this.min;
    for (let i = 0; i < d.length; i++) {
      let b = Math.floor((d[i] - lo) * inv);
      if (b < 0) b = 0;
      else if (b >= nb) b = nb - 1;
      c[b]++;
    }
  }
  center(b: number): number {
    return this.min + (b + 0.5) * this.width;
  }
  total(): number {
    let s = 0;
    for (const v of this.counts) s += v;
    return s;
  }
}

/** Lower and upper percentile (p in (50,100]) from a histogram, interpolated within the bin. */
export function percentileRange(h: HistogramObserver, p: number): Range {
  if (h.width === 0) return { min: h.min, max: h.max };
  const n = h.total();
  const q = Math.min(1, Math.max(0.5, p / 100));
  const find = (target: number): number => {
    let acc = 0;
    for (let b = 0; b < h.bins; b++) {
      const c = h.counts[b];
      if (acc + c >= target && c > 0) return h.min + (b + (target - acc) / c) * h.width;
      acc += c;
    }
    return h.max;
  };
  return { min: Math.max(h.min, find(n * (1 - q))), max: Math.min(h.max, find(n * q)) };
}

/**
 * Expected squared error of quantizing the histogram with `levels` uniform steps over [a, b]: values inside
 * contribute step²/12 (uniform rounding noise), values outside their squared clipping distance.
 */
export function quantMse(h: HistogramObserver, a: number, b: number, levels: number): number {
  const step = (b - a) / (levels - 1);
  const inside = (step * step) / 12;
  let e = 0;
  for (let i = 0; i < h.bins; i++) {
    const c = h.counts[i];
    if (!c) continue;
    const v = h.center(i);
    if (v < a) e += c * (a - v) * (a - v);
    else if (v > b) e += c * (v - b) * (v - b);
    else e += c * inside;
  }
  return e;
}

/** Clip range minimising quantMse over a grid of shrink factors of each end of the observed range. */
export function mseRange(h: HistogramObserver, levels = 256): Range {
  if (h.width === 0) return { min: h.min, max: h.max };
  const lo = Math.min(0, h.min);
  const hi = Math.max(0, h.max);
  const steps = 40;
  let best = { min: lo, max: hi };
  let bestE = quantMse(h, lo, hi, levels);
  for (let i = 1; i <= steps; i++) {
    const a = lo * (i / steps);
    for (let j = 1; j <= steps; j++) {
      const b = hi * (j / steps);
      if (b - a <= 0) continue;
      const e = quantMse(h, a, b, levels);
      if (e < bestE) {
        bestE = e;
        best = { min: a, max: b };
      }
    }
  }
  return best;
}

/** Entropy (KL) calibration on |x|: returns the symmetric threshold applied to the observed range. */
export function klRange(h: HistogramObserver, nonNegative: boolean): Range {
  if (h.width === 0) return { min: h.min, max: h.max };
  const amax = Math.max(Math.abs(h.min), Math.abs(h.max));
  const NB = 2048;
  const abs = new Float64Array(NB);
  for (let b = 0; b < h.bins; b++) {
    const c = h.counts[b];
    if (!c) continue;
    let k = Math.floor((Math.abs(h.center(b)) / amax) * NB);
    if (k >= NB) k = NB - 1;
    abs[k] += c;
  }
  // exact zeros (ReLU outputs, padding) are always representable: keep them out of the divergence, or their
  // spike dominates it and drives the threshold far too low
  abs[0] = 0;
  const levels = nonNegative ? 256 : 128;
  let bestI = NB;
  let bestKl = Infinity;
  const P = new Float64Array(NB);
  const Q = new Float64Array(NB);
  for (let i = levels; i <= NB; i += 8) {
    let outliers = 0;
    for (let k = i; k < NB; k++) outliers += abs[k];
    P.fill(0, 0, i);
    for (let k = 0; k < i; k++) P[k] = abs[k];
    P[i - 1] += outliers;
    // quantize abs[0:i] into `levels` chunks, spreading each chunk's mass over its non-empty bins
    Q.fill(0, 0, i);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const s = Math.floor(l * per);
      const e = l === levels - 1 ? i : Math.floor((l + 1) * per);
      let sum = 0;
      let nz = 0;
      for (let k = s; k < e; k++) {
        sum += abs[k];
        if (abs[k] > 0) nz++;
      }
      if (nz) for (let k = s; k < e; k++) if (abs[k] > 0) Q[k] = sum / nz;
    }
    let sp = 0;
    let sq = 0;
    for (let k = 0; k < i; k++) {
      sp += P[k];
      sq += Q[k];
    }
    if (sp === 0 || sq === 0) continue;
    let kl = 0;
    for (let k = 0; k < i; k++) {
      if (P[k] === 0) continue;
      const p = P[k] / sp;
      const q = Q[k] / sq;
      kl += q > 0 ? p * Math.log(p / q) : p * 30; // an empty Q bin under mass: large penalty
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  const t = Math.min(amax, (bestI / NB) * amax);
  return { min: Math.max(h.min, -t), max: Math.min(h.max, t) };
}
