// Bit-exact fixed-point helpers of TensorFlow Lite Micro's reference kernels and of gemmlowp's fixedpoint.h,
// written out from docs/INT8-ARITHMETIC.md. Every function here works on JS numbers holding int32 values (or
// int64 values below 2^53 where stated) and reproduces the C results exactly, including the int32 wrap-around
// of the C code where it can occur.
//
// The 64-bit products (SRDHM, the int64 MBQM overload) are computed without BigInt: the low 32 bits come from
// Math.imul, the high part from the double product corrected by those low bits. A BigInt reference of each is
// kept here too (suffix `Ref`) for the property tests.

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO32 = 4294967296;
const TWO31 = 2147483648;

/** Round half away from zero (C `round`); JS Math.round rounds negative halves up. */
export function rha(x: number): number {
  return x < 0 ? -Math.round(-x) || 0 : Math.round(x);
}

/**
 * Exact C frexp for finite doubles: x = q·2^e with |q| in [0.5, 1) (q = 0, e = 0 for x = 0). Works on the IEEE-754
 * bits, so subnormals and huge values are exact too.
 */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0) {
    // subnormal: scale up by 2^64 (exact) and correct the exponent
    const [q, e] = frexp(x * 18446744073709551616);
    return [q, e - 64];
  }
  const e = exp - 1022;
  // replace the exponent field by 1022 → value in [0.5, 1)
  buf.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [buf.getFloat64(0), e];
}

/** TFLite QuantizeMultiplier (double rounding build): m ≈ M·2^(S−31), M in [2^30, 2^31) or 0. */
export function quantizeMultiplier(m: number): { mult: number; shift: number } {
  if (m === 0) return { mult: 0, shift: 0 };
  let [q, e] = frexp(m);
  let mq = rha(q * TWO31);
  if (mq === TWO31) {
    mq /= 2;
    e += 1;
  }
  if (e < -31) return { mult: 0, shift: 0 };
  return { mult: mq, shift: e };
}

/** gemmlowp SaturatingRoundingDoublingHighMul for int32 (exact; fast path without BigInt). */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const approx = a * b; // within ~2^10 of the exact product, same sign
  const lo = Math.imul(a, b) >>> 0; // exact low 32 bits
  let hi = Math.round((approx - lo) / TWO32); // exact high part: p = hi·2^32 + lo
  let L = lo + (approx >= 0 ? 0x40000000 : -0x3fffffff);
  if (L >= TWO32) {
    L -= TWO32;
    hi += 1;
  } else if (L < 0) {
    L += TWO32;
    hi -= 1;
  }
  // q = hi·2^32 + L with L in [0, 2^32); truncating division by 2^31
  let r = hi * 2 + (L >= TWO31 ? 1 : 0);
  if (hi < 0 && (L & 0x7fffffff) !== 0) r += 1;
  return r;
}

/** BigInt reference of srdhm (tests only). */
export function srdhmRef(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const p = BigInt(a) * BigInt(b);
  const nudge = p >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((p + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C does
}

/** gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero (0 <= e <= 31). */
export function rdbpot(x: number, e: number): number {
  if (e === 0) return x;
  const mask = e === 31 ? 0x7fffffff : (1 << e) - 1;
  const rem = x & mask;
  const thr = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > thr ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier (int32 x, double rounding). */
export function mbqm(x: number, m: number, s: number): number {
  if (s > 0) return srdhm(Math.imul(x, 1 << s), m);
  return rdbpot(srdhm(x, m), -s);
}

/** BigInt wide-integer reference of mbqm written from the formula (tests only). */
export function mbqmRef(x: number, m: number, s: number): number {
  const L = s > 0 ? s : 0;
  const R = s > 0 ? 0 : -s;
  let a = BigInt.asIntN(32, BigInt(x) << BigInt(L));
  let h: bigint;
  if (a === -2147483648n && m === INT32_MIN) h = 2147483647n;
  else {
    const p = a * BigInt(m);
    h = (p + (p >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n);
  }
  // rounding divide by 2^R, halves away from zero
  if (R === 0) return Number(h);
  const d = 1n << BigInt(R);
  const neg = h < 0n;
  const ah = neg ? -h : h;
  let q = ah / d;
  const r = ah - q * d;
  if (2n * r >= d) q += 1n;
  a = neg ? -q : q;
  return Number(a);
}

/** MultiplyByQuantizedMultiplierGreaterThanOne: SRDHM(x·2^left, M) (int32 wrap of the shift, as in C). */
export function mbqmGreaterThanOne(x: number, m: number, left: number): number {
  return srdhm(Math.imul(x, 2 ** left | 0), m);
}

/**
 * The int64-accumulator overload (int16 activations, int64 bias): x is an integer < 2^47 in magnitude held in a
 * double; M >= 0; -31 <= S < 8. result = (x·M16 + 2^(14−S)) >> (15−S) with M16 = round(M / 2^16) (saturating).
 */
export function mbqm64(x: number, m: number, s: number): number {
  const m16 = m < 0x7fff0000 ? (m + 32768) >> 16 : 0x7fff;
  const ts = 15 - s; // 8..46
  // x = xh·2^16 + xl, 0 <= xl < 2^16
  const xh = Math.floor(x / 65536);
  const xl = x - xh * 65536;
  const A = xh * m16; // < 2^47: exact
  const B = xl * m16 + 2 ** (ts - 1); // exact
  // TFLM: `int32_t result = x >> total_shift;` — the int64 result converts to int32 modulo 2^32 (it can exceed
  // int32 when a large sum meets a shift up to 7); the value here is below 2^53, so `| 0` wraps it exactly
  if (ts >= 16) return Math.floor((A + Math.floor(B / 65536)) / 2 ** (ts - 16)) | 0;
  return (A * 2 ** (16 - ts) + Math.floor(B / 2 ** ts)) | 0;
}

/** BigInt reference of mbqm64 (tests only). */
export function mbqm64Ref(x: number, m: number, s: number): number {
  const m16 = m < 0x7fff0000 ? (m + 32768) >> 16 : 0x7fff;
  const ts = BigInt(15 - s);
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(m16) + (1n << (ts - 1n))) >> ts));
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<e> for int32. */
export function srmbpot(x: number, e: number): number {
  if (e === 0) return x;
  if (e < 0) return rdbpot(x, -e);
  const thr = 2 ** (31 - e) - 1;
  if (x > thr) return INT32_MAX;
  if (x < -thr) return INT32_MIN;
  return x * 2 ** e; // no overflow after the checks
}

/** Count leading zeros of a uint32 value. */
export function clz32(x: number): number {
  return Math.clz32(x);
}

// ---- gemmlowp fixed-point transcendental functions (FixedPoint<int32, I>; raw values as numbers) ----

/** Raw add / sub of FixedPoint values wrap like int32. */
const add = (a: number, b: number): number => (a + b) | 0;
const sub = (a: number, b: number): number => (a - b) | 0;

/** exp(x) for x in [-1/4, 0) (Q0.31 in, Q0.31 out). */
function expOnIntervalNegQuarter(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8) in Q0.31
  const constant1Over3 = 715827883; // 1/3 in Q0.31
  const x = add(a, 1 << 28); // + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = srmbpot(x4, -2);
  const poly = srmbpot(add(srdhm(add(x4Over4, x3), constant1Over3), x2), -1);
  return add(constantTerm, srdhm(constantTerm, add(x, poly)));
}

/** The barrel of exp(-2^k) multipliers in Q0.31, for k = -2..4 (gemmlowp exp_on_negative_values). */
export const EXP_BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/** gemmlowp exp_on_negative_values: a is FixedPoint<int32, integerBits> (a <= 0); result Q0.31. */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusQuarter = sub(a & mask, oneQuarter);
  let result = expOnIntervalNegQuarter(srmbpot(aModQuarterMinusQuarter, integerBits));
  const remainder = sub(aModQuarterMinusQuarter, a);
  for (const [k, mult] of EXP_BARREL) {
    if (integerBits > k) {
      const shiftAmount = fractionalBits + k;
      if (remainder & (1 << shiftAmount)) result = srdhm(result, mult);
    }
  }
  if (integerBits > 5) {
    const clamp = -(1 << (36 - integerBits));
    if (a < clamp) result = 0;
  }
  if (a === 0) result = INT32_MAX;
  return result;
}

/** gemmlowp RoundingHalfSum for int32. */
function roundingHalfSum(a: number, b: number): number {
  const s = a + b; // exact in double
  const sign = s >= 0 ? 1 : -1;
  return Math.trunc((s + sign) / 2);
}

/** Newton–Raphson for 1/half_denominator in Q2.29 (shared by both reciprocals below). */
function newtonReciprocal(halfDenominator: number): number {
  const c48over17 = 1515870810; // Q2.29
  const cNeg32over17 = -1010580540; // Q2.29
  const oneQ2 = 1 << 29;
  let x = add(c48over17, srdhm(halfDenominator, cNeg32over17));
  for (let i = 0; i < 3; i++) {
    const hdx = srdhm(halfDenominator, x);
    const oneMinus = sub(oneQ2, hdx);
    x = add(x, srmbpot(srdhm(x, oneMinus), 2));
  }
  return x;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in, Q0.31 out. */
export function oneOverOnePlusX(a: number): number {
  const x = newtonReciprocal(roundingHalfSum(a, INT32_MAX));
  return srmbpot(x, 1); // ExactMulByPot<-1> (Q2 → Q1, same raw) then Rescale<0>
}

/** gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: Q0.31 in, Q0.31 out. */
export function oneMinusXOverOnePlusX(a: number): number {
  const x = newtonReciprocal(roundingHalfSum(a, INT32_MAX));
  return srmbpot(sub(x, 1 << 29), 2);
}

/** gemmlowp logistic: FixedPoint<int32, integerBits> in, Q0.31 out. */
export function logistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30;
  const pos = a > 0;
  const absA = pos ? a : -a | 0;
  const rPos = oneOverOnePlusX(expOnNegativeValues(-absA | 0, integerBits));
  return pos ? rPos : sub(INT32_MAX, rPos);
}

/** gemmlowp tanh: FixedPoint<int32, integerBits> in, Q0.31 out. */
export function tanh(a: number, integerBits: number): number {
  if (a === 0) return 0;
  const neg = a < 0;
  const n = neg ? a : -a | 0;
  // neg_tanh_on_negative_values: ExactMulByPot<1> keeps the raw and adds one integer bit
  const t = oneMinusXOverOnePlusX(expOnNegativeValues(n, integerBits + 1));
  return neg ? -t | 0 : t;
}

/** gemmlowp SaturatingRoundingDoublingHighMul for int16. */
export function srdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const p = a * b;
  const nudge = p >= 0 ? 1 << 14 : 1 - (1 << 14);
  return Math.trunc((p + nudge) / 32768);
}

/** TFLite SaturatingDoublingHighMul for int16 (no rounding: truncating division). */
export function sdhm16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return Math.trunc((a * b) / 32768);
}

/** TFLite SaturatingLeftShift for int16. */
export function saturatingLeftShift16(v: number, amount: number): number {
  const r = v * 2 ** amount;
  return r < -32768 ? -32768 : r > 32767 ? 32767 : r;
}

/** TFLite DownScaleInt32ToInt16Multiplier. */
export function downScaleInt32ToInt16Multiplier(m: number): number {
  if (m >= INT32_MAX - 32768) return 32767;
  return (m + 32768) >> 16;
}

/** Wrap a number to int16 as a C cast would. */
export function toInt16(v: number): number {
  return (v << 16) >> 16;
}
