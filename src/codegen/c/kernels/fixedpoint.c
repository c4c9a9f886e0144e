/* espforge portable kernels: Fixed-point helpers shared by every kernel: TFLM requantization, gemmlowp primitives, the 1/(1+x)
 * reciprocal and the per-channel requantization table reader.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section common */
/* Fixed-point helpers: TFLite Micro's requantization (double rounding, INT8-ARITHMETIC.md sections 2-3).
 * Multipliers are Q31 and never INT32_MIN (checked when the code was generated), so SRDHM needs no
 * saturation case; its truncating division by 2^31 after the nudge equals floor((p + 2^30) / 2^31). */
static inline int32_t ef_srdhm(int32_t a, int32_t m)
{
    int64_t p = (int64_t)a * (int64_t)m;
    return (int32_t)((p + ((int64_t)1 << 30)) >> 31);
}

/* Rounding divide by 2^r, halves away from zero (gemmlowp RoundingDivideByPOT), 0 <= r <= 31. */
static inline int32_t ef_rdbpot(int32_t x, int r)
{
    int32_t mask = (int32_t)(((uint32_t)1 << r) - 1u);
    int32_t rem = x & mask;
    int32_t thr = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> r) + (rem > thr ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier(x, m, s): s > 0 is a left shift (wrapping), s < 0 a rounding right shift. */
static inline int32_t ef_mbqm(int32_t x, int32_t m, int32_t s)
{
    int32_t a = s > 0 ? (int32_t)((uint32_t)x << s) : x;
    int32_t h = ef_srdhm(a, m);
    return s < 0 ? ef_rdbpot(h, -s) : h;
}

static inline int32_t ef_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/*@@ section fixedpoint deps=common */
/* gemmlowp fixed-point primitives on int32 raw values (ported from the published formulas). */
static inline int32_t ef_fp_mul(int32_t a, int32_t b) /* FixedPoint<a>*FixedPoint<b> -> raw SRDHM with saturation */
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    return ef_srdhm(a, b);
}

/* SaturatingRoundingMultiplyByPOT<e> for e > 0 */
static inline int32_t ef_fp_sat_shl(int32_t x, int e)
{
    int32_t thr = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
    if (x > thr) return INT32_MAX;
    if (x < -thr) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}

static inline int32_t ef_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t ef_fp_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* exp(x) for x in [-1/4, 0), Q0.31 in and out. */
static int32_t ef_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;   /* exp(-1/8) */
    const int32_t one_third = 715827883;
    int32_t x = ef_fp_add(a, 1 << 28);          /* a + 1/8 */
    int32_t x2 = ef_fp_mul(x, x);
    int32_t x3 = ef_fp_mul(x2, x);
    int32_t x4 = ef_fp_mul(x2, x2);
    int32_t x4_over_4 = ef_rdbpot(x4, 2);
    int32_t poly = ef_rdbpot(ef_fp_add(ef_fp_mul(ef_fp_add(x4_over_4, x3), one_third), x2), 1);
    return ef_fp_add(constant_term, ef_fp_mul(constant_term, ef_fp_add(x, poly)));
}

/* gemmlowp exp_on_negative_values for a Q(int_bits).(31-int_bits) input; result Q0.31. */
static int32_t ef_exp_neg(int32_t a, int int_bits)
{
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int frac_bits = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    int32_t mask = one_quarter - 1;
    int32_t a_mod = ef_fp_sub(a & mask, one_quarter);
    int32_t result = ef_exp_quarter(int_bits > 0 ? ef_fp_sat_shl(a_mod, int_bits) : a_mod);
    int32_t remainder = ef_fp_sub(a_mod, a);
    int e;
    for (e = -2; e <= 4; ++e) {
        if (int_bits > e) {
            int shift = frac_bits + e;
            if (remainder & ((int32_t)1 << shift)) result = ef_fp_mul(result, mult[e + 2]);
        }
    }
    if (int_bits > 5) {
        int32_t clampv = -((int32_t)1 << (36 - int_bits));
        if (a < clampv) result = 0;
    }
    if (a == 0) result = INT32_MAX;
    return result;
}

/* Newton-Raphson reciprocal shared by 1/(1+x) and (1-x)/(1+x): returns Q2.29 ~ 1/half_den. */
static int32_t ef_newton_recip(int32_t a)
{
    int64_t sum = (int64_t)a + (int64_t)INT32_MAX;
    int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = ef_fp_add(1515870810, ef_fp_mul(half_den, -1010580540)); /* 48/17 - 32/17 d, Q2.29 */
    int i;
    for (i = 0; i < 3; ++i) {
        int32_t hdx = ef_fp_mul(half_den, x);
        int32_t one_minus = ef_fp_sub((int32_t)1 << 29, hdx);
        x = ef_fp_add(x, ef_fp_sat_shl(ef_fp_mul(x, one_minus), 2));
    }
    return x;
}

/*@@ section recip deps=fixedpoint */
/* 1 / (1 + x) for x in [0, 1): Q0.31 in and out. */
static int32_t ef_one_over_one_plus_x(int32_t a)
{
    return ef_fp_sat_shl(ef_newton_recip(a), 1);
}

/*@@ section rq deps=common */
/* Requantization MBQM(acc, M, S) (TFLM double rounding) in fewer rv32 instructions than ef_mbqm, for prepared
 * 0 <= M < 2^31 and -31 <= S <= 31.
 * SRDHM(a, M) = floor((a*M + 2^30) / 2^31) (the nudge-and-truncate of INT8-ARITHMETIC.md 3; the INT32_MIN case
 * cannot occur since M < 2^31) = floor((a*2M + 2^31) / 2^32) = high word of a*2M plus bit 31 of its low word:
 * one mulhsu, one mul, a shift and an add.
 * ef_rq (element-wise kernels) takes the shifts as {ls = max(S, 0), rs = r = max(-S, 0), (2^r - 1) >> 1}:
 * RDBPOT(h, r) rounds half away from zero by comparing the remainder h - ((h >> r) << r) with the threshold plus
 * one for negative h; r = 0 leaves h unchanged. */
static inline int32_t ef_rq(int32_t acc, uint32_t m2, int32_t ls, int32_t rs, int32_t halfm1)
{
    const int32_t a = (int32_t)((uint32_t)acc << ls);
    const uint32_t lo = (uint32_t)a * m2;
    const int32_t h = (int32_t)(((int64_t)a * (int64_t)m2) >> 32) + (int32_t)(lo >> 31);
    const int32_t q = h >> rs;
    const int32_t rem = (int32_t)((uint32_t)h - ((uint32_t)q << rs));
    return q + (rem > halfm1 + (int32_t)((uint32_t)h >> 31) ? 1 : 0);
}

/* Per-channel tables of the conv / depthwise / GEMM kernels, 5 bytes per output channel (rqTable in
 * src/codegen/c/lowering.ts writes them; the kernels take them as two arguments, LAYER_rq and LAYER_rqs, held
 * together in one ef_rqt and read only through ef_rq_ch / ef_rq_ch2; ef_rq_at(t, o) starts at channel o):
 *   m[c] = 2*M as a uint32 bit pattern (int32_t),
 *   s[c] = -S - 1 in 0..30 when S < 0, 32 + S in 32..63 when S >= 0 (uint8_t).
 * For S < 0 (r = -S >= 1) RDBPOT(h, r) = ceil(p / 2) = p - (p >> 1) with p = (h - [h < 0]) >> (r - 1): for h >= 0
 * round-half-up(h / 2^r) = floor((floor(h / 2^(r-1)) + 1) / 2); for h < 0 half away from zero is
 * ceil((h - 2^(r-1)) / 2^r) = floor((floor((h - 1) / 2^(r-1)) + 1) / 2). No overflow: M < 2^31 keeps
 * h in [-2^31 + 1, 2^31 - 2]. S >= 0 (rare: a rescale of at least 1/2) takes the out-of-line left-shift path. */
typedef struct {
    const int32_t *m;
    const uint8_t *s;
} ef_rqt;

static inline ef_rqt ef_rq_at(ef_rqt t, int o)
{
    t.m += o;
    t.s += o;
    return t;
}

static inline int32_t ef_srdhm2(int32_t a, uint32_t m2)
{
    const uint32_t lo = (uint32_t)a * m2;
    return (int32_t)(((int64_t)a * (int64_t)m2) >> 32) + (int32_t)(lo >> 31);
}

/* S >= 0: SRDHM(acc << S, M), the shift wrapping like the simulator's. The paths that call it are an optional
 * block (rq.left), kept only in a model with a layer whose table holds an S >= 0 (qArrays names it). */
static int32_t ef_rq_left(int32_t acc, uint32_t m2, int32_t ls)
{
    return ef_srdhm2((int32_t)((uint32_t)acc << ls), m2);
}

static inline int32_t ef_rq_rs(int32_t acc, uint32_t m2, int32_t sc)
{
    const int32_t h = ef_srdhm2(acc, m2);
    const int32_t p = (h - (int32_t)((uint32_t)h >> 31)) >> sc;
    return p - (p >> 1);
}

/* requantize channel c of table rq, add the output zero point (wrapping, never UB), clamp to the activation range.
 * Accumulators are uint32_t: bias + sum(w * x) wraps modulo 2^32 instead of overflowing (UB), which equals TFLM's
 * int32 sum whenever that sum does not overflow; the integer simulator wraps the same way (| 0). */
static inline int8_t ef_rq_ch(uint32_t acc, ef_rqt rq, int c, int32_t zp, int32_t lo, int32_t hi)
{
    const uint32_t m2 = (uint32_t)rq.m[c];
    const int32_t sc = rq.s[c];
    int32_t v;
/*@@ if rq.left */
    if (sc >= 32)
        v = ef_rq_left((int32_t)acc, m2, sc - 32);
    else
/*@@ endif */
        v = ef_rq_rs((int32_t)acc, m2, sc);
    v = (int32_t)((uint32_t)v + (uint32_t)zp);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int8_t)v;
}

/* two accumulators of the same channel (two rows of a GEMM tile) */
static inline void ef_rq_ch2(uint32_t acc0, uint32_t acc1, int8_t *o0, int8_t *o1, ef_rqt rq, int c, int32_t zp,
                             int32_t lo, int32_t hi)
{
    const uint32_t m2 = (uint32_t)rq.m[c];
    const int32_t sc = rq.s[c];
    int32_t v, u;
/*@@ if rq.left */
    if (sc >= 32) {
        v = ef_rq_left((int32_t)acc0, m2, sc - 32);
        u = ef_rq_left((int32_t)acc1, m2, sc - 32);
    } else
/*@@ endif */
    {
        v = ef_rq_rs((int32_t)acc0, m2, sc);
        u = ef_rq_rs((int32_t)acc1, m2, sc);
    }
    v = (int32_t)((uint32_t)v + (uint32_t)zp);
    u = (int32_t)((uint32_t)u + (uint32_t)zp);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    if (u < lo) u = lo;
    if (u > hi) u = hi;
    *o0 = (int8_t)v;
    *o1 = (int8_t)u;
}
