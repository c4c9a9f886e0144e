// Shared geometry for the windowed NHWC ops (Conv, ConvTranspose, MaxPool, AveragePool) and size guards used by
// the spatial / linear ops: attribute validation with coded errors, output-size formulas, and a cap on the size
// of any tensor they would allocate, so a corrupt model fails with a diagnostic instead of exhausting memory.

import { activationRange } from './util.js';
import { fail } from '../diagnostics.js';
import type { Attrs } from '../ir/graph.js';

/** Largest tensor (elements) a spatial op will produce: 2^28 float32 values = 1 GiB. */
export const MAX_ELEMENTS = 2 ** 28;
/** Largest stride / dilation / pad / kernel extent accepted; anything beyond is a corrupt attribute. */
export const MAX_WINDOW_ATTR = 2 ** 16;

/** An int list attribute of exactly `len` entries, each in [min, MAX_WINDOW_ATTR]. */
export function intList(op: string, attrs: Attrs, key: string, len: number, min: number, node: string): number[] {
  const v = attrs[key];
  if (!Array.isArray(v) || v.length !== len || !v.every((x) => typeof x === 'number' && Number.isInteger(x)))
    fail('EF1006', `${op} attribute '${key}' must be ${len} integers, got ${JSON.stringify(v)}`, { node });
  const xs = v as number[];
  for (const x of xs)
    if (x < min || x > MAX_WINDOW_ATTR)
      fail('EF1006', `${op} attribute '${key}' = [${xs.join(',')}] is out of range (each must be in ${min}..${MAX_WINDOW_ATTR})`, {
        node,
      });
  return xs;
}

/** A positive integer attribute not above `max`. */
export function posInt(op: string, attrs: Attrs, key: string, node: string, max = MAX_WINDOW_ATTR): number {
  const v = attrs[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    fail('EF1006', `${op} attribute '${key}' must be an integer in 1..${max}, got ${JSON.stringify(v)}`, { node });
  return v;
}

/**
 * Check that every dimension of an input is a known positive size (dim 0 may be -1, a symbolic batch, when
 * `batchMayBeDynamic`) and that the tensor is not absurdly large.
 */
export function checkDims(op: string, what: string, shape: readonly number[], node: string, batchMayBeDynamic = false): void {
  let n = 1;
  shape.forEach((d, i) => {
    if (d === -1 && i === 0 && batchMayBeDynamic) return;
    if (d === -1) fail('EF1008', `${op} ${what} has an unknown dimension ${i} in [${shape.join(',')}]`, { node });
    if (!Number.isInteger(d) || d < 1)
      fail('EF1004', `${op} ${what} has a bad dimension ${d} in [${shape.join(',')}]`, { node });
    n *= d;
  });
  if (n > MAX_ELEMENTS)
    fail('EF1007', `${op} ${what} [${shape.join(',')}] has ${n} elements, more than the ${MAX_ELEMENTS} allowed`, { node });
}

/**
 * Output extent of a sliding window along one axis, ONNX rules. Floor mode: floor(span/s)+1. Ceil mode:
 * ceil(span/s)+1, minus one when the last window would start inside the end padding (ONNX / PyTorch rule).
 * Fails when the (dilated) window does not fit in the padded input.
 */
export function windowExtent(
  op: string,
  node: string,
  axis: string,
  inSize: number,
  k: number,
  s: number,
  d: number,
  pb: number,
  pe: number,
  ceil: boolean,
): number {
  const eff = (k - 1) * d + 1;
  const span = inSize + pb + pe - eff;
  if (span < 0)
    fail('EF1004', `${op}: the window (${k} taps, dilation ${d}, extent ${eff}) is larger than the padded ${axis} extent ${inSize + pb + pe}`, {
      node,
    });
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inSize + pb) out--;
  return out;
}

/** Number of taps t in [0, k) with lo <= start + t*d <= hi. */
export function tapRange(start: number, k: number, d: number, lo: number, hi: number): [number, number] {
  const first = start >= lo ? 0 : Math.ceil((lo - start) / d);
  const last = start + (k - 1) * d <= hi ? k - 1 : Math.floor((hi - start) / d);
  return [first, last];
}

/** Check an output shape (already positive) against the allocation cap. */
export function checkOutputSize(op: string, shape: readonly number[], node: string): void {
  let n = 1;
  for (const d of shape) n *= d < 0 ? 1 : d;
  if (n > MAX_ELEMENTS)
    fail('EF1007', `${op} output [${shape.join(',')}] would have ${n} elements, more than the ${MAX_ELEMENTS} allowed`, { node });
}

/** Clamp bounds of a fused activation, as plain numbers for tight loops. */
export { activationRange as clampBounds };
