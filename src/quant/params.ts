// Range → quantization parameters (scale, zero point) for activations: TFLite's asymmetric int8 with zero-point
// nudging and the symmetric int16 scheme.

import { fail } from '../diagnostics.js';
import { rha } from '../arith/fixedpoint.js';
import type { Range } from './observers.js';

/** Round half away from zero (C round): the one definition lives with the fixed-point helpers. */
export { rha };

/** Asymmetric quantization of a range into [qmin, qmax] with TFLite's zero-point nudging; scale is float32. */
export function asymmetricParams(r: Range, qmin = -128, qmax = 127): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) fail('EF3004', `range [${r.min}, ${r.max}] is not finite`);
  let scale = (hi - lo) / (qmax - qmin);
  if (!(scale > 0)) return { scale: 1, zeroPoint: lo === 0 && hi === 0 ? 0 : qmin };
  scale = Math.fround(scale);
  if (scale === 0) scale = Math.fround(1e-30);
  const zpFromMin = qmin - lo / scale;
  const zeroPoint = zpFromMin <= qmin ? qmin : zpFromMin >= qmax ? qmax : rha(zpFromMin);
  return { scale, zeroPoint };
}

/** Symmetric (zp = 0) quantization of a range into [−qmax, qmax]. */
export function symmetricParams(r: Range, qmax: number): { scale: number; zeroPoint: number } {
  const m = Math.max(Math.abs(r.min), Math.abs(r.max));
  if (!Number.isFinite(m)) fail('EF3004', `range [${r.min}, ${r.max}] is not finite`);
  return { scale: m > 0 ? Math.fround(m / qmax) || Math.fround(1e-30) : 1, zeroPoint: 0 };
}

export function rangeOf(d: ArrayLike<number>): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    if (d[i] < lo) lo = d[i];
    if (d[i] > hi) hi = d[i];
  }
  return d.length ? { min: lo, max: hi } : { min: 0, max: 0 };
}
