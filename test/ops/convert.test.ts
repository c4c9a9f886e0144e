// ArgMax, Cast, Quantize, Dequantize. References: per-coordinate scans (ArgMax), modular arithmetic written
// out (Cast), floor-based rounding and per-coordinate channel lookup (Quantize/Dequantize); hand-derived
// cases carry their derivation. Integer outputs must match exactly.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType } from '../../src/ir/dtype.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, assertExact, infer, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

describe('ArgMax', () => {
  function ref(x: Value, axis: number, keepdims: boolean, last: boolean): { shape: number[]; data: number[] } {
    const shape = x.shape.slice();
    shape[axis] = 1;
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape);
      const line: number[] = [];
      for (let k = 0; k < x.shape[axis]; k++) {
        c[axis] = k;
        line.push(x.data[ravel(c, x.shape)]);
      }
      const m = Math.max(...line);
      data.push(last ? line.lastIndexOf(m) : line.indexOf(m));
    }
    if (!keepdims) shape.splice(axis, 1);
    return { shape, data };
  }
  const r = rng(31);
  // small integer values in a float tensor make ties frequent
  const x = randVal(r, [3, 4, 5], 'int8', -2, 2);
  const xf = val('float32', x.shape, x.data);
  for (const axis of [0, 1, 2, -1, -3])
    for (const keepdims of [1, 0])
      for (const sel of [0, 1])
        it(`axis ${axis} keepdims ${keepdims} select_last_index ${sel} (many ties)`, () => {
          for (const inp of [xf, x]) {
            const [y] = run('ArgMax', [inp], { axis, keepdims, select_last_index: sel });
            assert.equal(y.dtype, 'int64');
            const e = ref(inp, axis < 0 ? axis + 3 : axis, keepdims === 1, sel === 1);
            assertExact(y, e.shape, e.data, inp.dtype);
          }
        });
  it('hand-derived: ties, default axis 0, NaN counts as the largest (numpy)', () => {
    // [[2,1],[2,3]] axis 0: column 0 tie (2,2) → first 0 / last 1; column 1 → 1
    const t = val('float32', [2, 2], [2, 1, 2, 3]);
    assertExact(run('ArgMax', [t])[0], [1, 2], [0, 1]);
    assertExact(run('ArgMax', [t], { select_last_index: 1, keepdims: 0 })[0], [2], [1, 1]);
    // ONNX test_argmax_keepdims_example: [[2,1],[3,10]] axis 1 → [[0],[1]]
    assertExact(run('ArgMax', [val('float32', [2, 2], [2, 1, 3, 10])], { axis: 1 })[0], [2, 1], [0, 1]);
    assertExact(run('ArgMax', [val('float32', [4], [1, NaN, 5, NaN])])[0], [1], [1]);
    assertExact(run('ArgMax', [val('float32', [4], [1, NaN, 5, NaN])], { select_last_index: 1 })[0], [1], [3]);
  });
  it('errors: axis out of range EF1006, rank 0 EF1004', () => {
    throwsCode(() => infer('ArgMax', [{ dtype: 'float32', shape: [2, 3] }], { axis: 2 }), 'EF1006');
    throwsCode(() => infer('ArgMax', [{ dtype: 'float32', shape: [] }]), 'EF1004');
  });
});

describe('Cast', () => {
  const BITS: Partial<Record<DType, [number, boolean]>> = {
    int8: [8, true],
    uint8: [8, false],
    int16: [16, true],
    uint16: [16, false],
    int32: [32, true],
  };
  function castRef(v: number, to: DType): number {
    if (to === 'float32') return Math.fround(v);
    if (to === 'float64') return v;
    if (to === 'bool') return v !== 0 && !Number.isNaN(v) ? 1 : 0;
    if (to === 'int64') return Math.trunc(v);
    if (!Number.isFinite(v)) return 0;
    const [bits, signed] = BITS[to]!;
    const m = 2 ** bits;
    let k = (Math.trunc(v) % m) || 0; // -0 → 0, as the typed array stores it
    if (k < 0) k += m;
    return signed && k >= m / 2 ? k - m : k;
  }
  const values = [0, -0.5, 0.9, -1.5, 1.5, 127.9, 128, -129, 255.5, 256, 300.7, -300.7, 65535, 70000.2, 2 ** 31 + 5, -(2 ** 31) - 5, 1e10, NaN, Infinity, -Infinity];
  for (const to of ['int8', 'uint8', 'int16', 'uint16', 'int32', 'int64', 'float32', 'bool'] as DType[]) {
    it(`float64 → ${to} (truncate toward zero, then wrap; NaN/Inf → 0 for narrow ints)`, () => {
      const [y] = run('Cast', [val('float64', [values.length], values)], { to });
      assert.equal(y.dtype, to);
      assertExact(y, [values.length], values.map((v) => castRef(v, to)), to);
    });
  }
  it('hand-derived: 300.7 → int8: trunc 300, 300 - 256 = 44; -1 → uint8 255; int8 -5 → float32 -5', () => {
    assertExact(run('Cast', [val('float32', [2], [300.7, -1])], { to: 'int8' })[0], [2], [44, -1]);
    assertExact(run('Cast', [val('float32', [1], [-1])], { to: 'uint8' })[0], [1], [255]);
    assertExact(run('Cast', [val('int8', [1], [-5])], { to: 'float32' })[0], [1], [-5]);
  });
  it('same dtype shares data; bad dtype name → EF1006', () => {
    const x = val('float32', [2], [1, 2]);
    assert.equal(run('Cast', [x], { to: 'float32' })[0].data, x.data);
    throwsCode(() => infer('Cast', [{ dtype: 'float32', shape: [2] }], { to: 'float16' }), 'EF1006');
    throwsCode(() => infer('Cast', [{ dtype: 'float32', shape: [2] }]), 'EF1006');
  });
});

/** Round half to even written with floor (independent of the op's Math.round-based helper). */
function rne(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
/** Round half away from zero with floor on the magnitude. */
function rha(v: number): number {
  const a = Math.floor(Math.abs(v) + 0.5);
  return v < 0 ? -a : a;
}
const RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535] };

/** Channel of flat index i along `axis` (per-coordinate, no inner-size arithmetic). */
function channel(i: number, shape: number[], axis: number, n: number): number {
  return n === 1 ? 0 : unravel(i, shape)[axis];
}

describe('Quantize', () => {
  const r = rng(32);
  for (const to of ['int8', 'uint8', 'int16', 'uint16'])
    for (const rounding of ['half_away', 'half_even'])
      for (const [shape, axis, nc] of [
        [[2, 3, 4], 0, 1],
        [[2, 3, 4], 1, 3],
        [[2, 3, 4], -1, 4],
        [[5, 2], 0, 5],
      ] as [number[], number, number][])
        it(`${to} ${rounding} shape [${shape}] ${nc === 1 ? 'per-tensor' : `axis ${axis}`}`, () => {
          const [lo, hi] = RANGE[to];
          const scale = Array.from({ length: nc }, () => Math.fround(0.01 + r() * 0.2));
          const zp = Array.from({ length: nc }, () => randInt(r, Math.round(lo + (hi - lo) / 4), Math.round(hi - (hi - lo) / 4)));
          const x = randVal(r, shape, 'float32', -40, 40);
          // plant exact halves: x = (k + 0.5) * s is exact in float32 for these small k and dyadic s
          x.data[0] = 2.5 * 0.25;
          x.data[1] = -2.5 * 0.25;
          if (nc === 1) scale[0] = 0.25;
          const a = axis < 0 ? axis + shape.length : axis;
          const [y] = run('Quantize', [x], { scale, zero_point: zp, axis, to, rounding });
          assert.equal(y.dtype, to);
          const round = rounding === 'half_even' ? rne : rha;
          const f32 = new Float32Array(1);
          const ref = Array.from(x.data, (v, i) => {
            const c = channel(i, shape, a, nc);
            f32[0] = v / scale[c]; // float32 quotient
            return Math.min(hi, Math.max(lo, round(f32[0]) + zp[c]));
          });
          assertExact(y, shape, ref);
        });
  it('hand-derived: ONNX test_quantizelinear values plus halves', () => {
    // scale 2, zp 128 → uint8: 0→128; 2→1+128=129; 3→1.5→2 (both modes)→130; 1000→500+128 clamps 255;
    // -254→-127+128=1; -1000→clamps 0; 1→0.5: half_even 0→128, half_away 1→129; -1→-0.5: even -0→128, away -1→127
    const x = val('float32', [8], [0, 2, 3, 1000, -254, -1000, 1, -1]);
    const base = { scale: [2], zero_point: [128], to: 'uint8' };
    assertExact(run('Quantize', [x], { ...base, rounding: 'half_even' })[0], [8], [128, 129, 130, 255, 1, 0, 128, 128]);
    assertExact(run('Quantize', [x], { ...base, rounding: 'half_away' })[0], [8], [128, 129, 130, 255, 1, 0, 129, 127]);
    // defaults: int8, zero point 0, half_away: fround(0.3)/fround(0.1) ≈ 3.00000007 → 3
    assertExact(run('Quantize', [val('float32', [1], [0.3])], { scale: [0.1] })[0], [1], [3]);
  });
  it('errors: scale count vs axis EF1004, zero-point count EF1006, bad scale EF1006, int input: infer ok, kernel EF1005', () => {
    const t = [{ dtype: 'float32' as const, shape: [2, 3] }];
    throwsCode(() => infer('Quantize', t, { scale: [1, 2], axis: 1 }), 'EF1004');
    throwsCode(() => infer('Quantize', t, { scale: [1, 2, 3], zero_point: [0, 0], axis: 1 }), 'EF1006');
    throwsCode(() => infer('Quantize', t, { scale: [0] }), 'EF1006');
    throwsCode(() => infer('Quantize', t, { scale: [1, 1, 1], axis: 2 }), 'EF1006');
    // int8 → int8 QUANTIZE is a TFLite requantization: inference accepts it, the float kernel cannot run it
    assert.equal(infer('Quantize', [{ dtype: 'int8', shape: [2] }], { scale: [1] })[0].dtype, 'int8');
    throwsCode(() => run('Quantize', [val('int8', [2], [1, 2])], { scale: [1] }), 'EF1005');
    throwsCode(() => infer('Quantize', t, { scale: [1], to: 'int32' }), 'EF1006');
  });
});

describe('Dequantize', () => {
  const r = rng(33);
  for (const dt of ['int8', 'uint8', 'int16', 'uint16', 'int32'] as DType[])
    for (const [shape, axis, nc] of [
      [[2, 3, 4], 0, 1],
      [[2, 3, 4], 1, 3],
      [[2, 3, 4], -1, 4],
    ] as [number[], number, number][])
      it(`${dt} ${nc === 1 ? 'per-tensor' : `axis ${axis}`}`, () => {
        const [lo, hi] = dt === 'int32' ? [-100000, 100000] : RANGE[dt];
        const x = randVal(r, shape, dt, lo, hi);
        const scale = Array.from({ length: nc }, () => 0.001 + r() * 0.5);
        const zp = Array.from({ length: nc }, () => randInt(r, lo, hi));
        const [y] = run('Dequantize', [x], { scale, zero_point: zp, axis });
        assert.equal(y.dtype, 'float32');
        const a = axis < 0 ? axis + shape.length : axis;
        const ref = Array.from(x.data, (q, i) => {
          const c = channel(i, shape, a, nc);
          return Math.fround((q - zp[c]) * Math.fround(scale[c]));
        });
        assertExact(y, shape, ref);
      });
  it('hand-derived: ONNX test_dequantizelinear — uint8 [0,3,128,255], scale 2, zp 128 → [-256,-250,0,254]', () => {
    assertExact(run('Dequantize', [val('uint8', [4], [0, 3, 128, 255])], { scale: [2], zero_point: [128] })[0], [4], [-256, -250, 0, 254]);
  });
  it('round trip: |dequantize(quantize(x)) - x| <= s/2 inside the representable range', () => {
    const x = randVal(r, [1000], 'float32', -1, 1);
    const attrs = { scale: [2 / 255], zero_point: [-1] };
    const [q] = run('Quantize', [x], attrs);
    const [d] = run('Dequantize', [q], attrs);
    assertClose(d, [1000], x.data, 0, 1 / 255 + 1e-7);
  });
  it('errors: float input EF1005, scale count vs axis EF1004', () => {
    throwsCode(() => infer('Dequantize', [{ dtype: 'float32', shape: [2] }], { scale: [1] }), 'EF1005');
    throwsCode(() => infer('Dequantize', [{ dtype: 'int8', shape: [2, 3] }], { scale: [1, 2], axis: -1 }), 'EF1004');
  });
});
