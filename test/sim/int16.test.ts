// The int16 (TFLite "16x8") integer path against independent references written here from the formulas
// (INT8-ARITHMETIC.md §2, §3, §8–§11, TFLM's SoftmaxInt16 / int16 Logistic / Tanh): BigInt wide-integer
// arithmetic and naive loops over seeded random int16 inputs and random scales, none of them calling the
// kernels' own helpers. The kernels must agree exactly. An end-to-end check quantizes the shared mnist-8 model
// with the int16 scheme and compares it with int8 against the float model.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { loadModel } from '../../src/import/index.js';
import { GraphBuilder, type Attrs, type QuantParams } from '../../src/ir/graph.js';
import type { DType, TypedArray } from '../../src/ir/dtype.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { evaluate, layerErrors } from '../../src/quant/report.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { SIGMOID_TABLE_UINT16 } from '../../src/sim/int/lut16.js';
import { sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

const R = rng(1616);
const randInt = (lo: number, hi: number) => lo + Math.floor(R() * (hi - lo + 1));
const randI16 = (n: number, lo = -32768, hi = 32767) => Int16Array.from({ length: n }, () => randInt(lo, hi));
const randI8w = (n: number) => Int8Array.from({ length: n }, () => randInt(-127, 127));
/** A float32 scale, log-uniform in [lo, hi]. */
const randScale = (lo: number, hi: number) => Math.fround(lo * (hi / lo) ** R());

// ---- the reference arithmetic (BigInt, from the formulas) ----
const B = BigInt;
/** round half away from zero */
const rhaN = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x)) + 0;
/** QuantizeMultiplier: m = q·2^e, q in [0.5, 1), M = round(q·2^31) (2^31 → 2^30, e+1). */
function qmRef(m: number): [number, number] {
  if (m === 0) return [0, 0];
  let e = Math.ceil(Math.log2(m));
  while (m / 2 ** e >= 1) e++;
  while (m / 2 ** e < 0.5) e--;
  let M = rhaN((m / 2 ** e) * 2 ** 31);
  if (M === 2 ** 31) {
    M = 2 ** 30;
    e++;
  }
  if (e < -31) return [0, 0];
  return [M, e];
}
/** C truncating division of BigInts is BigInt's own. */
function srdhmB(a: bigint, b: bigint): bigint {
  if (a === -(2n ** 31n) && b === -(2n ** 31n)) return 2n ** 31n - 1n;
  const p = a * b;
  return (p + (p >= 0n ? 2n ** 30n : 1n - 2n ** 30n)) / 2n ** 31n;
}
/** rounding divide by 2^e, halves away from zero */
function rdivB(x: bigint, e: number): bigint {
  if (e === 0) return x;
  const d = 2n ** B(e);
  const q = (x < 0n ? -x : x) / d;
  const r = (x < 0n ? -x : x) - q * d;
  const v = 2n * r >= d ? q + 1n : q;
  return x < 0n ? -v : v;
}
/** int32 MBQM (double rounding): the shift left wraps to int32. */
function mbqm32(x: number, M: number, S: number): number {
  const a = BigInt.asIntN(32, B(x) * 2n ** B(Math.max(S, 0)));
  return Number(rdivB(srdhmB(a, B(M)), Math.max(-S, 0)));
}
/** int64 MBQM overload (int16 activations, int64 bias). */
function mbqm64B(x: bigint, M: number, S: number): number {
  const m16 = M < 0x7fff0000 ? (M + 32768) >> 16 : 0x7fff;
  const ts = B(15 - S);
  return Number((x * B(m16) + (1n << (ts - 1n))) >> ts);
}
const cl = (v: number, lo = -32768, hi = 32767) => (v < lo ? lo : v > hi ? hi : v);

// ---- one-node graphs ----
const qp = (s: number | number[], zp = 0): QuantParams => {
  const sc = Array.isArray(s) ? s : [s];
  return { scale: sc.map(Math.fround), zeroPoint: sc.map(() => zp), axis: 0 };
};
interface T {
  dtype: DType;
  shape: number[];
  quant?: QuantParams;
  data?: TypedArray;
}
function run(op: string, ins: T[], out: T, attrs: Attrs, feed: TypedArray[]): TypedArray {
  const b = new GraphBuilder({ format: 'espforge' });
  const ids = ins.map((t, k) => b.tensor({ name: `in${k}`, dtype: t.dtype, shape: t.shape, quant: t.quant, data: t.data }));
  const y = b.tensor({ name: 'y', dtype: out.dtype, shape: out.shape, quant: out.quant });
  b.node({ op, name: 'n', inputs: ids, outputs: [y], attrs });
  b.inputs = ids.filter((_, k) => !ins[k].data);
  b.outputs = [y];
  const g = prepareIntGraph(b.build());
  const vals: Value[] = b.inputs.map((id, k) => ({ dtype: g.tensors[id].dtype, shape: g.tensors[id].shape, data: feed[k] }));
  return runInt(g, vals).outputs[0].data;
}
const same = (got: TypedArray, want: ArrayLike<number>, what: string) => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) assert.fail(`${what}: element ${i} is ${got[i]}, reference ${want[i]}`);
};

// ---- conv / depthwise / fully connected (int64 bias) ----

test('int16 Conv (per-channel, strides, dilation, padding, groups) with int64 bias equals the BigInt reference', () => {
  for (let trial = 0; trial < 6; trial++) {
    const N = 1, H = randInt(4, 8), W = randInt(4, 8);
    const group = trial % 3 === 2 ? 2 : 1;
    const Cig = randInt(1, 3), Cin = Cig * group, Cout = group * randInt(1, 3);
    const KH = randInt(1, 3), KW = randInt(1, 3), sh = randInt(1, 2), sw = randInt(1, 2), dh = randInt(1, 2), dw = 1;
    const pads = [randInt(0, 1), randInt(0, 1), randInt(0, 1), randInt(0, 1)];
    const OH = Math.floor((H + pads[0] + pads[2] - ((KH - 1) * dh + 1)) / sh) + 1;
    const OW = Math.floor((W + pads[1] + pads[3] - ((KW - 1) * dw + 1)) / sw) + 1;
    const sIn = randScale(1e-4, 1e-2);
    const sW = Array.from({ length: Cout }, () => randScale(1e-3, 5e-2));
    const x = randI16(N * H * W * Cin);
    const w = randI8w(Cout * KH * KW * Cig);
    const bias = Float64Array.from({ length: Cout }, () => randInt(-(2 ** 30), 2 ** 30));
    const typical = 32768 * 127 * Math.sqrt(KH * KW * Cig) * 0.3;
    const sOut = Math.fround((sIn * sW[0] * typical) / 32768);
    const acts = ['none', 'relu', 'relu6'];
    const act = acts[trial % 3];
    const y = run(
      'Conv',
      [
        { dtype: 'int16', shape: [N, H, W, Cin], quant: qp(sIn) },
        { dtype: 'int8', shape: [Cout, KH, KW, Cig], quant: qp(sW), data: w },
        { dtype: 'int64', shape: [Cout], quant: qp(sW.map((s) => sIn * s)), data: bias },
      ],
      { dtype: 'int16', shape: [N, OH, OW, Cout], quant: qp(sOut) },
      { strides: [sh, sw], dilations: [dh, dw], pads, group, activation: act },
      [x],
    );
    // fused activation range in int16 output integers (zero point 0)
    const lo = act === 'none' ? -32768 : Math.max(-32768, rhaN(Math.fround(0 / sOut)));
    const hi = act === 'relu6' ? Math.min(32767, rhaN(Math.fround(6 / sOut))) : 32767;
    const want: number[] = [];
    const cpg = Cout / group;
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < Cout; c++) {
          let acc = 0n;
          const gi = Math.floor(c / cpg) * Cig;
          for (let ky = 0; ky < KH; ky++)
            for (let kx = 0; kx < KW; kx++)
              for (let i = 0; i < Cig; i++) {
                const iy = oy * sh - pads[0] + ky * dh;
                const ix = ox * sw - pads[1] + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += B(w[((c * KH + ky) * KW + kx) * Cig + i]) * B(x[(iy * W + ix) * Cin + gi + i]);
              }
          acc += B(bias[c]);
          const [M, S] = qmRef((sIn * sW[c]) / sOut);
          want.push(cl(mbqm64B(acc, M, S), lo, hi));
        }
    same(y, want, `conv trial ${trial}`);
  }
});

test('int16 depthwise Conv (channel multiplier 1 and 2) with int64 bias equals the BigInt reference', () => {
  for (const dm of [1, 2]) {
    const H = 6, W = 5, Cin = 3, Cout = Cin * dm, K = 3;
    const sIn = randScale(1e-4, 1e-2);
    const sW = Array.from({ length: Cout }, () => randScale(1e-3, 5e-2));
    const x = randI16(H * W * Cin);
    const w = randI8w(Cout * K * K);
    const bias = Float64Array.from({ length: Cout }, () => randInt(-(2 ** 28), 2 ** 28));
    const sOut = Math.fround((sIn * sW[0] * 32768 * 127 * 3 * 0.3) / 32768);
    const y = run(
      'Conv',
      [
        { dtype: 'int16', shape: [1, H, W, Cin], quant: qp(sIn) },
        { dtype: 'int8', shape: [Cout, K, K, 1], quant: qp(sW), data: w },
        { dtype: 'int64', shape: [Cout], quant: qp(sW.map((s) => sIn * s)), data: bias },
      ],
      { dtype: 'int16', shape: [1, H, W, Cout], quant: qp(sOut) },
      { strides: [1, 1], pads: [1, 1, 1, 1], group: Cin },
      [x],
    );
    const want: number[] = [];
    for (let oy = 0; oy < H; oy++)
      for (let ox = 0; ox < W; ox++)
        for (let c = 0; c < Cout; c++) {
          let acc = B(bias[c]);
          const ic = Math.floor(c / dm);
          for (let ky = 0; ky < K; ky++)
            for (let kx = 0; kx < K; kx++) {
              const iy = oy - 1 + ky;
              const ix = ox - 1 + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc += B(w[(c * K + ky) * K + kx]) * B(x[(iy * W + ix) * Cin + ic]);
            }
          const [M, S] = qmRef((sIn * sW[c]) / sOut);
          want.push(cl(mbqm64B(acc, M, S)));
        }
    same(y, want, `depthwise dm=${dm}`);
  }
});

test('int16 FullyConnected (per-tensor weights, int64 bias, batches) equals the BigInt reference', () => {
  for (let trial = 0; trial < 4; trial++) {
    const Bt = randInt(1, 3), K = randInt(5, 40), No = randInt(2, 9);
    const sIn = randScale(1e-4, 1e-2);
    const sW = randScale(1e-3, 5e-2);
    const x = randI16(Bt * K);
    const w = randI8w(No * K);
    const bias = Float64Array.from({ length: No }, () => randInt(-(2 ** 32), 2 ** 32));
    const sOut = Math.fround((sIn * sW * 32768 * 127 * Math.sqrt(K) * 0.4) / 32768);
    const y = run(
      'FullyConnected',
      [
        { dtype: 'int16', shape: [Bt, K], quant: qp(sIn) },
        { dtype: 'int8', shape: [No, K], quant: qp(sW), data: w },
        { dtype: 'int64', shape: [No], quant: qp(sIn * sW), data: bias },
      ],
      { dtype: 'int16', shape: [Bt, No], quant: qp(sOut) },
      { activation: trial % 2 ? 'relu' : 'none' },
      [x],
    );
    const [M, S] = qmRef((sIn * sW) / sOut);
    const want: number[] = [];
    for (let b = 0; b < Bt; b++)
      for (let o = 0; o < No; o++) {
        let acc = B(bias[o]);
        for (let k = 0; k < K; k++) acc += B(w[o * K + k]) * B(x[b * K + k]);
        want.push(cl(mbqm64B(acc, M, S), trial % 2 ? 0 : -32768));
      }
    same(y, want, `fc trial ${trial}`);
  }
});

// ---- elementwise ----

test('int16 Add and Sub (left shift 15, broadcasting) and Mul equal the BigInt reference', () => {
  for (let trial = 0; trial < 6; trial++) {
    const s1 = randScale(1e-4, 1e-2), s2 = randScale(1e-4, 1e-2), so = randScale(2e-4, 2e-2);
    const shapeA = [1, 3, 4, 5];
    const shapeB = trial % 2 ? [1, 1, 1, 5] : shapeA;
    const nA = 60, nB = trial % 2 ? 5 : 60;
    const a = randI16(nA), b = randI16(nB);
    const ib = (i: number) => (trial % 2 ? i % 5 : i);
    for (const op of ['Add', 'Sub', 'Mul'] as const) {
      const soMul = Math.fround(s1 * s2 * 3000);
      const outS = op === 'Mul' ? soMul : so;
      const y = run(
        op,
        [
          { dtype: 'int16', shape: shapeA, quant: qp(s1) },
          { dtype: 'int16', shape: shapeB, quant: qp(s2) },
        ],
        { dtype: 'int16', shape: shapeA, quant: qp(outS) },
        {},
        [a, b],
      );
      const want: number[] = [];
      if (op === 'Mul') {
        const [M, S] = qmRef((s1 * s2) / outS);
        for (let i = 0; i < nA; i++) want.push(cl(mbqm32(a[i] * b[ib(i)], M, S)));
      } else {
        // ADD: real multipliers in double; SUB: in float32 (TFLM sub_common)
        const f = op === 'Sub' ? Math.fround : (v: number) => v;
        const twice = f(2 * Math.max(s1, s2));
        const [M1, S1] = qmRef(f(s1 / twice));
        const [M2, S2] = qmRef(f(s2 / twice));
        const [Mo, So] = qmRef(f(twice / f(2 ** 15 * outS)));
        for (let i = 0; i < nA; i++) {
          const x1 = rdivB(srdhmB(B(a[i]) * 2n ** 15n, B(M1)), -S1);
          const x2 = rdivB(srdhmB(B(b[ib(i)]) * 2n ** 15n, B(M2)), -S2);
          const sum = op === 'Add' ? x1 + x2 : x1 - x2;
          want.push(cl(Number(rdivB(srdhmB(sum, B(Mo)), -So))));
        }
      }
      same(y, want, `${op} trial ${trial}`);
    }
  }
});

// ---- pools, mean, data movement ----

test('int16 AveragePool / MaxPool (clipped windows) and ReduceMean equal naive references', () => {
  const H = 7, W = 6, C = 3;
  const s = randScale(1e-4, 1e-2);
  const x = randI16(H * W * C);
  const attrs = { kernel: [3, 2], strides: [2, 2], pads: [1, 0, 1, 1] };
  const OH = Math.floor((H + 2 - 3) / 2) + 1, OW = Math.floor((W + 1 - 2) / 2) + 1;
  for (const op of ['AveragePool', 'MaxPool'] as const) {
    const y = run(op, [{ dtype: 'int16', shape: [1, H, W, C], quant: qp(s) }], { dtype: 'int16', shape: [1, OH, OW, C], quant: qp(s) }, attrs, [x]);
    const want: number[] = [];
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          const taps: number[] = [];
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 2; kx++) {
              const iy = oy * 2 - 1 + ky, ix = ox * 2 + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) taps.push(x[(iy * W + ix) * C + c]);
            }
          if (op === 'MaxPool') want.push(Math.max(...taps));
          else {
            const sum = taps.reduce((p, v) => p + v, 0);
            want.push(Math.sign(sum) * Math.floor((Math.abs(sum) + Math.floor(taps.length / 2)) / taps.length));
          }
        }
    same(y, want, op);
  }
  // MEAN over H, W (the global-pool form), int16 in and out with different scales
  const so = randScale(1e-4, 1e-2);
  const y = run('ReduceMean', [{ dtype: 'int16', shape: [1, H, W, C], quant: qp(s) }], { dtype: 'int16', shape: [1, 1, 1, C], quant: qp(so) }, { axes: [1, 2], keepdims: 1 }, [x]);
  const n = H * W;
  const [M, S] = qmRef(s / so);
  const sh = Math.min(Math.floor(Math.log2(n)), 32, 31 + S);
  const M2 = Number((B(M) * 2n ** B(sh)) / B(n));
  const want: number[] = [];
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i * C + c];
    want.push(cl(mbqm32(sum, M2, S - sh)));
  }
  same(y, want, 'ReduceMean');
});

test('int16 Concat, Pad and Reshape move values unchanged; Quantize requantizes int8 <-> int16', () => {
  const s = randScale(1e-4, 1e-2);
  const a = randI16(12), b = randI16(8);
  const y = run('Concat', [{ dtype: 'int16', shape: [1, 2, 6], quant: qp(s) }, { dtype: 'int16', shape: [1, 2, 4], quant: qp(s) }], { dtype: 'int16', shape: [1, 2, 10], quant: qp(s) }, { axis: 2 }, [a, b]);
  same(y, [...a.slice(0, 6), ...b.slice(0, 4), ...a.slice(6), ...b.slice(4)], 'Concat');
  const p = run('Pad', [{ dtype: 'int16', shape: [2, 3], quant: qp(s) }], { dtype: 'int16', shape: [3, 5], quant: qp(s) }, { pads: [1, 1, 0, 1] }, [a.slice(0, 6)]);
  same(p, [0, 0, 0, 0, 0, 0, a[0], a[1], a[2], 0, 0, a[3], a[4], a[5], 0], 'Pad');
  const r = run('Reshape', [{ dtype: 'int16', shape: [1, 12], quant: qp(s) }], { dtype: 'int16', shape: [3, 4], quant: qp(s) }, { shape: [3, 4] }, [a]);
  same(r, a, 'Reshape');
  // TFLite QUANTIZE int8 → int16 and int16 → int8: y = clamp(MBQM(x − zp_in, QM(s_in/s_out)) + zp_out)
  for (let trial = 0; trial < 5; trial++) {
    const s8 = randScale(1e-3, 1e-1), zp8 = randInt(-128, 127), s16 = Math.fround(s8 * (1 / 256) * (0.5 + R()));
    const x8 = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    const up = run('Quantize', [{ dtype: 'int8', shape: [256], quant: qp(s8, zp8) }], { dtype: 'int16', shape: [256], quant: qp(s16) }, { scale: [s16], zero_point: [0], to: 'int16' }, [x8]);
    const [Mu, Su] = qmRef(s8 / s16);
    same(up, Array.from(x8, (v) => cl(mbqm32(v - zp8, Mu, Su))), `int8→int16 ${trial}`);
    const x16 = randI16(300);
    const down = run('Quantize', [{ dtype: 'int16', shape: [300], quant: qp(s16) }], { dtype: 'int8', shape: [300], quant: qp(s8, zp8) }, { scale: [s8], zero_point: [zp8], to: 'int8' }, [x16]);
    const [Md, Sd] = qmRef(s16 / s8);
    same(down, Array.from(x16, (v) => cl(mbqm32(v, Md, Sd) + zp8, -128, 127)), `int16→int8 ${trial}`);
  }
});

// ---- LUT activations ----

/** TFLM LUT generation (LUTPopulate<int16_t>), float32 throughout: written with a Float32Array as the rounder. */
function lutRef(inScale: number, inZp: number, outScale: number, outZp: number, fn: (x: number) => number): number[] {
  const F = new Float32Array(1);
  const f32 = (v: number) => ((F[0] = v), F[0]);
  const rnd = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
  const iMin = f32(f32(inScale) * (-32768 - inZp)), iMax = f32(f32(inScale) * (32767 - inZp));
  const oMin = f32(f32(outScale) * (-32768 - outZp)), oMax = f32(f32(outScale) * (32767 - outZp));
  const step = f32(f32(iMax - iMin) / 512);
  const inv = f32(65536 / f32(oMax - oMin));
  const g = (x: number) => f32(fn(f32(x)));
  const out: number[] = [];
  for (let i = 0; i < 512; i++) {
    const at = f32(iMin + f32(i * step));
    const v = g(at), vm = g(f32(at + f32(step / 2))), vn = g(f32(iMin + f32((i + 1) * step)));
    const interp = rnd(f32(f32(f32(vn * inv) + rnd(f32(v * inv))) / 2));
    const bias = rnd(f32(f32(interp - rnd(f32(vm * inv))) / 2));
    out.push(cl(rnd(f32(v * inv)) - bias));
  }
  out.push(cl(rnd(f32(g(iMax) * inv))));
  return out;
}
function lookupRef(v: number, lut: number[]): number {
  const idx = 256 + Math.floor(v / 128);
  const off = v - Math.floor(v / 128) * 128;
  const slope = lut[idx + 1] - lut[idx];
  return lut[idx] + Math.floor((slope * off + 64) / 128);
}

test('int16 Softmax (LUT path) equals a reference of TFLM SoftmaxInt16 and tracks the real softmax', () => {
  const expLut = lutRef(10 / 65535, 32767, 2 / 65535, 0, Math.exp);
  const recLut = lutRef(1 / 65535, -32768, 2 / 65535, 0, (x) => 1 / (1 + x));
  // the tables are what they claim: exp on [−10, 0] and 1/(1+x) on [0, 1] in Q0.15, to within a few units
  for (let i = 0; i <= 512; i++) {
    assert.ok(Math.abs(expLut[i] - 32768 * Math.exp(-10 + (10 * i) / 512)) <= 3, `exp lut ${i}`);
    assert.ok(Math.abs(recLut[i] - Math.min(32767, 32768 / (1 + i / 512))) <= 3, `recip lut ${i}`);
  }
  for (let trial = 0; trial < 8; trial++) {
    const rows = 4, depth = randInt(2, 30);
    const s = randScale(1e-4, 2e-3);
    const x = randI16(rows * depth, trial % 2 ? -32768 : -4000, trial % 2 ? 32767 : 4000);
    const y = run('Softmax', [{ dtype: 'int16', shape: [rows, depth], quant: qp(s) }], { dtype: 'int16', shape: [rows, depth], quant: qp(1 / 32768) }, {}, [x]);
    const [M, S] = qmRef(s / (10 / 65535));
    const want: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.slice(r * depth, (r + 1) * depth));
      const mx = Math.max(...row);
      const e = row.map((v) => lookupRef(cl(mbqm32(v - mx, M, S) + 32767), expLut));
      const sum = e.reduce((p, v) => p + v, 0);
      const h = Math.clz32(sum);
      const shifted = Number(((B(sum) << B(h - 1)) + 8192n) >> 14n);
      const rec = lookupRef(cl(shifted - 98304), recLut);
      const rs = 31 - h;
      for (const v of e) want.push(cl(Number((B(v) * B(rec) + (1n << B(rs - 1))) >> B(rs)), 0, 32767));
      // and the real softmax (exp(−10) is treated as negligible by the table, hence the loose bound)
      const fl = row.map((v) => Math.exp((v - mx) * s));
      const fs = fl.reduce((p, v) => p + v, 0);
      const got = Array.from(y.slice(r * depth, (r + 1) * depth));
      fl.forEach((v, k) => assert.ok(Math.abs(got[k] / 32768 - v / fs) < 2e-3, `softmax ${got[k] / 32768} vs ${v / fs}`));
    }
    same(y, want, `softmax trial ${trial}`);
  }
});

test('int16 Sigmoid and Tanh (table path, general and power-of-two input scales) equal the TFLM formula and track the functions', () => {
  // the table is sigmoid(i/24) in 0.16 to within 1.25 units (the published values are not an exact rounding)
  SIGMOID_TABLE_UINT16.forEach((v, i) => assert.ok(Math.abs(v - 65536 / (1 + Math.exp(-i / 24))) <= 1.25, `table ${i}`));
  const T = SIGMOID_TABLE_UINT16;
  const scales = [2 ** -12, 2 ** -11, 2 ** -13, randScale(1e-4, 2e-3), randScale(1e-4, 2e-3), randScale(2e-4, 4e-4)];
  for (const s of scales) {
    const x = Int16Array.from([...randI16(400), -32768, -1, 0, 1, 32767]);
    for (const op of ['Sigmoid', 'Tanh'] as const) {
      const y = run(op, [{ dtype: 'int16', shape: [x.length], quant: qp(s) }], { dtype: 'int16', shape: [x.length], quant: qp(1 / 32768) }, {}, [x]);
      // input multiplier: POT scales with (12 + log2 s) in {0} ({0, 1} for Tanh) use 3 << shift, else trunc(s·12288·2^k)
      const l2 = Math.log2(s);
      const pot = Number.isInteger(l2) && (12 + l2 === 0 || (op === 'Tanh' && 12 + l2 === 1));
      let mult: number, shift: number;
      if (pot) {
        mult = 3 << (12 + l2);
        shift = 0;
      } else {
        let m = s * 4096 * 3;
        shift = 0;
        while (m <= 32767 / 2 && shift <= 30) {
          shift++;
          m *= 2;
        }
        mult = Math.trunc(m);
      }
      const want = Array.from(x, (xv) => {
        const v = Math.floor((xv * mult + (shift > 0 ? 2 ** (shift - 1) : 0)) / 2 ** shift);
        const a = Math.abs(v);
        const fb = op === 'Sigmoid' ? 9 : 8;
        const uh = Math.floor(a / 2 ** fb);
        const r = uh >= 255 ? (op === 'Sigmoid' ? 0x7fff * 1024 : 0xffff * 256) : T[uh] * 2 ** fb + (a % 2 ** fb) * (T[uh + 1] - T[uh]);
        if (op === 'Sigmoid') return Math.floor((v >= 0 ? r + 512 : 2 ** 25 - r + 511) / 1024);
        return Math.floor((v >= 0 ? r - 2 ** 23 + 128 : -r + 2 ** 23 + 127) / 256);
      });
      same(y, want, `${op} s=${s}`);
      x.forEach((xv, i) => {
        const real = op === 'Sigmoid' ? 1 / (1 + Math.exp(-xv * s)) : Math.tanh(xv * s);
        assert.ok(Math.abs(y[i] / 32768 - real) < 2e-3, `${op}(${xv * s}) = ${y[i] / 32768}, real ${real}`);
      });
    }
  }
});

test('int16 Softmax / Sigmoid refuse output quantization other than TFLite 16x8 fixed parameters', () => {
  assert.throws(() => run('Softmax', [{ dtype: 'int16', shape: [1, 4], quant: qp(0.01) }], { dtype: 'int16', shape: [1, 4], quant: qp(1 / 256) }, {}, [randI16(4)]), /EF3004/);
  assert.throws(() => run('Sigmoid', [{ dtype: 'int16', shape: [4], quant: qp(0.01) }], { dtype: 'int16', shape: [4], quant: qp(1 / 32768, 5) }, {}, [randI16(4)]), /EF3004/);
  assert.throws(() => run('HardSwish', [{ dtype: 'int16', shape: [4], quant: qp(0.01) }], { dtype: 'int16', shape: [4], quant: qp(0.01) }, {}, [randI16(4)]), /EF3002/);
});

// ---- end to end ----

async function mnist(split: 'train' | 'test', n: number): Promise<{ samples: Value[][]; labels: Int32Array }> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  const samples: Value[][] = [];
  // mnist-8 takes raw 0..255 pixel values
  for (let i = 0; i < n; i++) samples.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map((v) => v * 255) }]);
  return { samples, labels: ds.y! };
}

test('mnist-8 quantized int16 (16x8): every layer has a higher SQNR than int8 and top-1 agrees with float on >= 99.5% of 600 digits', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const calib = (await mnist('train', 300)).samples;
  const testSet = await mnist('test', 600);
  const q16 = await quantizeModel(g, calib, { scheme: 'int16' });
  const q8 = await quantizeModel(g, calib, { scheme: 'int8' });
  assert.deepEqual(verifyGraph(q16.graph), []);
  assert.ok(q16.graph.tensors.filter((x) => !x.data && x.quant).every((x) => x.dtype === 'int16' && x.quant!.zeroPoint[0] === 0));
  const probe = testSet.samples.slice(0, 40);
  const l16 = await layerErrors(q16.floatGraph, q16.graph, probe);
  const l8 = await layerErrors(q8.floatGraph, q8.graph, probe);
  const by8 = new Map(l8.layers.map((l) => [l.tensor, l.sqnrDb]));
  t.diagnostic(`SQNR dB int8 → int16: ${l16.layers.map((l) => `${l.op} ${by8.get(l.tensor)!.toFixed(1)} → ${l.sqnrDb.toFixed(1)}`).join(', ')}`);
  assert.equal(l16.layers.length, l8.layers.length);
  for (const l of l16.layers) assert.ok(l.sqnrDb > by8.get(l.tensor)!, `${l.tensor}: int16 ${l.sqnrDb} dB vs int8 ${by8.get(l.tensor)} dB`);
  const acc = await evaluate(q16.floatGraph, q16.graph, testSet.samples, { labels: testSet.labels });
  t.diagnostic(`int16 top-1 agreement with float ${(100 * acc.agreement!).toFixed(2)}% (${acc.disagreements} of ${acc.samples}); accuracy float ${(100 * acc.floatAccuracy!).toFixed(2)}% int16 ${(100 * acc.quantAccuracy!).toFixed(2)}%`);
  assert.ok(acc.agreement! >= 0.995, `agreement ${acc.agreement}`);
});
