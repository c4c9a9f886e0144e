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

/*@@ section taps */
/* Taps of a window that fall inside the input: k in [*k0, *k1) with 0 <= start + k*dil < size. */
static void ef_tap_range(int start, int k, int dil, int size, int *k0, int *k1)
{
    int a = 0, b = k;
    while (a < k && start + a * dil < 0) ++a;
    while (b > a && start + (b - 1) * dil >= size) --b;
    *k0 = a;
    *k1 = b;
}

/*@@ section rq deps=common */
/* Per-channel requantization of conv / depthwise / fully connected outputs, the same arithmetic as
 * ef_mbqm (TFLM double rounding) in fewer rv32 instructions. The emitter stores four words per channel,
 * derived exactly from the prepared (M, S) with 0 <= M < 2^31 and -31 <= S <= 31:
 *   rq[0] = 2*M as a uint32 bit pattern, rq[1] = max(S, 0) (left shift), rq[2] = r = max(-S, 0) (right shift),
 *   rq[3] = (2^r - 1) >> 1 (the rounding threshold of RDBPOT for a non-negative value).
 * SRDHM(a, M) = floor((a*M + 2^30) / 2^31) (the nudge-and-truncate of INT8-ARITHMETIC.md 3; the INT32_MIN case
 * cannot occur since M < 2^31) = floor((a*2M + 2^31) / 2^32) = high word of a*2M plus bit 31 of its low word:
 * one mulhsu, one mul, a shift and an add. RDBPOT(h, r) then rounds half away from zero: the remainder
 * h - ((h >> r) << r) is compared with the threshold plus one for negative h; r = 0 leaves h unchanged. */
static inline int32_t ef_rq(int32_t acc, uint32_t m2, int32_t ls, int32_t rs, int32_t halfm1)
{
    const int32_t a = (int32_t)((uint32_t)acc << ls);
    const uint32_t lo = (uint32_t)a * m2;
    const int32_t h = (int32_t)(((int64_t)a * (int64_t)m2) >> 32) + (int32_t)(lo >> 31);
    const int32_t q = h >> rs;
    const int32_t rem = (int32_t)((uint32_t)h - ((uint32_t)q << rs));
    return q + (rem > halfm1 + (int32_t)((uint32_t)h >> 31) ? 1 : 0);
}

/* requantize channel c of table rq, add the output zero point (wrapping, never UB), clamp to the activation range.
 * Accumulators are uint32_t: bias + sum(w * x) wraps modulo 2^32 instead of overflowing (UB), which equals TFLM's
 * int32 sum whenever that sum does not overflow; the integer simulator wraps the same way (| 0). */
static inline int8_t ef_rq_ch(uint32_t acc, const int32_t *rq, int c, int32_t zp, int32_t lo, int32_t hi)
{
    const int32_t *r = rq + 4 * c;
    int32_t v = (int32_t)((uint32_t)ef_rq((int32_t)acc, (uint32_t)r[0], r[1], r[2], r[3]) + (uint32_t)zp);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int8_t)v;
}

/* two accumulators of the same channel (two rows of a GEMM tile) */
static inline void ef_rq_ch2(uint32_t acc0, uint32_t acc1, int8_t *o0, int8_t *o1, const int32_t *rq, int c, int32_t zp,
                             int32_t lo, int32_t hi)
{
    const int32_t *r = rq + 4 * c;
    const uint32_t m2 = (uint32_t)r[0];
    const int32_t ls = r[1], rs = r[2], hm = r[3];
    int32_t v = (int32_t)((uint32_t)ef_rq((int32_t)acc0, m2, ls, rs, hm) + (uint32_t)zp);
    int32_t u = (int32_t)((uint32_t)ef_rq((int32_t)acc1, m2, ls, rs, hm) + (uint32_t)zp);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    if (u < lo) u = lo;
    if (u > hi) u = hi;
    *o0 = (int8_t)v;
    *o1 = (int8_t)u;
}

/*@@ section conv deps=common,rq,taps */
/* General int8 convolution, NHWC input, OHWI filter, optional groups and dilation.
 * bias_adj[o] = bias[o] - in_zp * sum(w[o,...]) was folded at generation time, so a window entirely inside the
 * input needs no zero-point work: acc = bias_adj + sum(w * x). A window that crosses the border sums only its
 * in-bounds taps (TFLM skips padding taps): acc = bias + sum(w * x) - in_zp * sum(w) over those taps. */
void ef_conv_s8(const int8_t *in, int ih, int iw, int ic,
                const int8_t *w, const int32_t *bias_adj, const int32_t *bias,
                int8_t *out, int oh, int ow, int oc,
                int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l, int groups,
                int32_t in_zp, int32_t out_zp, const int32_t *rq,
                int32_t act_min, int32_t act_max)
{
    const int icg = ic / groups;
    const int ocg = oc / groups;
    const int ksz = kh * kw * icg;
    int oy, ox, o;
    for (oy = 0; oy < oh; ++oy) {
        const int iy0 = oy * sh - pad_t;
        int ky0, ky1;
        ef_tap_range(iy0, kh, dh, ih, &ky0, &ky1);
        for (ox = 0; ox < ow; ++ox) {
            const int ix0 = ox * sw - pad_l;
            int kx0, kx1;
            int8_t *op = out + ((size_t)oy * ow + ox) * oc;
            ef_tap_range(ix0, kw, dw, iw, &kx0, &kx1);
            {
                const int border = ky0 > 0 || kx0 > 0 || ky1 < kh || kx1 < kw;
                if (dw == 1 && groups == 1) {
                    /* rows of the window are contiguous runs of (kx1-kx0)*ic bytes in input and filter */
                    const int run = (kx1 - kx0) * ic;
                    for (o = 0; o + 4 <= oc; o += 4) {
                        uint32_t a0, a1, a2, a3;
                        const int8_t *w0 = w + (size_t)o * ksz;
                        int ky;
                        if (border) { a0 = bias[o]; a1 = bias[o + 1]; a2 = bias[o + 2]; a3 = bias[o + 3]; }
                        else { a0 = bias_adj[o]; a1 = bias_adj[o + 1]; a2 = bias_adj[o + 2]; a3 = bias_adj[o + 3]; }
                        for (ky = ky0; ky < ky1; ++ky) {
                            const int8_t *xp = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0) * ic;
                            const int8_t *wp = w0 + ((size_t)ky * kw + kx0) * ic;
                            int k;
                            for (k = 0; k < run; ++k) {
                                int32_t x = xp[k];
                                a0 += wp[k] * x;
                                a1 += wp[k + ksz] * x;
                                a2 += wp[k + 2 * ksz] * x;
                                a3 += wp[k + 3 * ksz] * x;
                            }
                            if (border) {
                                int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                                for (k = 0; k < run; ++k) {
                                    s0 += wp[k];
                                    s1 += wp[k + ksz];
                                    s2 += wp[k + 2 * ksz];
                                    s3 += wp[k + 3 * ksz];
                                }
                                a0 -= in_zp * s0;
                                a1 -= in_zp * s1;
                                a2 -= in_zp * s2;
                                a3 -= in_zp * s3;
                            }
                        }
                        op[o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
                        op[o + 1] = ef_rq_ch(a1, rq, o + 1, out_zp, act_min, act_max);
                        op[o + 2] = ef_rq_ch(a2, rq, o + 2, out_zp, act_min, act_max);
                        op[o + 3] = ef_rq_ch(a3, rq, o + 3, out_zp, act_min, act_max);
                    }
                    for (; o < oc; ++o) {
                        uint32_t acc = border ? bias[o] : bias_adj[o];
                        const int8_t *w0 = w + (size_t)o * ksz;
                        int ky, k;
                        for (ky = ky0; ky < ky1; ++ky) {
                            const int8_t *xp = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0) * ic;
                            const int8_t *wp = w0 + ((size_t)ky * kw + kx0) * ic;
                            if (border) for (k = 0; k < run; ++k) acc += wp[k] * (xp[k] - in_zp);
                            else for (k = 0; k < run; ++k) acc += wp[k] * xp[k];
                        }
                        op[o] = ef_rq_ch(acc, rq, o, out_zp, act_min, act_max);
                    }
                } else {
                    for (o = 0; o < oc; ++o) {
                        const int g = o / ocg;
                        uint32_t acc = bias[o];
                        int ky, kx, c;
                        for (ky = ky0; ky < ky1; ++ky) {
                            const int iy = iy0 + ky * dh;
                            for (kx = kx0; kx < kx1; ++kx) {
                                const int ix = ix0 + kx * dw;
                                const int8_t *xp = in + ((size_t)iy * iw + ix) * ic + (size_t)g * icg;
                                const int8_t *wp = w + (size_t)o * ksz + ((size_t)ky * kw + kx) * icg;
                                for (c = 0; c < icg; ++c) acc += wp[c] * (xp[c] - in_zp);
                            }
                        }
                        op[o] = ef_rq_ch(acc, rq, o, out_zp, act_min, act_max);
                    }
                }
            }
        }
    }
}

/*@@ section gemm deps=common,rq */
/* int8 GEMM with per-column requantization: out[p, o] = requant(bias_adj[o] + sum_k w[o, k] * x[p, k]).
 * Used for 1x1 convolutions (stride 1, no padding: pixels are rows) and fully connected layers.
 * The emitter packs the filter in column blocks: 8 columns at a time while 8 remain, then 4, then single
 * columns; a block of width B starting at column o occupies w[o*depth .. (o+B)*depth) as [k][B], so one
 * pointer walks the block with immediate offsets. The 2 rows x 8 columns tile keeps 16 accumulators in
 * registers: each k costs 10 loads and 16 multiply-adds. */
#define EF_G8(t) \
    { \
        const int32_t u = xa[t], v = xb[t]; \
        int32_t q; \
        q = wp[8 * (t)]; a0 += q * u; b0 += q * v; \
        q = wp[8 * (t) + 1]; a1 += q * u; b1 += q * v; \
        q = wp[8 * (t) + 2]; a2 += q * u; b2 += q * v; \
        q = wp[8 * (t) + 3]; a3 += q * u; b3 += q * v; \
        q = wp[8 * (t) + 4]; a4 += q * u; b4 += q * v; \
        q = wp[8 * (t) + 5]; a5 += q * u; b5 += q * v; \
        q = wp[8 * (t) + 6]; a6 += q * u; b6 += q * v; \
        q = wp[8 * (t) + 7]; a7 += q * u; b7 += q * v; \
    }
#define EF_G8S(t) \
    { \
        const int32_t u = xa[t]; \
        a0 += wp[8 * (t)] * u; a1 += wp[8 * (t) + 1] * u; a2 += wp[8 * (t) + 2] * u; a3 += wp[8 * (t) + 3] * u; \
        a4 += wp[8 * (t) + 4] * u; a5 += wp[8 * (t) + 5] * u; a6 += wp[8 * (t) + 6] * u; a7 += wp[8 * (t) + 7] * u; \
    }
#define EF_G4(t) \
    { \
        const int32_t u = xa[t], v = xb[t]; \
        int32_t q; \
        q = wp[4 * (t)]; a0 += q * u; b0 += q * v; \
        q = wp[4 * (t) + 1]; a1 += q * u; b1 += q * v; \
        q = wp[4 * (t) + 2]; a2 += q * u; b2 += q * v; \
        q = wp[4 * (t) + 3]; a3 += q * u; b3 += q * v; \
    }
#define EF_G4S(t) \
    { \
        const int32_t u = xa[t]; \
        a0 += wp[4 * (t)] * u; a1 += wp[4 * (t) + 1] * u; a2 += wp[4 * (t) + 2] * u; a3 += wp[4 * (t) + 3] * u; \
    }

/* 8 columns: rows two at a time */
static void ef_gemm_b8(const int8_t *x, int rows, int depth, const int8_t *wb, const int32_t *bias, int8_t *out,
                       int cols, int32_t zp, const int32_t *rq, int32_t lo, int32_t hi)
{
    const int d4 = depth & ~3;
    int p = 0, j;
    for (; p + 2 <= rows; p += 2) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *xb = xa + depth;
        const int8_t *const xe = xa + d4;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        int8_t *ob = oa + cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t a4 = bias[4], a5 = bias[5], a6 = bias[6], a7 = bias[7];
        uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
        while (xa != xe) {
            EF_G8(0) EF_G8(1) EF_G8(2) EF_G8(3)
            xa += 4;
            xb += 4;
            wp += 32;
        }
        for (j = d4; j < depth; ++j) {
            EF_G8(0)
            ++xa;
            ++xb;
            wp += 8;
        }
        ef_rq_ch2(a0, b0, oa, ob, rq, 0, zp, lo, hi);
        ef_rq_ch2(a1, b1, oa + 1, ob + 1, rq, 1, zp, lo, hi);
        ef_rq_ch2(a2, b2, oa + 2, ob + 2, rq, 2, zp, lo, hi);
        ef_rq_ch2(a3, b3, oa + 3, ob + 3, rq, 3, zp, lo, hi);
        ef_rq_ch2(a4, b4, oa + 4, ob + 4, rq, 4, zp, lo, hi);
        ef_rq_ch2(a5, b5, oa + 5, ob + 5, rq, 5, zp, lo, hi);
        ef_rq_ch2(a6, b6, oa + 6, ob + 6, rq, 6, zp, lo, hi);
        ef_rq_ch2(a7, b7, oa + 7, ob + 7, rq, 7, zp, lo, hi);
    }
    if (p < rows) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *const xe = xa + d4;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t a4 = bias[4], a5 = bias[5], a6 = bias[6], a7 = bias[7];
        while (xa != xe) {
            EF_G8S(0) EF_G8S(1) EF_G8S(2) EF_G8S(3)
            xa += 4;
            wp += 32;
        }
        for (j = d4; j < depth; ++j) {
            EF_G8S(0)
            ++xa;
            wp += 8;
        }
        oa[0] = ef_rq_ch(a0, rq, 0, zp, lo, hi);
        oa[1] = ef_rq_ch(a1, rq, 1, zp, lo, hi);
        oa[2] = ef_rq_ch(a2, rq, 2, zp, lo, hi);
        oa[3] = ef_rq_ch(a3, rq, 3, zp, lo, hi);
        oa[4] = ef_rq_ch(a4, rq, 4, zp, lo, hi);
        oa[5] = ef_rq_ch(a5, rq, 5, zp, lo, hi);
        oa[6] = ef_rq_ch(a6, rq, 6, zp, lo, hi);
        oa[7] = ef_rq_ch(a7, rq, 7, zp, lo, hi);
    }
}

/* 4 columns */
static void ef_gemm_b4(const int8_t *x, int rows, int depth, const int8_t *wb, const int32_t *bias, int8_t *out,
                       int cols, int32_t zp, const int32_t *rq, int32_t lo, int32_t hi)
{
    const int d4 = depth & ~3;
    int p = 0, j;
    for (; p + 2 <= rows; p += 2) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *xb = xa + depth;
        const int8_t *const xe = xa + d4;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        int8_t *ob = oa + cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        while (xa != xe) {
            EF_G4(0) EF_G4(1) EF_G4(2) EF_G4(3)
            xa += 4;
            xb += 4;
            wp += 16;
        }
        for (j = d4; j < depth; ++j) {
            EF_G4(0)
            ++xa;
            ++xb;
            wp += 4;
        }
        ef_rq_ch2(a0, b0, oa, ob, rq, 0, zp, lo, hi);
        ef_rq_ch2(a1, b1, oa + 1, ob + 1, rq, 1, zp, lo, hi);
        ef_rq_ch2(a2, b2, oa + 2, ob + 2, rq, 2, zp, lo, hi);
        ef_rq_ch2(a3, b3, oa + 3, ob + 3, rq, 3, zp, lo, hi);
    }
    if (p < rows) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *const xe = xa + d4;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        while (xa != xe) {
            EF_G4S(0) EF_G4S(1) EF_G4S(2) EF_G4S(3)
            xa += 4;
            wp += 16;
        }
        for (j = d4; j < depth; ++j) {
            EF_G4S(0)
            ++xa;
            wp += 4;
        }
        oa[0] = ef_rq_ch(a0, rq, 0, zp, lo, hi);
        oa[1] = ef_rq_ch(a1, rq, 1, zp, lo, hi);
        oa[2] = ef_rq_ch(a2, rq, 2, zp, lo, hi);
        oa[3] = ef_rq_ch(a3, rq, 3, zp, lo, hi);
    }
}
#undef EF_G8
#undef EF_G8S
#undef EF_G4
#undef EF_G4S

void ef_gemm_s8(const int8_t *x, int rows, int depth, const int8_t *w, const int32_t *bias_adj,
                int8_t *out, int cols, int32_t out_zp, const int32_t *rq, int32_t act_min, int32_t act_max)
{
    int o = 0;
    for (; o + 8 <= cols; o += 8)
        ef_gemm_b8(x, rows, depth, w + (size_t)o * depth, bias_adj + o, out + o, cols, out_zp, rq + 4 * o, act_min, act_max);
    if (o + 4 <= cols) {
        ef_gemm_b4(x, rows, depth, w + (size_t)o * depth, bias_adj + o, out + o, cols, out_zp, rq + 4 * o, act_min, act_max);
        o += 4;
    }
    for (; o < cols; ++o) {
        const int8_t *w0 = w + (size_t)o * depth;
        int p, k;
        for (p = 0; p < rows; ++p) {
            const int8_t *xa = x + (size_t)p * depth;
            uint32_t a0 = bias_adj[o];
            for (k = 0; k < depth; ++k) a0 += w0[k] * xa[k];
            out[(size_t)p * cols + o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
        }
    }
}

/*@@ section dwconv deps=common,rq,taps */
/* Depthwise convolution, NHWC input; the filter was re-laid out at generation time as [kh][kw][oc] so the
 * channel loop is contiguous in input, filter and output. oc = ic * ch_mult. Interior windows start from
 * bias_adj (zero point folded); border windows sum in-bounds taps of w * (x - in_zp) from bias. */
void ef_dwconv_s8(const int8_t *in, int ih, int iw, int ic, int ch_mult,
                  const int8_t *w, const int32_t *bias_adj, const int32_t *bias,
                  int8_t *out, int oh, int ow,
                  int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l,
                  int32_t in_zp, int32_t out_zp, const int32_t *rq,
                  int32_t act_min, int32_t act_max)
{
    const int oc = ic * ch_mult;
    const size_t xstep = (size_t)dw * ic;
    const size_t ystep = (size_t)dh * iw * ic;
    int oy, ox;
    for (oy = 0; oy < oh; ++oy) {
        const int iy0 = oy * sh - pad_t;
        int ky0, ky1;
        ef_tap_range(iy0, kh, dh, ih, &ky0, &ky1);
        for (ox = 0; ox < ow; ++ox) {
            const int ix0 = ox * sw - pad_l;
            int kx0, kx1, o;
            int8_t *op = out + ((size_t)oy * ow + ox) * oc;
            ef_tap_range(ix0, kw, dw, iw, &kx0, &kx1);
            if (ky0 == 0 && kx0 == 0 && ky1 == kh && kx1 == kw) {
                const int8_t *xbase = in + ((size_t)iy0 * iw + ix0) * ic;
                o = 0;
                if (ch_mult == 1 && kw == 3) {
                    /* the common case: eight channels side by side, the three taps of a filter row unrolled */
                    const size_t oc2 = 2 * (size_t)oc;
                    for (; o + 8 <= oc; o += 8) {
                        uint32_t a0 = bias_adj[o], a1 = bias_adj[o + 1], a2 = bias_adj[o + 2], a3 = bias_adj[o + 3];
                        uint32_t a4 = bias_adj[o + 4], a5 = bias_adj[o + 5], a6 = bias_adj[o + 6], a7 = bias_adj[o + 7];
                        const int8_t *wp = w + o;
                        const int8_t *xr = xbase + o;
                        int ky;
                        for (ky = 0; ky < kh; ++ky, xr += ystep, wp += oc2 + oc) {
#define EF_DW8(X, W) \
    { \
        const int8_t *x_ = (X), *w_ = (W); \
        a0 += w_[0] * x_[0]; a1 += w_[1] * x_[1]; a2 += w_[2] * x_[2]; a3 += w_[3] * x_[3]; \
        a4 += w_[4] * x_[4]; a5 += w_[5] * x_[5]; a6 += w_[6] * x_[6]; a7 += w_[7] * x_[7]; \
    }
                            EF_DW8(xr, wp)
                            EF_DW8(xr + xstep, wp + oc)
                            EF_DW8(xr + 2 * xstep, wp + oc2)
#undef EF_DW8
                        }
                        op[o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
                        op[o + 1] = ef_rq_ch(a1, rq, o + 1, out_zp, act_min, act_max);
                        op[o + 2] = ef_rq_ch(a2, rq, o + 2, out_zp, act_min, act_max);
                        op[o + 3] = ef_rq_ch(a3, rq, o + 3, out_zp, act_min, act_max);
                        op[o + 4] = ef_rq_ch(a4, rq, o + 4, out_zp, act_min, act_max);
                        op[o + 5] = ef_rq_ch(a5, rq, o + 5, out_zp, act_min, act_max);
                        op[o + 6] = ef_rq_ch(a6, rq, o + 6, out_zp, act_min, act_max);
                        op[o + 7] = ef_rq_ch(a7, rq, o + 7, out_zp, act_min, act_max);
                    }
                }
                for (; o + 4 <= oc; o += 4) {
                    /* ch_mult 1: four channels side by side; ch_mult % 4 == 0: four outputs of one channel */
                    const int same = (ch_mult & 3) == 0;
                    const int ch = o / ch_mult;
                    uint32_t a0 = bias_adj[o], a1 = bias_adj[o + 1], a2 = bias_adj[o + 2], a3 = bias_adj[o + 3];
                    const int8_t *wp = w + o;
                    int ky, kx;
                    if (ch_mult == 1) {
                        const int8_t *xr = xbase + o;
                        for (ky = 0; ky < kh; ++ky, xr += ystep) {
                            const int8_t *xp = xr;
                            for (kx = 0; kx < kw; ++kx, xp += xstep, wp += oc) {
                                a0 += wp[0] * xp[0];
                                a1 += wp[1] * xp[1];
                                a2 += wp[2] * xp[2];
                                a3 += wp[3] * xp[3];
                            }
                        }
                    } else if (same) {
                        const int8_t *xr = xbase + ch;
                        for (ky = 0; ky < kh; ++ky, xr += ystep) {
                            const int8_t *xp = xr;
                            for (kx = 0; kx < kw; ++kx, xp += xstep, wp += oc) {
                                int32_t xv = xp[0];
                                a0 += wp[0] * xv;
                                a1 += wp[1] * xv;
                                a2 += wp[2] * xv;
                                a3 += wp[3] * xv;
                            }
                        }
                    } else {
                        const int c0 = o / ch_mult, c1 = (o + 1) / ch_mult, c2 = (o + 2) / ch_mult, c3 = (o + 3) / ch_mult;
                        const int8_t *xr = xbase;
                        for (ky = 0; ky < kh; ++ky, xr += ystep) {
                            const int8_t *xp = xr;
                            for (kx = 0; kx < kw; ++kx, xp += xstep, wp += oc) {
                                a0 += wp[0] * xp[c0];
                                a1 += wp[1] * xp[c1];
                                a2 += wp[2] * xp[c2];
                                a3 += wp[3] * xp[c3];
                            }
                        }
                    }
                    op[o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
                    op[o + 1] = ef_rq_ch(a1, rq, o + 1, out_zp, act_min, act_max);
                    op[o + 2] = ef_rq_ch(a2, rq, o + 2, out_zp, act_min, act_max);
                    op[o + 3] = ef_rq_ch(a3, rq, o + 3, out_zp, act_min, act_max);
                }
                for (; o < oc; ++o) {
                    const int ch = o / ch_mult;
                    uint32_t acc = bias_adj[o];
                    int ky, kx;
                    for (ky = 0; ky < kh; ++ky)
                        for (kx = 0; kx < kw; ++kx)
                            acc += w[((size_t)ky * kw + kx) * oc + o] * xbase[(size_t)ky * ystep + (size_t)kx * xstep + ch];
                    op[o] = ef_rq_ch(acc, rq, o, out_zp, act_min, act_max);
                }
            } else {
                o = 0;
                if (ch_mult == 1) {
                    /* border window, four channels side by side over the in-bounds taps: acc = bias + sum w*(x - zp) */
                    for (; o + 4 <= oc; o += 4) {
                        uint32_t a0 = bias[o], a1 = bias[o + 1], a2 = bias[o + 2], a3 = bias[o + 3];
                        int ky, kx;
                        for (ky = ky0; ky < ky1; ++ky) {
                            const int8_t *xp = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0 * dw) * ic + o;
                            const int8_t *wp = w + ((size_t)ky * kw + kx0) * oc + o;
                            for (kx = kx0; kx < kx1; ++kx, xp += xstep, wp += oc) {
                                a0 += wp[0] * (xp[0] - in_zp);
                                a1 += wp[1] * (xp[1] - in_zp);
                                a2 += wp[2] * (xp[2] - in_zp);
                                a3 += wp[3] * (xp[3] - in_zp);
                            }
                        }
                        op[o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
                        op[o + 1] = ef_rq_ch(a1, rq, o + 1, out_zp, act_min, act_max);
                        op[o + 2] = ef_rq_ch(a2, rq, o + 2, out_zp, act_min, act_max);
                        op[o + 3] = ef_rq_ch(a3, rq, o + 3, out_zp, act_min, act_max);
                    }
                }
                for (; o < oc; ++o) {
                    const int ch = o / ch_mult;
                    uint32_t acc = bias[o];
                    int ky, kx;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *xp = in + ((size_t)(iy0 + ky * dh) * iw) * ic + ch;
                        const int8_t *wp = w + (size_t)ky * kw * oc + o;
                        for (kx = kx0; kx < kx1; ++kx)
                            acc += wp[(size_t)kx * oc] * (xp[(size_t)(ix0 + kx * dw) * ic] - in_zp);
                    }
                    op[o] = ef_rq_ch(acc, rq, o, out_zp, act_min, act_max);
                }
            }
        }
    }
}

/*@@ section avgpool deps=common */
/* Average pooling: window clipped to the input, sum of raw values, rounding division half away from zero. */
void ef_avgpool_s8(const int8_t *in, int ih, int iw, int c, int8_t *out, int oh, int ow,
                   int kh, int kw, int sh, int sw, int pad_t, int pad_l, int32_t act_min, int32_t act_max)
{
    int oy, ox, ch;
    for (oy = 0; oy < oh; ++oy) {
        const int y0 = oy * sh - pad_t;
        const int ya = y0 < 0 ? 0 : y0;
        const int yb = y0 + kh > ih ? ih : y0 + kh;
        for (ox = 0; ox < ow; ++ox) {
            const int x0 = ox * sw - pad_l;
            const int xa = x0 < 0 ? 0 : x0;
            const int xb = x0 + kw > iw ? iw : x0 + kw;
            const int32_t n = (int32_t)(yb - ya) * (xb - xa);
            for (ch = 0; ch < c; ++ch) {
                int32_t sum = 0, avg;
                int y, x;
                for (y = ya; y < yb; ++y)
                    for (x = xa; x < xb; ++x) sum += in[((size_t)y * iw + x) * c + ch];
                if (n == 0) avg = 0;
                else avg = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
                out[((size_t)oy * ow + ox) * c + ch] = (int8_t)ef_clamp(avg, act_min, act_max);
            }
        }
    }
}

/*@@ section maxpool deps=common */
void ef_maxpool_s8(const int8_t *in, int ih, int iw, int c, int8_t *out, int oh, int ow,
                   int kh, int kw, int sh, int sw, int pad_t, int pad_l, int32_t act_min, int32_t act_max)
{
    int oy, ox, ch;
    for (oy = 0; oy < oh; ++oy) {
        const int y0 = oy * sh - pad_t;
        const int ya = y0 < 0 ? 0 : y0;
        const int yb = y0 + kh > ih ? ih : y0 + kh;
        for (ox = 0; ox < ow; ++ox) {
            const int x0 = ox * sw - pad_l;
            const int xa = x0 < 0 ? 0 : x0;
            const int xb = x0 + kw > iw ? iw : x0 + kw;
            int8_t *op = out + ((size_t)oy * ow + ox) * c;
            for (ch = 0; ch < c; ++ch) {
                int32_t m = -128;
                int y, x;
                for (y = ya; y < yb; ++y)
                    for (x = xa; x < xb; ++x) {
                        int32_t v = in[((size_t)y * iw + x) * c + ch];
                        if (v > m) m = v;
                    }
                op[ch] = (int8_t)ef_clamp(m, act_min, act_max);
            }
        }
    }
}

/*@@ section add deps=common */
/* TFLite ADD / SUB int8 (sub: sign = -1 on the second operand). Broadcasting: idx1/idx2 steps are given as
 * a 4-D broadcast description (dims and element strides, 0 for broadcast axes). */
void ef_add_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
               const int32_t *st2, int32_t sign, int32_t zp1, int32_t zp2, int32_t left_shift,
               int32_t m1, int32_t s1, int32_t m2, int32_t s2, int32_t mo, int32_t so, int32_t zpo,
               int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    int32_t va = (int32_t)((uint32_t)(x1[a] - zp1) << left_shift);
                    int32_t vb = (int32_t)((uint32_t)(x2[b] - zp2) << left_shift);
                    int32_t sa = ef_mbqm(va, m1, s1);
                    int32_t sb = ef_mbqm(vb, m2, s2);
                    int32_t r = ef_mbqm(sign > 0 ? sa + sb : sa - sb, mo, so) + zpo;
                    out[n++] = (int8_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section mul deps=common */
void ef_mul_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
               const int32_t *st2, int32_t zp1, int32_t zp2, int32_t m, int32_t s, int32_t zpo,
               int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    int32_t r = ef_mbqm((x1[a] - zp1) * (x2[b] - zp2), m, s) + zpo;
                    out[n++] = (int8_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section mean deps=common */
/* Mean over a set of axes, as outer x reduced x inner (the emitter transposes nothing: only contiguous
 * outer/inner splits are used, the common NHWC global pool being outer=1, reduced=H*W, inner=C).
 * m, s are the count-adjusted multiplier and shift (INT8-ARITHMETIC.md section 11). */
void ef_mean_s8(const int8_t *in, int8_t *out, int outer, int reduced, int inner,
                int32_t in_zp, int32_t out_zp, int32_t m, int32_t s)
{
    int o, r, i;
    for (o = 0; o < outer; ++o)
        for (i = 0; i < inner; ++i) {
            int32_t sum = 0;
            const int8_t *p = in + (size_t)o * reduced * inner + i;
            for (r = 0; r < reduced; ++r) sum += p[(size_t)r * inner];
            out[(size_t)o * inner + i] = (int8_t)ef_clamp(ef_mbqm(sum - in_zp * reduced, m, s) + out_zp, -128, 127);
        }
}

/*@@ section softmax deps=fixedpoint,recip */
/* TFLM int8 softmax: gemmlowp fixed-point exp, 1/(1+x) reciprocal; output scale 1/256, zero point -128. */
void ef_softmax_s8(const int8_t *in, int8_t *out, int rows, int depth, int32_t in_mult, int32_t in_left_shift,
                   int32_t diff_min)
{
    int r, c;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t mx = -128, sum = 0, h, scale, bits;
        for (c = 0; c < depth; ++c) if (x[c] > mx) mx = x[c];
        for (c = 0; c < depth; ++c) {
            int32_t d = x[c] - mx;
            if (d >= diff_min) {
                int32_t rs = ef_fp_mul((int32_t)((uint32_t)d << in_left_shift), in_mult);
                sum = ef_fp_add(sum, ef_rdbpot(ef_exp_neg(rs, 5), 12));
            }
        }
        {
            uint32_t u = (uint32_t)sum;
            h = 0;
            while (h < 32 && !(u & 0x80000000u)) { u <<= 1; ++h; }
            bits = 12 - h;
            scale = ef_one_over_one_plus_x((int32_t)(u - 0x80000000u));
        }
        for (c = 0; c < depth; ++c) {
            int32_t d = x[c] - mx;
            if (d >= diff_min) {
                int32_t rs = ef_fp_mul((int32_t)((uint32_t)d << in_left_shift), in_mult);
                int32_t e = ef_exp_neg(rs, 5);
                int32_t v = ef_rdbpot(ef_fp_mul(scale, e), bits + 31 - 8) - 128;
                y[c] = (int8_t)ef_clamp(v, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}

/*@@ section logsoftmax deps=fixedpoint,recip */
/* TFLM int8 LOG_SOFTMAX (reference_integer_ops::LogSoftmax): sum of gemmlowp exps in Q12.19, its log by TFLite's
 * log_x_for_x_greater_than_or_equal_to_1 (Q5.26), output scale 16/256, zero point 127. */
static int32_t ef_sat_add64(int64_t s)
{
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

static int ef_clz32(uint32_t u)
{
    int n = 0;
    if (u == 0) return 32;
    while (!(u & 0x80000000u)) { u <<= 1; ++n; }
    return n;
}

/* log(x) for x >= 1 given in Q12.19; result Q5.26 (accumulated with one more integer bit, Q6.25). */
static int32_t ef_log_q12_to_q5(int32_t x)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = ef_rdbpot(536870912, 6); /* 1/4 in Q6.25 */
    const int za_hp1 = ef_clz32((uint32_t)x);
    const int32_t ra = ef_fp_sat_shl(ef_fp_mul(ef_fp_sat_shl(x, za_hp1 - 1), sqrt_half), 1);
    const int32_t za_adj = ef_sat_add64((int64_t)ef_fp_sat_shl(12 - za_hp1, 25) + shifted_quarter);
    const int zb_h = ef_clz32((uint32_t)ef_fp_mul(x, sqrt_half)) - 1;
    const int32_t rb = ef_fp_sat_shl(x, zb_h);
    const int32_t zb_adj = ef_sat_add64((int64_t)ef_fp_sat_shl(12 - zb_h, 25) - shifted_quarter);
    const int32_t r = ra < rb ? ra : rb;
    const int32_t z = za_adj > zb_adj ? za_adj : zb_adj;
    const int64_t hs = (int64_t)r + sqrt_sqrt_half;
    const int32_t p = (int32_t)((hs + (hs >= 0 ? 1 : -1)) / 2);
    const int32_t q0 = ef_fp_sub(r, sqrt_sqrt_half);
    const int32_t q = ef_fp_add(q0, q0);
    const int32_t cs = ef_fp_mul(q, q);
    const int32_t num = ef_fp_add(ef_fp_mul(q, r), ef_fp_mul(ef_fp_mul(q, cs), alpha_n));
    const int32_t den = ef_fp_add(ef_fp_mul(p, ef_fp_add(ef_fp_add(alpha_i, q), ef_fp_mul(alpha_d, cs))), ef_fp_mul(alpha_f, q));
    const int32_t rec = ef_one_over_one_plus_x(den);
    return ef_fp_sat_shl(ef_fp_add(ef_fp_mul(z, log_2), ef_fp_mul(ef_rdbpot(num, 6), rec)), 1);
}

void ef_log_softmax_s8(const int8_t *in, int8_t *out, int rows, int depth, int32_t in_mult, int32_t in_left_shift,
                       int32_t rev_mult, int32_t rev_shift, int32_t diff_min)
{
    int r, c;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t mx = -128, sum = 0, lse, adj;
        for (c = 0; c < depth; ++c) if (x[c] > mx) mx = x[c];
        for (c = 0; c < depth; ++c) {
            const int32_t d = x[c] - mx;
            if (d >= diff_min) sum = ef_fp_add(sum, ef_rdbpot(ef_exp_neg(ef_mbqm(d, in_mult, in_left_shift), 5), 12));
        }
        lse = ef_log_q12_to_q5(sum);
        adj = ef_mbqm(ef_fp_add(lse, INT32_MIN), rev_mult, -rev_shift);
        if (adj < diff_min - 1) adj = diff_min - 1;
        for (c = 0; c < depth; ++c) {
            const int32_t d = x[c] - mx;
            if (d > adj) {
                const int32_t v = ef_rdbpot(ef_fp_sub(ef_mbqm(d, in_mult, in_left_shift), lse), 22) + 127;
                y[c] = (int8_t)ef_clamp(v, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}

/*@@ section logistic deps=fixedpoint,recip */
/* TFLM int8 LOGISTIC: gemmlowp logistic on Q4.27; output scale 1/256, zero point -128. */
void ef_logistic_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t in_mult, int32_t in_shift,
                    int32_t radius)
{
    int i;
    for (i = 0; i < n; ++i) {
        int32_t d = in[i] - in_zp;
        if (d <= -radius) out[i] = -128;
        else if (d >= radius) out[i] = 127;
        else {
            int32_t a = ef_mbqm(d, in_mult, in_shift);
            int32_t r;
            if (a == 0) r = 1 << 30;
            else {
                int32_t abs_a = a > 0 ? a : -a;
                int32_t pos = ef_one_over_one_plus_x(ef_exp_neg(-abs_a, 4));
                r = a > 0 ? pos : INT32_MAX - pos;
            }
            out[i] = (int8_t)ef_clamp(ef_rdbpot(r, 23) - 128, -128, 127);
        }
    }
}

/*@@ section tanh deps=fixedpoint */
/* TFLM int8 TANH: gemmlowp tanh on Q4.27; output scale 1/128, zero point 0. */
void ef_tanh_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t in_mult, int32_t in_shift,
                int32_t radius)
{
    int i;
    for (i = 0; i < n; ++i) {
        int32_t d = in[i] - in_zp;
        if (d <= -radius) out[i] = -128;
        else if (d >= radius) out[i] = 127;
        else {
            int32_t a = ef_mbqm(d, in_mult, in_shift);
            int32_t r = 0;
            if (a != 0) {
                int32_t neg = a < 0 ? a : -a;
                /* (1 - e) / (1 + e) with e = exp(2 * neg): Q2.29 reciprocal minus one, rescaled to Q0.31 */
                int32_t t = ef_fp_sat_shl(ef_fp_sub(ef_newton_recip(ef_exp_neg(neg, 5)), (int32_t)1 << 29), 2);
                r = a < 0 ? -t : t;
            }
            out[i] = (int8_t)ef_clamp(ef_rdbpot(r, 24), -128, 127);
        }
    }
}

/*@@ section leakyrelu deps=common */
/* TFLM LEAKY_RELU: x - zp_in >= 0 takes the identity multiplier, below it the alpha one. */
void ef_leaky_relu_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t m_id, int32_t s_id,
                      int32_t m_alpha, int32_t s_alpha)
{
    int i;
    for (i = 0; i < n; ++i) {
        const int32_t d = in[i] - in_zp;
        const int32_t v = out_zp + (d >= 0 ? ef_mbqm(d, m_id, s_id) : ef_mbqm(d, m_alpha, s_alpha));
        out[i] = (int8_t)ef_clamp(v, -128, 127);
    }
}

/*@@ section prelu deps=common */
/* TFLM PRELU (int8): d = x - zp_in; d >= 0 takes the identity multiplier, below it d * (alpha - zp_alpha) takes
 * the alpha one; then + zp_out, clamped. alpha broadcasts to x: 4-D output dims[4] and the element strides of x
 * and alpha (the add kernel's broadcast description). */
void ef_prelu_s8(const int8_t *x, const int8_t *alpha, int8_t *out, const int32_t *dims, const int32_t *stx,
                 const int32_t *sta, int32_t in_zp, int32_t alpha_zp, int32_t out_zp, int32_t m_id, int32_t s_id,
                 int32_t m_alpha, int32_t s_alpha)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const int32_t d = x[(size_t)i0 * stx[0] + (size_t)i1 * stx[1] + (size_t)i2 * stx[2] + (size_t)i3 * stx[3]] - in_zp;
                    int32_t v;
                    if (d >= 0) v = ef_mbqm(d, m_id, s_id);
                    else {
                        const int32_t a = alpha[(size_t)i0 * sta[0] + (size_t)i1 * sta[1] + (size_t)i2 * sta[2] + (size_t)i3 * sta[3]] - alpha_zp;
                        v = ef_mbqm(d * a, m_alpha, s_alpha);
                    }
                    out[n++] = (int8_t)ef_clamp(v + out_zp, -128, 127);
                }
}

/*@@ section hardswish deps=common */
/* TFLM int8 HARD_SWISH reference in saturating 16-bit fixed point; the two multipliers were down-scaled to
 * int16 at generation time (DownScaleInt32ToInt16Multiplier). */
static inline int32_t ef_srdhm16(int32_t a, int32_t b)
{
    int32_t p;
    if (a == -32768 && b == -32768) return 32767;
    p = a * b;
    return (p + (p >= 0 ? (1 << 14) : 1 - (1 << 14))) / 32768;
}

static inline int32_t ef_sdhm16(int32_t a, int32_t b)
{
    if (a == -32768 && b == -32768) return 32767;
    return (a * b) / 32768;
}

static inline int32_t ef_sat_shl16(int32_t v, int amount)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return r < -32768 ? -32768 : (r > 32767 ? 32767 : (int32_t)r);
}

void ef_hard_swish_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t out_mult,
                      int32_t out_exp, int32_t reluish_mult, int32_t reluish_exp)
{
    int i;
    for (i = 0; i < n; ++i) {
        const int32_t hires = (int16_t)((int16_t)(in[i] - in_zp) * 128);
        const int32_t preshift = ef_srdhm16(hires, out_mult);
        int32_t r = hires, v;
        if (reluish_exp > 0) r = ef_sat_shl16(r, reluish_exp - 1);
        r = ef_srdhm16(r, reluish_mult);
        if (reluish_exp > 0) r = ef_sat_shl16(r, 1);
        if (reluish_exp < 0) r = ef_rdbpot(r, -reluish_exp);
        r = (int16_t)((r + 32768) >> 1);
        v = (int16_t)(ef_rdbpot(ef_sdhm16(r, preshift), -out_exp) + out_zp);
        out[i] = (int8_t)ef_clamp(v, -128, 127);
    }
}

/*@@ section transpose */
/* Strided copy of up to 4-D data: out is walked in order over dims[4]; st[4] are the input element strides of the
 * output axes; esize is the element size in bytes. */
void ef_transpose(const void *in, void *out, const int32_t *dims, const int32_t *st, int esize)
{
    const uint8_t *x = (const uint8_t *)in;
    uint8_t *y = (uint8_t *)out;
    int a, b, c, d, k;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const uint8_t *row = x + ((size_t)a * st[0] + (size_t)b * st[1] + (size_t)c * st[2]) * esize;
                if (esize == 1) {
                    for (d = 0; d < dims[3]; ++d) *y++ = row[(size_t)d * st[3]];
                } else {
                    for (d = 0; d < dims[3]; ++d)
                        for (k = 0; k < esize; ++k) *y++ = row[(size_t)d * st[3] * esize + k];
                }
            }
}

/*@@ section minmax */
/* Element-wise maximum (is_max = 1) or minimum of two int8 tensors sharing one quantization, with the 4-D
 * broadcast description of the add kernel. */
void ef_minmax_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
                  const int32_t *st2, int is_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const int8_t a = x1[(size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3]];
                    const int8_t b = x2[(size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3]];
                    out[n++] = is_max ? (a > b ? a : b) : (a < b ? a : b);
                }
}

/*@@ section conv16 deps=common */
/* TFLM 16x8 requantization of an int64 accumulator (INT8-ARITHMETIC.md section 3, int64 overload): the Q31
 * multiplier rounded to 16 bits, then one rounding shift. */
static inline int32_t ef_mbqm64(int64_t x, int32_t m, int32_t s)
{
    const int64_t m16 = m < 0x7FFF0000 ? ((int64_t)m + 32768) >> 16 : 0x7FFF;
    const int ts = 15 - s;
    return (int32_t)((x * m16 + ((int64_t)1 << (ts - 1))) >> ts);
}

/* 16x8 convolution (int16 activations, int8 OHWI filter, no zero points), also depthwise (groups == ic, any
 * channel multiplier) and fully connected (ih = rows, iw = kh = kw = 1). acc64 = 1: int64 accumulator, int64 bias
 * and the int64 requantization; acc64 = 0: int32 accumulator (wrapping), int32 requantization. Padding taps are
 * skipped. The int64 sum is built from int32 partial sums of at most 512 products: |w * x| <= 128 * 32768 = 2^22,
 * so a partial stays below 2^31 and the int64 total is exactly the sum of the products (on rv32 a 64-bit add per
 * product would cost about three times the multiply-accumulate). */
void ef_conv_s16(const int16_t *in, int ih, int iw, int ic, const int8_t *w, const int64_t *bias,
                 int16_t *out, int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh, int dw,
                 int pad_t, int pad_l, int groups, const int32_t *mult, const int32_t *shift, int acc64,
                 int32_t act_min, int32_t act_max)
{
    const int icg = ic / groups;
    const int cpg = oc / groups;
    /* products per partial sum: whole windows when they hold at most 512 products, else chunks of a tap row */
    const int chunk = icg < 512 ? icg : 512;
    const int whole = kh * kw * icg <= 512;
    int oy, ox, o;
    for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox)
            for (o = 0; o < oc; ++o) {
                const int16_t *xb = in + (size_t)(o / cpg) * icg;
                const int8_t *wo = w + (size_t)o * kh * kw * icg;
                int64_t acc = 0;
                int32_t part = 0, v;
                uint32_t acc32 = 0;
                int ky, kx, k, k0;
                for (ky = 0; ky < kh; ++ky) {
                    const int iy = oy * sh - pad_t + ky * dh;
                    if (iy < 0 || iy >= ih) continue;
                    for (kx = 0; kx < kw; ++kx) {
                        const int ix = ox * sw - pad_l + kx * dw;
                        const int16_t *xp;
                        const int8_t *wp;
                        if (ix < 0 || ix >= iw) continue;
                        xp = xb + ((size_t)iy * iw + ix) * ic;
                        wp = wo + ((size_t)ky * kw + kx) * icg;
                        if (!acc64) {
                            for (k = 0; k < icg; ++k) acc32 += (uint32_t)((int32_t)wp[k] * xp[k]);
                        } else if (whole) {
                            for (k = 0; k < icg; ++k) part += (int32_t)wp[k] * xp[k];
                        } else {
                            for (k0 = 0; k0 < icg; k0 += chunk) {
                                const int k1 = k0 + chunk < icg ? k0 + chunk : icg;
                                part = 0;
                                for (k = k0; k < k1; ++k) part += (int32_t)wp[k] * xp[k];
                                acc += part;
                            }
                            part = 0;
                        }
                    }
                }
                if (acc64) v = ef_mbqm64(acc + part + (bias ? bias[o] : 0), mult[o], shift[o]);
                else v = ef_mbqm((int32_t)(acc32 + (uint32_t)(bias ? (int32_t)bias[o] : 0)), mult[o], shift[o]);
                out[((size_t)oy * ow + ox) * oc + o] = (int16_t)ef_clamp(v, act_min, act_max);
            }
}

/*@@ section dwconv16 deps=common,conv16 */
/* 16x8 depthwise convolution with channels innermost (output channel o reads input channel o / mult): the filter
 * is re-laid out as [KH][KW][OC] at generation time, and each output pixel accumulates blocks of up to 16 channels
 * in int32 partial sums over the whole window (kh * kw <= 512 products per channel, |w * x| <= 2^22: exact), added
 * to the int64 bias and requantized with TFLM's int64 overload. Same results as ef_conv_s16 with groups == ic. */
void ef_dwconv_s16(const int16_t *in, int ih, int iw, int ic, int mult_ch, const int8_t *w_hwc, const int64_t *bias,
                   int16_t *out, int oh, int ow, int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l,
                   const int32_t *mult, const int32_t *shift, int32_t act_min, int32_t act_max)
{
    const int oc = ic * mult_ch;
    int oy, ox, o0, j, ky, kx;
    for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox) {
            int16_t *op = out + ((size_t)oy * ow + ox) * oc;
            for (o0 = 0; o0 < oc; o0 += 16) {
                const int nb = oc - o0 < 16 ? oc - o0 : 16;
                int32_t part[16];
                for (j = 0; j < nb; ++j) part[j] = 0;
                for (ky = 0; ky < kh; ++ky) {
                    const int iy = oy * sh - pad_t + ky * dh;
                    if (iy < 0 || iy >= ih) continue;
                    for (kx = 0; kx < kw; ++kx) {
                        const int ix = ox * sw - pad_l + kx * dw;
                        const int16_t *xp;
                        const int8_t *wp;
                        if (ix < 0 || ix >= iw) continue;
                        xp = in + ((size_t)iy * iw + ix) * ic;
                        wp = w_hwc + ((size_t)ky * kw + kx) * oc + o0;
                        if (mult_ch == 1)
                            for (j = 0; j < nb; ++j) part[j] += (int32_t)wp[j] * xp[o0 + j];
                        else
                            for (j = 0; j < nb; ++j) part[j] += (int32_t)wp[j] * xp[(o0 + j) / mult_ch];
                    }
                }
                for (j = 0; j < nb; ++j) {
                    const int o = o0 + j;
                    const int32_t v = ef_mbqm64((int64_t)part[j] + (bias ? bias[o] : 0), mult[o], shift[o]);
                    op[o] = (int16_t)ef_clamp(v, act_min, act_max);
                }
            }
        }
}

/*@@ section requant16 deps=common */
/* int -> int QUANTIZE between int8 and int16 (either side, or int16 -> int16): y = clamp(MBQM(x - zp_in, m, s) + zp_out)
 * to the output type's range. in_bits / out_bits are 8 or 16 (signed). */
void ef_requant_s16(const void *in, int in_bits, void *out, int out_bits, int n, int32_t in_zp, int32_t out_zp,
                    int32_t m, int32_t s)
{
    int i;
    const int32_t lo = out_bits == 16 ? -32768 : -128, hi = out_bits == 16 ? 32767 : 127;
    for (i = 0; i < n; ++i) {
        const int32_t x = in_bits == 16 ? (int32_t)((const int16_t *)in)[i] : (int32_t)((const int8_t *)in)[i];
        const int32_t y = ef_clamp(ef_mbqm(x - in_zp, m, s) + out_zp, lo, hi);
        if (out_bits == 16) ((int16_t *)out)[i] = (int16_t)y;
        else ((int8_t *)out)[i] = (int8_t)y;
    }
}

/*@@ section add16 deps=common */
/* TFLite ADD / SUB with int16 activations (left shift 15), same arithmetic and broadcast description as ef_add_s8. */
void ef_add_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                const int32_t *st2, int32_t sign, int32_t zp1, int32_t zp2, int32_t left_shift,
                int32_t m1, int32_t s1, int32_t m2, int32_t s2, int32_t mo, int32_t so, int32_t zpo,
                int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    int32_t va = (int32_t)((uint32_t)(x1[a] - zp1) << left_shift);
                    int32_t vb = (int32_t)((uint32_t)(x2[b] - zp2) << left_shift);
                    int32_t sa = ef_mbqm(va, m1, s1);
                    int32_t sb = ef_mbqm(vb, m2, s2);
                    int32_t r = ef_mbqm((int32_t)(sign > 0 ? (uint32_t)sa + (uint32_t)sb : (uint32_t)sa - (uint32_t)sb), mo, so) + zpo;
                    out[n++] = (int16_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section mul16 deps=common */
void ef_mul_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                const int32_t *st2, int32_t zp1, int32_t zp2, int32_t m, int32_t s, int32_t zpo,
                int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    const int32_t p = (int32_t)((uint32_t)(x1[a] - zp1) * (uint32_t)(x2[b] - zp2));
                    out[n++] = (int16_t)ef_clamp(ef_mbqm(p, m, s) + zpo, act_min, act_max);
                }
}

/*@@ section maxpool16 deps=common */
/* MAX_POOL_2D with int16 activations: as ef_maxpool_s8. */
void ef_maxpool_s16(const int16_t *in, int ih, int iw, int c, int16_t *out, int oh, int ow,
                    int kh, int kw, int sh, int sw, int pad_t, int pad_l, int32_t act_min, int32_t act_max)
{
    int oy, ox, ch;
    for (oy = 0; oy < oh; ++oy) {
        const int y0 = oy * sh - pad_t;
        const int ya = y0 < 0 ? 0 : y0;
        const int yb = y0 + kh > ih ? ih : y0 + kh;
        for (ox = 0; ox < ow; ++ox) {
            const int x0 = ox * sw - pad_l;
            const int xa = x0 < 0 ? 0 : x0;
            const int xb = x0 + kw > iw ? iw : x0 + kw;
            int16_t *op = out + ((size_t)oy * ow + ox) * c;
            for (ch = 0; ch < c; ++ch) {
                int32_t m = -32768;
                int y, x;
                for (y = ya; y < yb; ++y)
                    for (x = xa; x < xb; ++x) {
                        int32_t v = in[((size_t)y * iw + x) * c + ch];
                        if (v > m) m = v;
                    }
                op[ch] = (int16_t)ef_clamp(m, act_min, act_max);
            }
        }
    }
}

/*@@ section avgpool16 deps=common */
/* AVERAGE_POOL_2D with int16 activations (TFLM reference_integer_ops::AveragePool int16): int32 sum of the
 * in-bounds taps, rounding division half away from zero, clamp. */
void ef_avgpool_s16(const int16_t *in, int ih, int iw, int c, int16_t *out, int oh, int ow,
                    int kh, int kw, int sh, int sw, int pad_t, int pad_l, int32_t act_min, int32_t act_max)
{
    int oy, ox, ch;
    for (oy = 0; oy < oh; ++oy) {
        const int y0 = oy * sh - pad_t;
        const int ya = y0 < 0 ? 0 : y0;
        const int yb = y0 + kh > ih ? ih : y0 + kh;
        for (ox = 0; ox < ow; ++ox) {
            const int x0 = ox * sw - pad_l;
            const int xa = x0 < 0 ? 0 : x0;
            const int xb = x0 + kw > iw ? iw : x0 + kw;
            const int32_t n = (int32_t)(yb - ya) * (xb - xa);
            for (ch = 0; ch < c; ++ch) {
                int32_t sum = 0, avg;
                int y, x;
                for (y = ya; y < yb; ++y)
                    for (x = xa; x < xb; ++x) sum += in[((size_t)y * iw + x) * c + ch];
                if (n == 0) avg = 0;
                else avg = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
                out[((size_t)oy * ow + ox) * c + ch] = (int16_t)ef_clamp(avg, act_min, act_max);
            }
        }
    }
}

/*@@ section mean16 deps=common */
/* MEAN with int16 activations, as the simulator computes it: the sum of (x - in_zp) wrapped to int32, the
 * count-adjusted multiplier and shift, + out_zp, clamped to int16. Layout as ef_mean_s8. */
void ef_mean_s16(const int16_t *in, int16_t *out, int outer, int reduced, int inner,
                 int32_t in_zp, int32_t out_zp, int32_t m, int32_t s)
{
    int o, r, i;
    for (o = 0; o < outer; ++o)
        for (i = 0; i < inner; ++i) {
            int64_t sum = 0;
            const int16_t *p = in + (size_t)o * reduced * inner + i;
            for (r = 0; r < reduced; ++r) sum += p[(size_t)r * inner];
            sum -= (int64_t)in_zp * reduced;
            out[(size_t)o * inner + i] = (int16_t)ef_clamp(ef_mbqm((int32_t)(uint32_t)(uint64_t)sum, m, s) + out_zp, -32768, 32767);
        }
}

/*@@ section softmax16 deps=common */
/* TFLM SoftmaxInt16 (16x8; input zero point 0, output scale 1/32768, zero point 0): differences to the row maximum
 * rescaled by (in_mult, in_shift) onto [-65535, 0] = [-10, 0] and recentred by +32767, exp from the 513-entry
 * table exp_lut (Q0.15); the sum (Q16.15) normalised by its leading zeros and inverted through the 1/(1+x) table;
 * y = clamp((exp * recip + round) >> (31 - clz(sum)), 0, 32767). Both tables come from the prepare step. */
static inline int32_t ef_lut16(int32_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int32_t base = lut[index];
    const int32_t slope = (int16_t)(lut[index + 1] - base);
    const int32_t delta = (slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

void ef_softmax_s16(const int16_t *in, int16_t *out, int rows, int depth, int32_t in_mult, int32_t in_shift,
                    const int16_t *exp_lut, const int16_t *rec_lut)
{
    int r, c;
    for (r = 0; r < rows; ++r) {
        const int16_t *x = in + (size_t)r * depth;
        int16_t *y = out + (size_t)r * depth;
        int32_t mx = -32768, h, rs, rec, sym;
        uint32_t sum = 0, u;
        int64_t shifted;
        for (c = 0; c < depth; ++c) if (x[c] > mx) mx = x[c];
        for (c = 0; c < depth; ++c) {
            const int32_t scaled = ef_clamp(ef_mbqm(x[c] - mx, in_mult, in_shift) + 32767, -32768, 32767);
            const int32_t e = ef_lut16(scaled, exp_lut);
            y[c] = (int16_t)e; /* kept until the reciprocal is known (the kernel may run in place: x[c] is read first) */
            sum += (uint32_t)e;
        }
        u = sum;
        h = 0;
        while (h < 32 && !(u & 0x80000000u)) { u <<= 1; ++h; }
        if (h == 0 || h == 32) h = 1; /* a sum of positive int16 exps never has its top bit set and is never 0 */
        shifted = ((int64_t)sum * ((int64_t)1 << (h - 1)) + 8192) >> 14;
        sym = (int32_t)(shifted - 98304);
        rec = ef_lut16(ef_clamp(sym, -32768, 32767), rec_lut);
        rs = 31 - h;
        for (c = 0; c < depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)y[c] * rec + ((int64_t)1 << (rs - 1))) >> rs);
            y[c] = (int16_t)ef_clamp(v, 0, 32767);
        }
    }
}

/*@@ section logistic16 */
/* TFLM int16 LOGISTIC (16x8, zero points 0, output scale 2^-15): the input rescaled by (x * m + round) >> s
 * indexes TFLite's sigmoid(i/24) table (0.16, 256 entries) at |v| >> 9 with 9 interpolation bits; negative
 * inputs use 1 - sigmoid. m = 0 (a power-of-two input scale) means m = 3 << s and no shift. */
void ef_logistic_s16(const int16_t *in, int16_t *out, int n, int32_t m, int32_t s, const uint16_t *table)
{
    int i;
    int32_t round;
    if (m == 0) { m = 3 << s; s = 0; }
    round = s > 0 ? (int32_t)1 << (s - 1) : 0;
    for (i = 0; i < n; ++i) {
        const int32_t v = (in[i] * m + round) >> s;
        const int32_t a = v < 0 ? -v : v;
        const int32_t uh = a >> 9;
        int32_t r;
        if (uh >= 255) r = 0x7fff << 10;
        else {
            const int32_t ua = table[uh];
            r = ua * 512 + (a & 0x1ff) * ((int32_t)table[uh + 1] - ua);
        }
        r = v >= 0 ? r + 512 : (1 << 25) - r + 511;
        out[i] = (int16_t)(r >> 10);
    }
}

/*@@ section tanh16 */
/* TFLM int16 TANH (16x8, zero points 0, output scale 2^-15): tanh(x) = 2 sigmoid(2x) - 1 from the same sigmoid(i/24)
 * table at |v| >> 8 with 8 interpolation bits. Input rescaling as ef_logistic_s16. */
void ef_tanh_s16(const int16_t *in, int16_t *out, int n, int32_t m, int32_t s, const uint16_t *table)
{
    int i;
    int32_t round;
    if (m == 0) { m = 3 << s; s = 0; }
    round = s > 0 ? (int32_t)1 << (s - 1) : 0;
    for (i = 0; i < n; ++i) {
        const int32_t v = (in[i] * m + round) >> s;
        const int32_t a = v < 0 ? -v : v;
        const int32_t uh = a >> 8;
        int32_t r;
        if (uh >= 255) r = 0xffff << 8;
        else {
            const int32_t ua = table[uh];
            r = ua * 256 + (a & 0xff) * ((int32_t)table[uh + 1] - ua);
        }
        r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)(r >> 8);
    }
}

/*@@ section leakyrelu16 deps=common */
/* LEAKY_RELU with int16 activations: as ef_leaky_relu_s8, clamped to int16. */
void ef_leaky_relu_s16(const int16_t *in, int16_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t m_id, int32_t s_id,
                       int32_t m_alpha, int32_t s_alpha)
{
    int i;
    for (i = 0; i < n; ++i) {
        const int32_t d = in[i] - in_zp;
        const int32_t v = out_zp + (d >= 0 ? ef_mbqm(d, m_id, s_id) : ef_mbqm(d, m_alpha, s_alpha));
        out[i] = (int16_t)ef_clamp(v, -32768, 32767);
    }
}

/*@@ section clamp16 deps=common */
/* Relu / Clip with int16 activations: a clamp when input and output share quantization (same = 1), else
 * y = clamp(zp_out + MBQM(x - zp_in, m, s), lo, hi). */
void ef_clamp_s16(const int16_t *in, int16_t *out, int n, int same, int32_t in_zp, int32_t out_zp, int32_t m, int32_t s,
                  int32_t lo, int32_t hi)
{
    int i;
    if (same) for (i = 0; i < n; ++i) out[i] = (int16_t)ef_clamp(in[i], lo, hi);
    else for (i = 0; i < n; ++i) out[i] = (int16_t)ef_clamp(out_zp + ef_mbqm(in[i] - in_zp, m, s), lo, hi);
}

/*@@ section pad16 */
/* Constant padding of a 4-D NHWC int16 tensor with one value. */
void ef_pad_s16(const int16_t *in, const int32_t *idims, int16_t *out, const int32_t *odims, const int32_t *before,
                int16_t value)
{
    int a, b, c;
    const size_t row = (size_t)idims[3];
    for (a = 0; a < odims[0]; ++a)
        for (b = 0; b < odims[1]; ++b)
            for (c = 0; c < odims[2]; ++c) {
                int16_t *o = out + (((size_t)a * odims[1] + b) * odims[2] + c) * odims[3];
                const int ia = a - before[0], ib = b - before[1], ic = c - before[2];
                int d;
                if (ia < 0 || ia >= idims[0] || ib < 0 || ib >= idims[1] || ic < 0 || ic >= idims[2]) {
                    for (d = 0; d < odims[3]; ++d) o[d] = value;
                } else {
                    const int16_t *ip = in + (((size_t)ia * idims[1] + ib) * idims[2] + ic) * row;
                    for (d = 0; d < before[3]; ++d) o[d] = value;
                    for (d = 0; d < idims[3]; ++d) o[before[3] + d] = ip[d];
                    for (d = before[3] + idims[3]; d < odims[3]; ++d) o[d] = value;
                }
            }
}

/*@@ section minmax16 */
/* Element-wise maximum (is_max = 1) or minimum of two int16 tensors sharing one quantization (as ef_minmax_s8). */
void ef_minmax_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                   const int32_t *st2, int is_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const int16_t a = x1[(size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3]];
                    const int16_t b = x2[(size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3]];
                    out[n++] = is_max ? (a > b ? a : b) : (a < b ? a : b);
                }
}

/*@@ section strided16 */
/* Strided int16 copy (Slice on int16 activations), as ef_strided_s8 in elements. */
void ef_strided_s16(const int16_t *in, int16_t *out, const int32_t *dims, const int32_t *st)
{
    int32_t a, b, c, d;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const int16_t *row = in + ((ptrdiff_t)a * st[0] + (ptrdiff_t)b * st[1] + (ptrdiff_t)c * st[2]);
                for (d = 0; d < dims[3]; ++d) *out++ = row[(ptrdiff_t)d * st[3]];
            }
}

/*@@ section reducemax16 */
/* ReduceMax of int16 data viewed as [outer][red][inner] (as ef_reduce_max_s8). red >= 1. */
void ef_reduce_max_s16(const int16_t *in, int16_t *out, int32_t outer, int32_t red, int32_t inner)
{
    int32_t o, r, i;
    for (o = 0; o < outer; ++o) {
        const int16_t *x = in + (size_t)o * red * inner;
        for (i = 0; i < inner; ++i) {
            int16_t m = x[i];
            for (r = 1; r < red; ++r) {
                const int16_t v = x[(size_t)r * inner + i];
                if (v > m) m = v;
            }
            out[(size_t)o * inner + i] = m;
        }
    }
}

/*@@ section rqclamp deps=common */
/* Relu / Clip with different input and output quantization: y = clamp(zp_out + MBQM(x - zp_in, m, s)). */
void ef_requant_clamp_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t m, int32_t s,
                         int32_t lo, int32_t hi)
{
    int i;
    for (i = 0; i < n; ++i) out[i] = (int8_t)ef_clamp(out_zp + ef_mbqm(in[i] - in_zp, m, s), lo, hi);
}

/*@@ section requant deps=common */
/* int -> int QUANTIZE (rescale): y = clamp(MBQM(x - zp_in, m, s) + zp_out) for int8/uint8 either side. */
void ef_requant_s8u8(const void *in, int in_unsigned, void *out, int out_unsigned, int n,
                     int32_t in_zp, int32_t out_zp, int32_t m, int32_t s)
{
    int i;
    const int32_t lo = out_unsigned ? 0 : -128, hi = out_unsigned ? 255 : 127;
    for (i = 0; i < n; ++i) {
        int32_t x = in_unsigned ? (int32_t)((const uint8_t *)in)[i] : (int32_t)((const int8_t *)in)[i];
        int32_t y = ef_clamp(ef_mbqm(x - in_zp, m, s) + out_zp, lo, hi);
        if (out_unsigned) ((uint8_t *)out)[i] = (uint8_t)y;
        else ((int8_t *)out)[i] = (int8_t)y;
    }
}

/*@@ section clamp deps=common */
/* Relu-like clamps with equal input and output quantization. */
void ef_clamp_s8(const int8_t *in, int8_t *out, int n, int32_t lo, int32_t hi)
{
    int i;
    for (i = 0; i < n; ++i) out[i] = (int8_t)ef_clamp(in[i], lo, hi);
}

/*@@ section pad */
/* Constant padding of a 4-D NHWC tensor with one byte value. */
void ef_pad_s8(const int8_t *in, const int32_t *idims, int8_t *out, const int32_t *odims, const int32_t *before,
               int8_t value)
{
    int a, b, c;
    const size_t row = (size_t)idims[3];
    for (a = 0; a < odims[0]; ++a)
        for (b = 0; b < odims[1]; ++b)
            for (c = 0; c < odims[2]; ++c) {
                int8_t *o = out + (((size_t)a * odims[1] + b) * odims[2] + c) * odims[3];
                const int ia = a - before[0], ib = b - before[1], ic = c - before[2];
                int d;
                if (ia < 0 || ia >= idims[0] || ib < 0 || ib >= idims[1] || ic < 0 || ic >= idims[2]) {
                    for (d = 0; d < odims[3]; ++d) o[d] = value;
                } else {
                    const int8_t *ip = in + (((size_t)ia * idims[1] + ib) * idims[2] + ic) * row;
                    for (d = 0; d < before[3]; ++d) o[d] = value;
                    for (d = 0; d < idims[3]; ++d) o[before[3] + d] = ip[d];
                    for (d = before[3] + idims[3]; d < odims[3]; ++d) o[d] = value;
                }
            }
}

/*@@ section copy */
/* Byte copy (reshape when not in place, concat pieces); no libc needed. */
void ef_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    size_t i;
    if (d == s) return;
    for (i = 0; i < n; ++i) d[i] = s[i];
}

/*@@ section strided */
/* Strided int8 copy of up to 4-D data with signed element strides (Slice, negative steps included): out is
 * walked in order over dims[4]; in points at the first element read, st[4] are the input element strides of the
 * output axes. Every row start is itself an element that is read, so no pointer leaves the input. */
void ef_strided_s8(const int8_t *in, int8_t *out, const int32_t *dims, const int32_t *st)
{
    int32_t a, b, c, d;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const int8_t *row = in + ((ptrdiff_t)a * st[0] + (ptrdiff_t)b * st[1] + (ptrdiff_t)c * st[2]);
                for (d = 0; d < dims[3]; ++d) *out++ = row[(ptrdiff_t)d * st[3]];
            }
}

/*@@ section gather deps=copy */
/* Gather along one axis with constant indices: in viewed as [outer][dim][inner]; out[o][j][:] = in[o][idx[j]][:].
 * Indices are already normalised to [0, dim). */
void ef_gather_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t dim, int32_t inner, const int32_t *idx,
                  int32_t nidx)
{
    int32_t o, j;
    for (o = 0; o < outer; ++o)
        for (j = 0; j < nidx; ++j) {
            ef_copy(out, in + ((size_t)o * dim + (size_t)idx[j]) * inner, (size_t)inner);
            out += inner;
        }
}

/*@@ section reducemax */
/* Maximum over the middle axis of in viewed as [outer][red][inner] (ReduceMax over adjacent axes); input and
 * output share one quantization, so the result is the largest stored value. red >= 1. */
void ef_reduce_max_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t red, int32_t inner)
{
    int32_t o, r, i;
    for (o = 0; o < outer; ++o) {
        const int8_t *x = in + (size_t)o * red * inner;
        for (i = 0; i < inner; ++i) {
            int8_t m = x[i];
            for (r = 1; r < red; ++r) {
                const int8_t v = x[(size_t)r * inner + i];
                if (v > m) m = v;
            }
            out[(size_t)o * inner + i] = m;
        }
    }
}

/*@@ section resizenn deps=copy */
/* Nearest-neighbour resize of NHWC int8 data: output row oy reads input row ty[oy], column ox reads tx[ox]
 * (tables computed at generation time with the model's coordinate and rounding modes). */
void ef_resize_nearest_s8(const int8_t *in, int8_t *out, int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh,
                          int32_t ow, const int32_t *ty, const int32_t *tx)
{
    int32_t b, y, x;
    for (b = 0; b < n; ++b)
        for (y = 0; y < oh; ++y) {
            const int8_t *row = in + ((size_t)b * h + (size_t)ty[y]) * w * c;
            for (x = 0; x < ow; ++x) {
                ef_copy(out, row + (size_t)tx[x] * c, (size_t)c);
                out += c;
            }
        }
}
