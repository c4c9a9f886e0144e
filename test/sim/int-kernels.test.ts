// Integer kernels on small hand-built quantized graphs, against independent references: naive loops written
// from INT8-ARITHMETIC.md with the BigInt wide-integer MBQM (exact ops), or the real function within one
// quantization step (transcendental ops, whose exactness against TFLM is covered by int-reference.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EspforgeError } from '../../src/diagnostics.js';
import { allocArray, dtypeRange, shapeSize, type DType, type TypedArray } from '../../src/ir/dtype.js';
import { GraphBuilder, type Attrs, type QuantParams } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { mbqm64Ref, mbqmRef, quantizeMultiplier, rha } from '../../src/arith/fixedpoint.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import { rng } from '../helpers/rng.js';

const R = rng(7);
const randArr = (dt: DType, n: number, lo?: number, hi?: number): TypedArray => {
  const [a, b] = dtypeRange(dt);
  const l = lo ?? a;
  const h = hi ?? b;
  const out = allocArray(dt, n);
  for (let i = 0; i < n; i++) out[i] = l + Math.floor(R() * (h - l + 1));
  return out;
};
const q = (scale: number | number[], zp: number | number[] = 0, axis = 0): QuantParams => ({
  scale: Array.isArray(scale) ? scale.map(Math.fround) : [Math.fround(scale)],
  zeroPoint: Array.isArray(zp) ? zp : [zp],
  axis,
});
const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
const QM = (m: number) => quantizeMultiplier(m);

interface In {
  dtype: DType;
  shape: number[];
  quant?: QuantParams;
  data?: TypedArray; // constant when given with const=true
  const?: boolean;
}
/** One-node graph: returns outputs for the given runtime inputs. */
function run1(op: string, ins: (In | null)[], out: { dtype: DType; shape: number[]; quant?: QuantParams }, attrs: Attrs, feed: Value[]): Value {
  const b = new GraphBuilder({ format: 'espforge' });
  const ids = ins.map((t, k) => (t ? b.tensor({ name: `in${k}`, dtype: t.dtype, shape: t.shape, quant: t.quant, data: t.const ? t.data : undefined }) : -1));
  const y = b.tensor({ name: 'y', dtype: out.dtype, shape: out.shape, quant: out.quant });
  b.node({ op, name: 'n', inputs: ids, outputs: [y], attrs });
  b.inputs = ids.filter((id, k) => id >= 0 && !ins[k]!.const);
  b.outputs = [y];
  const g = prepareIntGraph(b.build());
  return runInt(g, feed).outputs[0];
}

/** The registry's float evaluation of a one-input op. */
function run1Float(op: string, attrs: Attrs, x: Value): ArrayLike<number> {
  const def = getOp(op);
  return def.evalFloat([x], normalizeAttrs(def, attrs, 'n'), { op, name: 'n', inputs: [0], outputs: [1], attrs })[0].data;
}

/** Naive grouped/dilated conv reference (doc §5), accumulating in BigInt. */
function convRef(
  x: TypedArray, xs: number[], w: TypedArray, ws: number[], bias: ArrayLike<number> | undefined,
  ys: number[], o: { strides: number[]; dil: number[]; pads: number[]; group: number },
  sIn: number, sW: number[], sOut: number, zpIn: number, zpOut: number, lo: number, hi: number, int16: boolean,
): number[] {
  const [N, H, W, Cin] = xs;
  const [Cout, KH, KW, Cig] = ws;
  const [, OH, OW] = ys;
  const res: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < Cout; c++) {
          const gi = Math.floor(c / (Cout / o.group));
          let acc = 0n;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++) {
              const iy = oy * o.strides[0] - o.pads[0] + ky * o.dil[0];
              const ix = ox * o.strides[1] - o.pads[1] + kx * o.dil[1];
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
              for (let i = 0; i < Cig; i++)
                acc += BigInt(w[((c * KH + ky) * KW + kx) * Cig + i]) * BigInt(x[((n * H + iy) * W + ix) * Cin + gi * Cig + i] - (int16 ? 0 : zpIn));
            }
          if (bias) acc += BigInt(bias[c]);
          const { mult, shift } = QM((sIn * sW[c]) / sOut);
          const v = int16 ? mbqm64Ref(Number(acc), mult, shift) : mbqmRef(Number(BigInt.asIntN(32, acc)), mult, shift) + zpOut;
          res.push(clamp(v, lo, hi));
        }
  return res;
}

test('Conv int8: grouped, dilated, strided, asymmetric pads, per-channel, relu6', () => {
  const xs = [2, 9, 8, 6];
  const ws = [4, 3, 2, 3]; // group 2
  const ys = [2, 4, 4, 4];
  const o = { strides: [2, 2], dil: [2, 1], pads: [1, 0, 2, 1], group: 2 };
  const x = randArr('int8', shapeSize(xs));
  const w = randArr('int8', shapeSize(ws), -127, 127);
  const bias = randArr('int32', 4, -5000, 5000);
  const sW = [0.002, 0.003, 0.0011, 0.004].map(Math.fround);
  const sIn = Math.fround(0.05);
  const sOut = Math.fround(0.02);
  const y = run1(
    'Conv',
    [
      { dtype: 'int8', shape: xs, quant: q(sIn, 3) },
      { dtype: 'int8', shape: ws, quant: q(sW, [0, 0, 0, 0]), data: w, const: true },
      { dtype: 'int32', shape: [4], data: bias, const: true },
    ],
    { dtype: 'int8', shape: ys, quant: q(sOut, -10) },
    { strides: o.strides, dilations: o.dil, pads: o.pads, group: 2, activation: 'relu6' },
    [{ dtype: 'int8', shape: xs, data: x }],
  );
  const lo = Math.max(-128, -10 + rha(Math.fround(0 / sOut)));
  const hi = Math.min(127, -10 + rha(Math.fround(6 / sOut)));
  assert.deepEqual(Array.from(y.data), convRef(x, xs, w, ws, bias, ys, o, sIn, sW, sOut, 3, -10, lo, hi, false));
});

test('Conv int8: depthwise with channel multiplier 2, SAME-style pads, and a 1x1 stride-2 conv', () => {
  const xs = [1, 7, 7, 3];
  const ws = [6, 3, 3, 1];
  const ys = [1, 7, 7, 6];
  const o = { strides: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], group: 3 };
  const x = randArr('int8', shapeSize(xs));
  const w = randArr('int8', shapeSize(ws), -127, 127);
  const bias = randArr('int32', 6, -2000, 2000);
  const sW = [0.01, 0.02, 0.005, 0.007, 0.03, 0.001].map(Math.fround);
  const y = run1(
    'Conv',
    [
      { dtype: 'int8', shape: xs, quant: q(0.1, -5) },
      { dtype: 'int8', shape: ws, quant: q(sW, [0, 0, 0, 0, 0, 0]), data: w, const: true },
      { dtype: 'int32', shape: [6], data: bias, const: true },
    ],
    { dtype: 'int8', shape: ys, quant: q(0.07, 2) },
    { strides: [1, 1], dilations: [1, 1], pads: o.pads, group: 3, activation: 'none' },
    [{ dtype: 'int8', shape: xs, data: x }],
  );
  assert.deepEqual(Array.from(y.data), convRef(x, xs, w, ws, bias, ys, o, Math.fround(0.1), sW, Math.fround(0.07), -5, 2, -128, 127, false));

  const ws1 = [5, 1, 1, 3];
  const w1 = randArr('int8', shapeSize(ws1), -127, 127);
  const y1 = run1(
    'Conv',
    [{ dtype: 'int8', shape: xs, quant: q(0.1, -5) }, { dtype: 'int8', shape: ws1, quant: q(0.02), data: w1, const: true }, null],
    { dtype: 'int8', shape: [1, 4, 4, 5], quant: q(0.05, 0) },
    { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' },
    [{ dtype: 'int8', shape: xs, data: x }],
  );
  const o1 = { strides: [2, 2], dil: [1, 1], pads: [0, 0, 0, 0], group: 1 };
  assert.deepEqual(Array.from(y1.data), convRef(x, xs, w1, ws1, undefined, [1, 4, 4, 5], o1, Math.fround(0.1), new Array(5).fill(Math.fround(0.02)), Math.fround(0.05), -5, 0, -128, 127, false));
});

test('Conv 16x8: int16 activations, int8 weights, int64 bias (int64 accumulator overload)', () => {
  const xs = [1, 5, 5, 4];
  const ws = [3, 3, 3, 4];
  const ys = [1, 5, 5, 3];
  const o = { strides: [1, 1], dil: [1, 1], pads: [1, 1, 1, 1], group: 1 };
  const x = randArr('int16', shapeSize(xs));
  const w = randArr('int8', shapeSize(ws), -127, 127);
  const bias = new Float64Array([123456789, -987654321, 5]);
  const sW = [0.004, 0.002, 0.009].map(Math.fround);
  const sIn = Math.fround(0.0003);
  const sOut = Math.fround(0.0011);
  const y = run1(
    'Conv',
    [
      { dtype: 'int16', shape: xs, quant: q(sIn, 0) },
      { dtype: 'int8', shape: ws, quant: q(sW, [0, 0, 0]), data: w, const: true },
      { dtype: 'int64', shape: [3], data: bias, const: true },
    ],
    { dtype: 'int16', shape: ys, quant: q(sOut, 0) },
    { strides: [1, 1], dilations: [1, 1], pads: o.pads, group: 1, activation: 'none' },
    [{ dtype: 'int16', shape: xs, data: x }],
  );
  assert.equal(y.dtype, 'int16');
  assert.deepEqual(Array.from(y.data), convRef(x, xs, w, ws, bias, ys, o, sIn, sW, sOut, 0, 0, -32768, 32767, true));
});

test('FullyConnected: per-channel int8, and int16 with int32 bias', () => {
  const K = 37;
  const Nn = 5;
  const x = randArr('int8', 3 * K);
  const w = randArr('int8', Nn * K, -127, 127);
  const bias = randArr('int32', Nn, -3000, 3000);
  const sW = [0.01, 0.02, 0.003, 0.004, 0.05].map(Math.fround);
  const y = run1(
    'FullyConnected',
    [
      { dtype: 'int8', shape: [3, K], quant: q(0.02, 7) },
      { dtype: 'int8', shape: [Nn, K], quant: q(sW, new Array(Nn).fill(0)), data: w, const: true },
      { dtype: 'int32', shape: [Nn], data: bias, const: true },
    ],
    { dtype: 'int8', shape: [3, Nn], quant: q(0.3, -3) },
    { activation: 'relu' },
    [{ dtype: 'int8', shape: [3, K], data: x }],
  );
  const want: number[] = [];
  for (let b = 0; b < 3; b++)
    for (let o = 0; o < Nn; o++) {
      let acc = bias[o];
      for (let k = 0; k < K; k++) acc += w[o * K + k] * (x[b * K + k] - 7);
      const { mult, shift } = QM((Math.fround(0.02) * sW[o]) / Math.fround(0.3));
      want.push(clamp(mbqmRef(acc, mult, shift) - 3, Math.max(-128, -3), 127));
    }
  assert.deepEqual(Array.from(y.data), want);

  const x16 = randArr('int16', K);
  const y16 = run1(
    'FullyConnected',
    [
      { dtype: 'int16', shape: [1, K], quant: q(0.001, 0) },
      { dtype: 'int8', shape: [Nn, K], quant: q(0.01), data: w, const: true },
      { dtype: 'int32', shape: [Nn], data: bias, const: true },
    ],
    { dtype: 'int16', shape: [1, Nn], quant: q(0.02, 0) },
    { activation: 'none' },
    [{ dtype: 'int16', shape: [1, K], data: x16 }],
  );
  const want16: number[] = [];
  for (let o = 0; o < Nn; o++) {
    let acc = bias[o];
    for (let k = 0; k < K; k++) acc += w[o * K + k] * x16[k];
    const { mult, shift } = QM((Math.fround(0.001) * Math.fround(0.01)) / Math.fround(0.02));
    want16.push(clamp(mbqmRef(acc | 0, mult, shift), -32768, 32767));
  }
  assert.deepEqual(Array.from(y16.data), want16);
});

test('Add (double) and Sub (float32 multipliers) with broadcasting follow the §9 formula', () => {
  const sa = Math.fround(0.05);
  const sb = Math.fround(0.013);
  const so = Math.fround(0.06);
  const a = randArr('int8', 2 * 3 * 4);
  const b = randArr('int8', 4);
  for (const op of ['Add', 'Sub']) {
    const y = run1(
      op,
      [{ dtype: 'int8', shape: [2, 3, 4], quant: q(sa, 4) }, { dtype: 'int8', shape: [4], quant: q(sb, -9) }],
      { dtype: 'int8', shape: [2, 3, 4], quant: q(so, 1) },
      { activation: 'none' },
      [{ dtype: 'int8', shape: [2, 3, 4], data: a }, { dtype: 'int8', shape: [4], data: b }],
    );
    const f = op === 'Sub' ? Math.fround : (v: number) => v;
    const twice = f(2 * Math.max(sa, sb));
    const m1 = QM(f(sa / twice));
    const m2 = QM(f(sb / twice));
    const mo = QM(f(twice / f(2 ** 20 * so)));
    const want = Array.from(a, (av, i) => {
      const x1 = mbqmRef((av - 4) * 2 ** 20, m1.mult, m1.shift);
      const x2 = mbqmRef((b[i % 4] + 9) * 2 ** 20, m2.mult, m2.shift);
      return clamp(mbqmRef(op === 'Add' ? x1 + x2 : x1 - x2, mo.mult, mo.shift) + 1, -128, 127);
    });
    assert.deepEqual(Array.from(y.data), want, op);
    // sanity: close to the real result
    for (let i = 0; i < a.length; i++) {
      const real = op === 'Add' ? sa * (a[i] - 4) + sb * (b[i % 4] + 9) : sa * (a[i] - 4) - sb * (b[i % 4] + 9);
      const qv = clamp(Math.round(real / so) + 1, -128, 127);
      assert.ok(Math.abs(y.data[i] - qv) <= 1, `${op} ${i}`);
    }
  }
});

test('Mul with broadcasting follows §10', () => {
  const a = randArr('int8', 12);
  const b = randArr('int8', 3);
  const y = run1(
    'Mul',
    [{ dtype: 'int8', shape: [4, 3], quant: q(0.02, -1) }, { dtype: 'int8', shape: [1, 3], quant: q(0.03, 5) }],
    { dtype: 'int8', shape: [4, 3], quant: q(0.01, 0) },
    { activation: 'none' },
    [{ dtype: 'int8', shape: [4, 3], data: a }, { dtype: 'int8', shape: [1, 3], data: b }],
  );
  const { mult, shift } = QM((Math.fround(0.02) * Math.fround(0.03)) / Math.fround(0.01));
  assert.deepEqual(Array.from(y.data), Array.from(a, (v, i) => clamp(mbqmRef((v + 1) * (b[i % 3] - 5), mult, shift), -128, 127)));
});

test('AveragePool rounds half away from zero over in-bounds taps; MaxPool takes the max', () => {
  const xs = [1, 5, 5, 2];
  const x = randArr('int8', shapeSize(xs));
  const attrs = { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], activation: 'none' };
  const qq = q(0.1, -3);
  const avg = run1('AveragePool', [{ dtype: 'int8', shape: xs, quant: qq }], { dtype: 'int8', shape: [1, 3, 3, 2], quant: qq }, attrs, [{ dtype: 'int8', shape: xs, data: x }]);
  const mx = run1('MaxPool', [{ dtype: 'int8', shape: xs, quant: qq }], { dtype: 'int8', shape: [1, 3, 3, 2], quant: qq }, attrs, [{ dtype: 'int8', shape: xs, data: x }]);
  let i = 0;
  for (let oy = 0; oy < 3; oy++)
    for (let ox = 0; ox < 3; ox++)
      for (let c = 0; c < 2; c++, i++) {
        const taps: number[] = [];
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy * 2 - 1 + ky;
            const ix = ox * 2 - 1 + kx;
            if (iy >= 0 && ix >= 0 && iy < 5 && ix < 5) taps.push(x[(iy * 5 + ix) * 2 + c]);
          }
        const sum = taps.reduce((p, v) => p + v, 0);
        assert.equal(avg.data[i], rha(sum / taps.length), `avg ${i}`);
        assert.equal(mx.data[i], Math.max(...taps), `max ${i}`);
      }
});

test('ReduceMean folds 1/N into the multiplier (§11) and stays within one step of the real mean', () => {
  const xs = [1, 6, 5, 3];
  const x = randArr('int8', shapeSize(xs));
  const sIn = Math.fround(0.05);
  const sOut = Math.fround(0.03);
  const y = run1('ReduceMean', [{ dtype: 'int8', shape: xs, quant: q(sIn, 2) }], { dtype: 'int8', shape: [1, 1, 1, 3], quant: q(sOut, -4) }, { axes: [1, 2], keepdims: 1 }, [
    { dtype: 'int8', shape: xs, data: x },
  ]);
  const { mult, shift } = QM(sIn / sOut);
  const Nn = 30;
  const sh = Math.min(Math.floor(Math.log2(Nn)), 32, 31 + shift);
  const m2 = Number((BigInt(mult) * 2n ** BigInt(sh)) / BigInt(Nn));
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    for (let i = 0; i < 30; i++) sum += x[i * 3 + c];
    assert.equal(y.data[c], clamp(mbqmRef(sum - 2 * Nn, m2, shift - sh) - 4, -128, 127));
    const real = (sIn * (sum - 2 * Nn)) / Nn;
    assert.ok(Math.abs(y.data[c] - clamp(Math.round(real / sOut) - 4, -128, 127)) <= 1);
  }
});

test('Softmax, Sigmoid, Tanh, HardSwish, LeakyRelu on every int8 input stay within one step of the real function', () => {
  const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  const sIn = Math.fround(0.0625);
  const zIn = 3;
  const real = (v: number) => sIn * (v - zIn);
  const check = (op: string, attrs: Attrs, oq: QuantParams, f: (r: number) => number, tol = 1) => {
    const y = run1(op, [{ dtype: 'int8', shape: [256], quant: q(sIn, zIn) }], { dtype: 'int8', shape: [256], quant: oq }, attrs, [{ dtype: 'int8', shape: [256], data: all }]);
    for (let i = 0; i < 256; i++) {
      const want = clamp(Math.round(f(real(all[i])) / oq.scale[0]) + oq.zeroPoint[0], -128, 127);
      assert.ok(Math.abs(y.data[i] - want) <= tol, `${op} x=${all[i]}: got ${y.data[i]}, real ${want}`);
    }
  };
  check('Sigmoid', {}, q(1 / 256, -128), (r) => 1 / (1 + Math.exp(-r)));
  check('Tanh', {}, q(1 / 128, 0), Math.tanh);
  check('HardSwish', {}, q(0.05, -20), (r) => (r * Math.min(Math.max(r + 3, 0), 6)) / 6);
  check('LeakyRelu', { alpha: 0.1 }, q(0.04, 10), (r) => (r >= 0 ? r : 0.1 * r));
  // Gelu (TFLM GELU table): the exact form against erf(x/√2) written here from its Maclaurin series (|1 − erf| <
  // 2e-10 beyond 4.5, where the series would lose precision), the tanh form against its formula
  const erfT = (z: number) => {
    if (Math.abs(z) >= 4.5) return Math.sign(z);
    let sum = 0;
    let term = z;
    for (let n = 0; n < 120; n++) {
      sum += term / (2 * n + 1);
      term *= (-z * z) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  check('Gelu', {}, q(0.04, -100), (r) => 0.5 * r * (1 + erfT(r / Math.SQRT2)));
  check('Gelu', { approximate: 'tanh' }, q(0.04, -100), (r) => 0.5 * r * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (r + 0.044715 * r ** 3))));
  // HardSigmoid: espforge's own int8 arithmetic (TFLite has none), so the reference is the float function
  const hs = (a: number, b: number) => (r: number) => Math.min(Math.max(a * r + b, 0), 1);
  check('HardSigmoid', {}, q(1 / 256, -128), hs(0.2, 0.5));
  check('HardSigmoid', { alpha: 1 / 6, beta: 0.5 }, q(1 / 255, -128), hs(1 / 6, 0.5));
  check('HardSigmoid', { alpha: 0.7, beta: 0.15 }, q(0.005, -100), hs(0.7, 0.15));
  check('HardSigmoid', { alpha: 0.05, beta: 0.9 }, q(1 / 200, -128), hs(0.05, 0.9));
  check('Relu', {}, q(0.1, -128), (r) => Math.max(r, 0));
  check('Clip', { min: -1, max: 2.5 }, q(sIn, zIn), (r) => Math.min(Math.max(r, -1), 2.5));
  // softmax over rows of 8
  const rows = 32;
  const y = run1('Softmax', [{ dtype: 'int8', shape: [rows, 8], quant: q(sIn, zIn) }], { dtype: 'int8', shape: [rows, 8], quant: q(1 / 256, -128) }, { axis: -1 }, [
    { dtype: 'int8', shape: [rows, 8], data: all },
  ]);
  for (let r = 0; r < rows; r++) {
    const e = Array.from({ length: 8 }, (_, c) => Math.exp(real(all[r * 8 + c])));
    const s = e.reduce((p, v) => p + v, 0);
    for (let c = 0; c < 8; c++) {
      const want = clamp(Math.round((e[c] / s) * 256) - 128, -128, 127);
      assert.ok(Math.abs(y.data[r * 8 + c] - want) <= 1, `softmax row ${r} col ${c}`);
    }
  }
});

test('Concat copies equal-quant inputs and requantizes the others; Pad fills zp; Quantize/Dequantize round-trip', () => {
  const a = randArr('int8', 6);
  const b = randArr('int8', 4);
  const y = run1(
    'Concat',
    [{ dtype: 'int8', shape: [2, 3], quant: q(0.1, 1) }, { dtype: 'int8', shape: [2, 2], quant: q(0.05, -7) }],
    { dtype: 'int8', shape: [2, 5], quant: q(0.1, 1) },
    { axis: 1 },
    [{ dtype: 'int8', shape: [2, 3], data: a }, { dtype: 'int8', shape: [2, 2], data: b }],
  );
  const { mult, shift } = QM(Math.fround(0.05) / Math.fround(0.1));
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 3; c++) assert.equal(y.data[r * 5 + c], a[r * 3 + c]);
    for (let c = 0; c < 2; c++) assert.equal(y.data[r * 5 + 3 + c], clamp(mbqmRef(b[r * 2 + c] + 7, mult, shift) + 1, -128, 127));
  }
  const p = run1('Pad', [{ dtype: 'int8', shape: [1, 2, 2, 1], quant: q(0.1, -9) }], { dtype: 'int8', shape: [1, 4, 3, 1], quant: q(0.1, -9) }, { pads: [0, 1, 0, 0, 0, 1, 1, 0], mode: 'constant', value: 0 }, [
    { dtype: 'int8', shape: [1, 2, 2, 1], data: Int8Array.from([1, 2, 3, 4]) },
  ]);
  assert.deepEqual(Array.from(p.data), [-9, -9, -9, 1, 2, -9, 3, 4, -9, -9, -9, -9]);
  const xf = Float32Array.from({ length: 50 }, () => (R() - 0.5) * 10);
  const qv = run1('Quantize', [{ dtype: 'float32', shape: [50] }], { dtype: 'int8', shape: [50], quant: q(0.04, 5) }, { scale: [0.04], zero_point: [5], axis: 0, to: 'int8' }, [{ dtype: 'float32', shape: [50], data: xf }]);
  for (let i = 0; i < 50; i++) assert.equal(qv.data[i], clamp(rha(Math.fround(xf[i] / Math.fround(0.04))) + 5, -128, 127));
  const dq = run1('Dequantize', [{ dtype: 'int8', shape: [50], quant: q(0.04, 5) }], { dtype: 'float32', shape: [50] }, { scale: [0.04], zero_point: [5], axis: 0 }, [{ dtype: 'int8', shape: [50], data: qv.data }]);
  for (let i = 0; i < 50; i++) assert.equal(dq.data[i], Math.fround(Math.fround(0.04) * (qv.data[i] - 5)));
  const u8 = run1('Quantize', [{ dtype: 'int8', shape: [50], quant: q(0.04, 5) }], { dtype: 'uint8', shape: [50], quant: q(0.04, 133) }, { scale: [0.04], zero_point: [133], axis: 0, to: 'uint8' }, [{ dtype: 'int8', shape: [50], data: qv.data }]);
  for (let i = 0; i < 50; i++) assert.equal(u8.data[i], qv.data[i] + 128);
});

test('coded errors: op without integer kernel, missing quantization, wrong softmax output quantization', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof EspforgeError, String(e));
      return e.diagnostics[0].code;
    }
    return 'none';
  };
  const x = { dtype: 'int8' as const, shape: [4], quant: q(0.1, 0) };
  const feed = [{ dtype: 'int8' as const, shape: [4], data: new Int8Array(4) }];
  assert.equal(code(() => run1('Elu', [x], { dtype: 'int8', shape: [4], quant: q(0.1, 0) }, { alpha: 1 }, feed)), 'EF3002');
  assert.equal(code(() => run1('Relu', [{ dtype: 'int8', shape: [4] }], { dtype: 'int8', shape: [4], quant: q(0.1, 0) }, {}, feed)), 'EF3001');
  assert.equal(code(() => run1('Softmax', [x], { dtype: 'int8', shape: [4], quant: q(0.1, 0) }, {}, feed)), 'EF3004');
});

test('HardSigmoid int8 (property): monotone in x, inside [0, 1] quantized, exact at the saturated ends, on random scales', () => {
  const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  for (let k = 0; k < 40; k++) {
    const sIn = 0.002 + 0.1 * R();
    const zIn = Math.floor(R() * 200) - 100;
    const alpha = 0.02 + 1.5 * R();
    const beta = R();
    const sOut = (1 + R()) / 256;
    const zOut = -128 + Math.floor(R() * 20);
    const y = run1('HardSigmoid', [{ dtype: 'int8', shape: [256], quant: q(sIn, zIn) }], { dtype: 'int8', shape: [256], quant: q(sOut, zOut) }, { alpha, beta }, [
      { dtype: 'int8', shape: [256], data: all },
    ]);
    const top = Math.min(127, zOut + Math.round(1 / Math.fround(sOut)));
    for (let i = 0; i < 256; i++) {
      const v = y.data[i];
      assert.ok(v >= zOut && v <= top, `case ${k}: y=${v} outside [${zOut}, ${top}]`);
      if (i > 0) assert.ok(v >= y.data[i - 1], `case ${k}: not monotone at x=${all[i]}`);
      const t = alpha * Math.fround(sIn) * (all[i] - zIn) + beta;
      if (t <= 0) assert.equal(v, zOut, `case ${k}: x=${all[i]} is below the ramp`);
      if (t >= 1) assert.equal(v, top, `case ${k}: x=${all[i]} is above the ramp`);
      const want = clamp(Math.round(Math.min(Math.max(t, 0), 1) / Math.fround(sOut)) + zOut, -128, 127);
      assert.ok(Math.abs(v - want) <= 1, `case ${k}: x=${all[i]} got ${v}, float ${want}`);
    }
  }
});

test('ConvTranspose int8 (TFLM TRANSPOSE_CONV) equals a naive per-output gather with the wide-integer MBQM', () => {
  const cases = [
    { H: 3, W: 4, Cin: 3, KH: 3, KW: 3, Cout: 5, strides: [2, 2], dilations: [1, 1], pads: [1, 1, 0, 0], outPad: [1, 1], bias: true, act: 'none' },
    { H: 4, W: 2, Cin: 2, KH: 2, KW: 3, Cout: 3, strides: [1, 2], dilations: [2, 1], pads: [0, 0, 0, 0], outPad: [0, 0], bias: false, act: 'relu' },
    { H: 2, W: 2, Cin: 4, KH: 4, KW: 4, Cout: 2, strides: [3, 3], dilations: [1, 1], pads: [2, 1, 2, 1], outPad: [0, 2], bias: true, act: 'none' },
  ];
  for (const [k, c] of cases.entries()) {
    const OH = (c.H - 1) * c.strides[0] + (c.KH - 1) * c.dilations[0] + 1 + c.outPad[0] - c.pads[0] - c.pads[2];
    const OW = (c.W - 1) * c.strides[1] + (c.KW - 1) * c.dilations[1] + 1 + c.outPad[1] - c.pads[1] - c.pads[3];
    const sIn = Math.fround(0.03);
    const zIn = -7;
    const sOut = Math.fround(0.11);
    const zOut = 4;
    const sW = Array.from({ length: c.Cout }, () => Math.fround(0.002 + 0.01 * R()));
    const x = randArr('int8', c.H * c.W * c.Cin);
    const w = randArr('int8', c.Cin * c.KH * c.KW * c.Cout, -127, 127);
    const b = c.bias ? Int32Array.from({ length: c.Cout }, () => Math.floor(R() * 4000) - 2000) : undefined;
    const y = run1(
      'ConvTranspose',
      [
        { dtype: 'int8', shape: [1, c.H, c.W, c.Cin], quant: q(sIn, zIn) },
        { dtype: 'int8', shape: [c.Cin, c.KH, c.KW, c.Cout], quant: q(sW, sW.map(() => 0), 3), data: w, const: true },
        b ? { dtype: 'int32', shape: [c.Cout], quant: q(sW.map((s) => sIn * s), sW.map(() => 0)), data: b, const: true } : null,
      ],
      { dtype: 'int8', shape: [1, OH, OW, c.Cout], quant: q(sOut, zOut) },
      { strides: c.strides, dilations: c.dilations, pads: c.pads, output_padding: c.outPad, activation: c.act },
      [{ dtype: 'int8', shape: [1, c.H, c.W, c.Cin], data: x }],
    );
    assert.deepEqual(y.shape, [1, OH, OW, c.Cout]);
    const lo = c.act === 'relu' ? Math.max(-128, zOut) : -128;
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let o = 0; o < c.Cout; o++) {
          let acc = b ? b[o] : 0;
          for (let iy = 0; iy < c.H; iy++)
            for (let ky = 0; ky < c.KH; ky++) {
              if (iy * c.strides[0] - c.pads[0] + ky * c.dilations[0] !== oy) continue;
              for (let ix = 0; ix < c.W; ix++)
                for (let kx = 0; kx < c.KW; kx++) {
                  if (ix * c.strides[1] - c.pads[1] + kx * c.dilations[1] !== ox) continue;
                  for (let ci = 0; ci < c.Cin; ci++) acc += (x[(iy * c.W + ix) * c.Cin + ci] - zIn) * w[((ci * c.KH + ky) * c.KW + kx) * c.Cout + o];
                }
            }
          const m = QM((sIn * sW[o]) / sOut);
          const want = clamp(mbqmRef(acc, m.mult, m.shift) + zOut, lo, 127);
          assert.equal(y.data[(oy * OW + ox) * c.Cout + o], want, `case ${k} at (${oy},${ox},${o})`);
        }
  }
});

test('bilinear Resize (TFLM RESIZE_BILINEAR integer path): half-pixel and align-corners 2x upsampling are within one step of the float interpolation; the zero point passes through', () => {
  const H = 5;
  const W = 4;
  const C = 3;
  for (const dt of ['int8', 'int16'] as const) {
    const x = randArr(dt, H * W * C);
    const xf = Float64Array.from(x);
    const quant = q(0.05, dt === 'int8' ? 9 : 0);
    for (const [ctm, OH, OW] of [['half_pixel', 10, 8], ['pytorch_half_pixel', 10, 8], ['align_corners', 9, 7], ['asymmetric', 10, 8], ['half_pixel', 7, 6], ['align_corners', 3, 3]] as const) {
      const attrs = { mode: 'linear', coordinate_transformation_mode: ctm, sizes: [1, OH, OW, C] };
      const y = run1('Resize', [{ dtype: dt, shape: [1, H, W, C], quant }], { dtype: dt, shape: [1, OH, OW, C], quant }, attrs, [{ dtype: dt, shape: [1, H, W, C], data: x }]);
      // the float op on the stored integers (affine in the values, so the zero point passes through unchanged)
      const ref = run1Float('Resize', attrs, { dtype: 'float64', shape: [1, H, W, C], data: xf });
      // exact scales (a whole number of 2^-10) are within the final rounding; others also within the error of the
      // 10-bit scale (at most 2^-11 per output step, on both axes, times the value range)
      const exact = (ctm === 'align_corners' ? (H - 1) / (OH - 1) : H / OH) * 1024;
      const range = dt === 'int8' ? 255 : 65535;
      const tol = Number.isInteger(exact) ? 0.5 + 1e-9 : 1 + (2 * Math.max(OH, OW) * range) / 2048;
      for (let i = 0; i < y.data.length; i++)
        assert.ok(Math.abs(y.data[i] - ref[i]) <= tol, `${dt} ${ctm} ${OH}x${OW} element ${i}: ${y.data[i]} vs float ${ref[i]}`);
      // TFLM corner property: with align_corners the four output corners are the input corners exactly
      if (ctm === 'align_corners')
        for (const [oy, ox, iy, ix] of [[0, 0, 0, 0], [OH - 1, 0, H - 1, 0], [0, OW - 1, 0, W - 1], [OH - 1, OW - 1, H - 1, W - 1]])
          for (let c = 0; c < C; c++) assert.equal(y.data[(oy * OW + ox) * C + c], x[(iy * W + ix) * C + c]);
    }
  }
  // coordinate modes without a TFLite form have no integer kernel (coded)
  assert.throws(
    () => run1('Resize', [{ dtype: 'int8', shape: [1, H, W, C], quant: q(0.05) }], { dtype: 'int8', shape: [1, 8, 8, C], quant: q(0.05) }, { mode: 'linear', coordinate_transformation_mode: 'half_pixel_symmetric', sizes: [1, 8, 8, C] }, [
      { dtype: 'int8', shape: [1, H, W, C], data: randArr('int8', H * W * C) },
    ]),
    (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF3002',
  );
});
