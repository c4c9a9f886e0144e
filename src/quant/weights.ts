// Weight and bias quantization: symmetric int8 weights per channel or per tensor (with TFLite's handling of
// degenerate ranges and oversized biases), and the element-wise rounding used for every constant tensor.

import { fail } from '../diagnostics.js';
import { allocArray, type DType, type TypedArray } from '../ir/dtype.js';
import type { QuantParams, Tensor } from '../ir/graph.js';
import { rha } from '../arith/fixedpoint.js';

/** Quantize float values with `q` (per channel along q.axis when it has several scales), clamped to `dtype`. */
export function quantizeData(d: ArrayLike<number>, q: QuantParams, dtype: DType, shape: number[]): TypedArray {
  const out = allocArray(dtype, d.length);
  const [qmin, qmax] = dtype === 'int8' ? [-128, 127] : dtype === 'int16' ? [-32768, 32767] : dtype === 'int32' ? [-2147483648, 2147483647] : [-(2 ** 53), 2 ** 53];
  const per = q.scale.length > 1;
  let inner = 1;
  for (let i = q.axis + 1; i < shape.length; i++) inner *= shape[i];
  const chans = per ? shape[q.axis] : 1;
  for (let i = 0; i < d.length; i++) {
    const c = per ? Math.floor(i / inner) % chans : 0;
    const v = rha(d[i] / q.scale[c]) + q.zeroPoint[c];
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/**
 * Degenerate weight ranges, as the TFLite converter handles them:
 * - a channel whose values span at most 1e-6 (all zero, or near-dead like 1e-30) gets its range widened to
 *   include [−5e-7, 5e-7] (MLIR quantizer, ExpandVerySmallRange: kNearZeroTolerance = 1e-6, half of it either side),
 *   so its scale is at least 5e-7/127 ≈ 3.9e-9 instead of ~1e-32 (or 0);
 * - when the int32 bias would not fit in the middle half of the int32 range (|b| ≥ ½·s_in·s_w·(2^31−1)), the weight
 *   scale grows to s_w = 2·|b| / (2^31−1) / s_in, so the bias quantizes to about ±2^30 (TOCO/MLIR
 *   AdjustWeightsForBiasScale; per tensor, with the largest |b|).
 */
export const WEIGHT_NEAR_ZERO_RANGE = 1e-6;
const INT32_MAX = 2147483647;

/**
 * Symmetric int8 weights, per channel along `axis` (or per tensor when axis is undefined). With `bias` (an int32
 * bias quantized with scale s_in · s_w), weight scales grow where the bias would not fit (see above).
 */
export function quantizeWeights(
  t: Tensor,
  axis: number | undefined,
  bias?: { data: ArrayLike<number>; inputScale: number },
): { data: TypedArray; quant: QuantParams } {
  const d = t.data!;
  const C = axis === undefined ? 1 : t.shape[axis];
  let inner = 1;
  if (axis !== undefined) for (let i = axis + 1; i < t.shape.length; i++) inner *= t.shape[i];
  const lo = new Float64Array(C).fill(Infinity);
  const hi = new Float64Array(C).fill(-Infinity);
  for (let i = 0; i < d.length; i++) {
    const c = axis === undefined ? 0 : Math.floor(i / inner) % C;
    if (d[i] < lo[c]) lo[c] = d[i];
    if (d[i] > hi[c]) hi[c] = d[i];
  }
  const scales = Array.from(lo, (mn, c) => {
    let mx = hi[c];
    if (!Number.isFinite(mn) || !Number.isFinite(mx)) {
      if (d.length) fail('EF3004', `weight '${t.name}' holds a value that is not finite`);
      mn = mx = 0;
    }
    if (!(mx - mn > WEIGHT_NEAR_ZERO_RANGE)) {
      mn = Math.min(mn, -WEIGHT_NEAR_ZERO_RANGE / 2);
      mx = Math.max(mx, WEIGHT_NEAR_ZERO_RANGE / 2);
    }
    return Math.fround(Math.max(Math.abs(mn), Math.abs(mx)) / 127);
  });
  if (bias && bias.inputScale > 0) {
    const sIn = bias.inputScale;
    const grow = (b: number, s: number) => (b >= 0.5 * sIn * s * INT32_MAX ? Math.fround(Math.fround(((2 * b) / INT32_MAX) * Math.fround(127 / sIn)) / 127) : s);
    if (C > 1 && bias.data.length === C) for (let c = 0; c < C; c++) scales[c] = grow(Math.abs(bias.data[c]), scales[c]);
    else if (C === 1) {
      let m = 0;
      for (let i = 0; i < bias.data.length; i++) m = Math.max(m, Math.abs(bias.data[i]));
      scales[0] = grow(m, scales[0]);
    }
  }
  const quant: QuantParams = { scale: scales, zeroPoint: scales.map(() => 0), axis: axis ?? 0 };
  const data = quantizeData(d, quant, 'int8', t.shape);
  // symmetric weights use [−127, 127]
  for (let i = 0; i < data.length; i++) if (data[i] < -127) data[i] = -127;
  return { data, quant };
}
