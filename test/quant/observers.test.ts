// Range observers against independent references: sorted-array quantiles, brute-force quantization error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HistogramObserver, klRange, MinMaxObserver, mseRange, percentileRange, quantMse } from '../../src/quant/observers.js';
import { asymmetricParams, rha } from '../../src/quant/ptq.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}
function normal(r: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
  return out;
}
function hist(d: Float32Array, bins = 2048): HistogramObserver {
  const mm = new MinMaxObserver();
  mm.update(d);
  const h = new HistogramObserver(mm.min, mm.max, bins);
  h.update(d);
  return h;
}
/** Brute-force MSE of asymmetric int8 quantization of d with range [a, b]. */
function bruteMse(d: Float32Array, a: number, b: number): number {
  const { scale, zeroPoint } = asymmetricParams({ min: a, max: b });
  let e = 0;
  for (const v of d) {
    const q = Math.min(127, Math.max(-128, rha(v / scale) + zeroPoint));
    e += (v - (q - zeroPoint) * scale) ** 2;
  }
  return e / d.length;
}

test('minmax observer equals the array extremes over several updates', () => {
  const r = rng(1);
  const a = normal(r, 1000);
  const b = normal(r, 500).map((x) => x * 3);
  const o = new MinMaxObserver();
  o.update(a);
  o.update(b);
  const all = [...a, ...b];
  assert.equal(o.min, Math.min(...all));
  assert.equal(o.max, Math.max(...all));
});

test('percentile range matches the sorted-array quantiles within one bin', () => {
  const d = normal(rng(2), 200000);
  const h = hist(d);
  const sorted = Float32Array.from(d).sort();
  for (const p of [99, 99.9, 99.99]) {
    const r = percentileRange(h, p);
    const hi = sorted[Math.floor((p / 100) * (sorted.length - 1))];
    const lo = sorted[Math.floor((1 - p / 100) * (sorted.length - 1))];
    assert.ok(Math.abs(r.max - hi) <= 2 * h.width, `p${p} max ${r.max} vs ${hi}`);
    assert.ok(Math.abs(r.min - lo) <= 2 * h.width, `p${p} min ${r.min} vs ${lo}`);
  }
});

test('histogram MSE estimate tracks the brute-force quantization error, and mse range beats minmax', () => {
  const r = rng(3);
  // heavy-tailed data (cube of a normal): clipping the tail pays off
  const d = normal(r, 50000).map((x) => x * x * x);
  const h = hist(d);
  const full = { min: Math.min(...d), max: Math.max(...d) };
  const est = quantMse(h, full.min, full.max, 256) / d.length;
  const real = bruteMse(d, full.min, full.max);
  assert.ok(est / real > 0.5 && est / real < 2, `estimate ${est} vs brute ${real}`);
  const m = mseRange(h);
  assert.ok(m.max <= full.max && m.min >= full.min && (m.max < full.max || m.min > full.min), `mse range [${m.min}, ${m.max}] should clip the tails of [${full.min}, ${full.max}]`);
  assert.ok(bruteMse(d, m.min, m.max) < real, 'the chosen range must have a smaller real error than the full range');
});

test('kl range clips long tails but keeps the bulk', () => {
  const d = normal(rng(4), 100000).map((x) => Math.abs(x * x * x));
  const mx = Math.max(...d);
  const r = klRange(hist(d), true);
  assert.ok(r.max < mx / 2 && r.max > 1, `threshold ${r.max} of max ${mx}`);
  assert.ok(r.min >= 0 && r.min < 1e-3, `min ${r.min}`);
});
