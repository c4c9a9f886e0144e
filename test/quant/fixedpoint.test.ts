// Property tests of the fixed-point helpers: exactness against BigInt wide-integer references written from the
// formulas, and accuracy of the gemmlowp transcendental approximations against Math.exp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EXP_BARREL,
  expOnNegativeValues,
  frexp,
  logistic,
  mbqm,
  mbqm64,
  mbqm64Ref,
  mbqmRef,
  oneMinusXOverOnePlusX,
  oneOverOnePlusX,
  quantizeMultiplier,
  rdbpot,
  rha,
  srdhm,
  srdhmRef,
  srmbpot,
  tanh,
} from '../../src/arith/fixedpoint.js';
import { rng } from '../helpers/rng.js';

const R = rng(12345);
const randInt32 = (): number => (Math.floor(R() * 4294967296) | 0);
const EDGE = [0, 1, -1, 2, -2, 127, -128, 255, 32767, -32768, 1 << 30, -(1 << 30), 2147483647, -2147483648, 2147483646, -2147483647];

test('rha rounds halves away from zero', () => {
  assert.equal(rha(2.5), 3);
  assert.equal(rha(-2.5), -3);
  assert.equal(rha(-2.4), -2);
  assert.equal(rha(0.49999999999999994), 0);
});

test('frexp is exact on random, subnormal and extreme doubles', () => {
  const xs = [1, 0.5, 0.75, 3, -3, 1e-310, -5e-324, 1.7976931348623157e308, Math.fround(0.00392156886)];
  for (let i = 0; i < 2000; i++) xs.push((R() - 0.5) * 2 ** Math.floor(R() * 200 - 100));
  for (const x of xs) {
    if (x === 0) continue;
    const [q, e] = frexp(x);
    assert.ok(Math.abs(q) >= 0.5 && Math.abs(q) < 1, `q=${q} for ${x}`);
    // q·2^e must equal x exactly; split the power to stay in range
    assert.equal(q * 2 ** Math.trunc(e / 2) * 2 ** (e - Math.trunc(e / 2)), x);
  }
});

test('quantizeMultiplier reconstructs m within 2^-31 relative', () => {
  for (let i = 0; i < 5000; i++) {
    const sIn = Math.fround(R() * 0.1 + 1e-6);
    const sW = Math.fround(R() * 0.01 + 1e-7);
    const sOut = Math.fround(R() * 0.5 + 1e-5);
    const m = i % 2 ? (sIn * sW) / sOut : 2 ** (R() * 40 - 30);
    const { mult, shift } = quantizeMultiplier(m);
    assert.ok(mult >= 2 ** 30 && mult < 2 ** 31, `M=${mult}`);
    const back = mult * 2 ** (shift - 31);
    assert.ok(Math.abs(back - m) / m <= 2 ** -31, `m=${m} M=${mult} S=${shift}`);
  }
  assert.deepEqual(quantizeMultiplier(0), { mult: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(2 ** -40), { mult: 0, shift: 0 });
  // a value rounding up to 2^31 takes the fix-up
  const r = quantizeMultiplier(1 - 2 ** -40);
  assert.deepEqual(r, { mult: 2 ** 30, shift: 1 });
});

test('srdhm (split multiply) equals the BigInt reference', () => {
  const vals = [...EDGE];
  for (let i = 0; i < 200; i++) vals.push(randInt32());
  for (const a of vals) for (const b of vals) assert.equal(srdhm(a, b), srdhmRef(a, b), `a=${a} b=${b}`);
  for (let i = 0; i < 200000; i++) {
    const a = randInt32();
    const b = i % 3 === 0 ? (randInt32() >> Math.floor(R() * 31)) : randInt32();
    assert.equal(srdhm(a, b), srdhmRef(a, b));
  }
});

test('rdbpot rounds half away from zero', () => {
  for (let i = 0; i < 20000; i++) {
    const x = i < 1000 ? EDGE[i % EDGE.length] : randInt32() >> Math.floor(R() * 31);
    const e = Math.floor(R() * 32);
    const exact = x / 2 ** e;
    assert.equal(rdbpot(x, e), rha(exact), `x=${x} e=${e}`);
  }
});

test('mbqm equals a BigInt wide-integer reference on random and edge inputs, shifts -31..30', () => {
  const mults = [1 << 30, 2147483647, 1073741825, 1518500250];
  for (let i = 0; i < 60; i++) mults.push(2 ** 30 + Math.floor(R() * 2 ** 30));
  for (let s = -31; s <= 30; s++) {
    for (const m of mults) {
      for (const x of EDGE) assert.equal(mbqm(x, m, s), mbqmRef(x, m, s), `x=${x} M=${m} S=${s}`);
      for (let k = 0; k < 60; k++) {
        const x = randInt32() >> Math.floor(R() * 31);
        assert.equal(mbqm(x, m, s), mbqmRef(x, m, s), `x=${x} M=${m} S=${s}`);
      }
    }
  }
  // includes M = INT32_MIN with INT32_MIN inputs (the saturating case)
  assert.equal(mbqm(-2147483648, -2147483648, 0), mbqmRef(-2147483648, -2147483648, 0));
});

test('mbqm64 (int64 accumulator overload) equals the BigInt reference', () => {
  for (let i = 0; i < 50000; i++) {
    const x = Math.floor((R() - 0.5) * 2 ** Math.floor(R() * 40 + 1));
    const m = i % 50 === 0 ? 0x7fff8000 : 2 ** 30 + Math.floor(R() * 2 ** 30);
    const s = Math.floor(R() * 30) - 22; // keep results in int32 range
    const ref = mbqm64Ref(x, m, s);
    if (ref < -2147483648 || ref > 2147483647) continue;
    assert.equal(mbqm64(x, m, s), ref, `x=${x} M=${m} S=${s}`);
  }
});

test('mbqm64 converts a result beyond int32 to int32 modulo 2^32, as TFLM (`int32_t result = x >> total_shift`)', () => {
  // written from the C: (x·M16 + 2^(14−S)) >> (15−S) in int64, then the implicit int64 → int32 conversion
  for (let i = 0; i < 20000; i++) {
    const x = Math.floor((R() - 0.5) * 2 ** 42);
    const m = 2 ** 30 + Math.floor(R() * 2 ** 30);
    const s = Math.floor(R() * 8); // 0..7: large results
    const m16 = BigInt(m < 0x7fff0000 ? Math.floor((m + 32768) / 65536) : 0x7fff);
    const ts = BigInt(15 - s);
    const wide = (BigInt(x) * m16 + (1n << (ts - 1n))) >> ts;
    assert.equal(mbqm64(x, m, s), Number(BigInt.asIntN(32, wide)), `x=${x} M=${m} S=${s}`);
  }
});

test('srmbpot saturates left shifts and rounds right shifts', () => {
  for (let i = 0; i < 20000; i++) {
    const x = randInt32() >> Math.floor(R() * 31);
    const e = Math.floor(R() * 20) - 10;
    const exact = x * 2 ** e;
    const want = e >= 0 ? Math.max(-2147483648, Math.min(2147483647, exact)) : rha(exact);
    assert.equal(srmbpot(x, e), want);
  }
});

test('gemmlowp constants are the rounded Q0.31 values of exp(-2^k)', () => {
  for (const [k, m] of EXP_BARREL) assert.equal(m, rha(Math.exp(-(2 ** k)) * 2 ** 31), `k=${k}`);
});

test('exp_on_negative_values approximates exp in Q5.26 and Q4.27', () => {
  for (const ib of [4, 5]) {
    let maxErr = 0;
    for (let i = 0; i < 20000; i++) {
      const a = -Math.floor(R() * 2 ** 31);
      const got = expOnNegativeValues(a, ib) / 2 ** 31;
      const want = Math.exp(a / 2 ** (31 - ib));
      maxErr = Math.max(maxErr, Math.abs(got - want));
    }
    assert.ok(maxErr < 5e-7, `Q${ib}: max error ${maxErr}`);
    assert.equal(expOnNegativeValues(0, ib), 2147483647);
  }
});

test('one_over_one_plus_x and one_minus_x_over_one_plus_x approximate their functions', () => {
  let e1 = 0;
  let e2 = 0;
  for (let i = 0; i < 20000; i++) {
    const a = Math.floor(R() * 2 ** 31);
    const x = a / 2 ** 31;
    e1 = Math.max(e1, Math.abs(oneOverOnePlusX(a) / 2 ** 31 - 1 / (1 + x)));
    e2 = Math.max(e2, Math.abs(oneMinusXOverOnePlusX(a) / 2 ** 31 - (1 - x) / (1 + x)));
  }
  assert.ok(e1 < 1e-8, `1/(1+x) error ${e1}`);
  assert.ok(e2 < 1e-8, `(1-x)/(1+x) error ${e2}`);
});

test('fixed-point logistic and tanh in Q4.27 approximate the real functions', () => {
  let el = 0;
  let et = 0;
  for (let i = 0; i < 20000; i++) {
    const a = randInt32();
    const x = a / 2 ** 27;
    el = Math.max(el, Math.abs(logistic(a, 4) / 2 ** 31 - 1 / (1 + Math.exp(-x))));
    et = Math.max(et, Math.abs(tanh(a, 4) / 2 ** 31 - Math.tanh(x)));
  }
  assert.ok(el < 3e-7, `logistic error ${el}`);
  assert.ok(et < 3e-7, `tanh error ${et}`);
  assert.equal(logistic(0, 4), 1 << 30);
  assert.equal(tanh(0, 4), 0);
});
