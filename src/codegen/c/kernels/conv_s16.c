/* espforge portable kernels: 16x8 convolution (int16 activations, int8 weights, int64 bias): generic and depthwise.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
 * skipped. The int64 sum is built from int32 partial sums of at most 511 products: |w * x| <= 128 * 32768 = 2^22,
 * so a partial stays below 2^31 (512 products of -128 * -32768 would reach it) and the int64 total is exactly the sum of the products (on rv32 a 64-bit add per
 * product would cost about three times the multiply-accumulate). */
void ef_conv_s16(const int16_t *in, int ih, int iw, int ic, const int8_t *w, const int64_t *bias,
                 int16_t *out, int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh, int dw,
                 int pad_t, int pad_l, int groups, const int32_t *mult, const int32_t *shift, int acc64,
                 int32_t act_min, int32_t act_max)
{
    const int icg = ic / groups;
    const int cpg = oc / groups;
    /* products per partial sum: whole windows when they hold at most 511 products, else chunks of a tap row */
    const int chunk = icg < 511 ? icg : 511;
    const int whole = kh * kw * icg <= 511;
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

/*@@ section convb16 deps=common,taps,conv16 */
/* 16x8 convolution without groups or horizontal dilation, int64 accumulator, also fully connected (ih = rows,
 * iw = kh = kw = 1): the filter packed like the int8 blocked kernel's (output-channel blocks of 8 / 4 / 1 as
 * [ky][kx][c][B]). Products go into int32 partial sums of at most 511 (|w * x| <= 2^22, so a partial stays below
 * 2^31 and the int64 total is exactly the sum of the products), added to the int64 bias and requantized with TFLM's
 * int64 overload. Pixel pairs whose windows lie inside the input (window rows of run = kw * ic <= 511 values) share
 * each filter byte between two multiply-adds; other pixels sum their in-bounds taps (16x8 has no zero points). */
#define EF_CS8(t) \
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

/* two interior pixels (x, x + pstep), 8 channels: kh window rows of run values rstep apart, rpg rows per partial */
static void ef_convb16_p8(const int16_t *x, size_t pstep, size_t rstep, int kh, int run, int rpg, const int8_t *wp,
                          int64_t *sa, int64_t *sb)
{
    const int r4 = run & ~3;
    int ky = 0, k;
    while (ky < kh) {
        const int kend = kh - ky > rpg ? ky + rpg : kh;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int32_t b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
        for (; ky < kend; ++ky) {
            const int16_t *xa = x + (size_t)ky * rstep;
            const int16_t *xb = xa + pstep;
            const int16_t *const xe = xa + r4;
            while (xa != xe) {
                EF_CS8(0) EF_CS8(1) EF_CS8(2) EF_CS8(3)
                xa += 4;
                xb += 4;
                wp += 32;
            }
            for (k = r4; k < run; ++k) {
                EF_CS8(0)
                ++xa;
                ++xb;
                wp += 8;
            }
        }
        sa[0] += a0; sa[1] += a1; sa[2] += a2; sa[3] += a3; sa[4] += a4; sa[5] += a5; sa[6] += a6; sa[7] += a7;
        sb[0] += b0; sb[1] += b1; sb[2] += b2; sb[3] += b3; sb[4] += b4; sb[5] += b5; sb[6] += b6; sb[7] += b7;
    }
}
#undef EF_CS8

/* the same for a block of B = 4 or 1 channels */
static void ef_convb16_pn(const int16_t *x, size_t pstep, size_t rstep, int kh, int run, int rpg, const int8_t *wp,
                          int B, int64_t *sa, int64_t *sb)
{
    int ky = 0, k, j;
    while (ky < kh) {
        const int kend = kh - ky > rpg ? ky + rpg : kh;
        int32_t a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
        for (; ky < kend; ++ky) {
            const int16_t *xa = x + (size_t)ky * rstep;
            const int16_t *xb = xa + pstep;
            for (k = 0; k < run; ++k, wp += B) {
                const int32_t u = xa[k], v = xb[k];
                for (j = 0; j < B; ++j) {
                    a[j] += wp[j] * u;
                    b[j] += wp[j] * v;
                }
            }
        }
        for (j = 0; j < B; ++j) {
            sa[j] += a[j];
            sb[j] += b[j];
        }
    }
}

/* one pixel, one block of B channels: in-bounds taps ky in [ky0, ky1), kx in [kx0, kx1), partials of <= 511 */
static void ef_convb16_one(const int16_t *in, int iw, int ic, int iy0, int dh, int ky0, int ky1, int ix0, int kx0,
                           int kx1, int kw, const int8_t *wb, int B, int64_t *acc)
{
    const int run = (kx1 - kx0) * ic;
    int ky, k0, k, j;
    for (ky = ky0; ky < ky1; ++ky) {
        const int16_t *xp = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0) * ic;
        const int8_t *wp = wb + ((size_t)ky * kw + kx0) * ic * B;
        for (k0 = 0; k0 < run; k0 += 511) {
            const int k1 = run - k0 > 511 ? k0 + 511 : run;
            if (B == 8) {
                int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
                for (k = k0; k < k1; ++k, wp += 8) {
                    const int32_t u = xp[k];
                    a0 += wp[0] * u; a1 += wp[1] * u; a2 += wp[2] * u; a3 += wp[3] * u;
                    a4 += wp[4] * u; a5 += wp[5] * u; a6 += wp[6] * u; a7 += wp[7] * u;
                }
                acc[0] += a0; acc[1] += a1; acc[2] += a2; acc[3] += a3;
                acc[4] += a4; acc[5] += a5; acc[6] += a6; acc[7] += a7;
            } else {
                int32_t a[4] = {0, 0, 0, 0};
                for (k = k0; k < k1; ++k, wp += B) {
                    const int32_t u = xp[k];
                    for (j = 0; j < B; ++j) a[j] += wp[j] * u;
                }
                for (j = 0; j < B; ++j) acc[j] += a[j];
            }
        }
    }
}

static void ef_convb16_out(const int64_t *acc, const int64_t *bias, int16_t *op, int o, int B, const int32_t *mult,
                           const int32_t *shift, int32_t act_min, int32_t act_max)
{
    int j;
    for (j = 0; j < B; ++j) {
        const int32_t v = ef_mbqm64(acc[j] + (bias ? bias[o + j] : 0), mult[o + j], shift[o + j]);
        op[o + j] = (int16_t)ef_clamp(v, act_min, act_max);
    }
}

void ef_convb_s16(const int16_t *in, int ih, int iw, int ic, const int8_t *w, const int64_t *bias, int16_t *out,
                  int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh, int pad_t, int pad_l,
                  const int32_t *mult, const int32_t *shift, int32_t act_min, int32_t act_max)
{
    const int ksz = kh * kw * ic;
    const int run = kw * ic;
    const int rpg = run <= 511 ? 511 / run : 0;
    const size_t pstep = (size_t)sw * ic;
    const size_t rstep = (size_t)dh * iw * ic;
    int oy, ox, o, j;
    for (oy = 0; oy < oh; ++oy) {
        const int iy0 = oy * sh - pad_t;
        int ky0, ky1;
        ef_tap_range(iy0, kh, dh, ih, &ky0, &ky1);
        for (ox = 0; ox < ow;) {
            const int ix0 = ox * sw - pad_l;
            int16_t *op = out + ((size_t)oy * ow + ox) * oc;
            if (rpg > 0 && ky0 == 0 && ky1 == kh && ix0 >= 0 && ox + 1 < ow && ix0 + sw + kw <= iw) {
                const int16_t *xp = in + ((size_t)iy0 * iw + ix0) * ic;
                for (o = 0; o < oc;) {
                    const int B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
                    int64_t sa[8], sb[8];
                    for (j = 0; j < B; ++j) sa[j] = sb[j] = 0;
                    if (B == 8) ef_convb16_p8(xp, pstep, rstep, kh, run, rpg, w + (size_t)o * ksz, sa, sb);
                    else ef_convb16_pn(xp, pstep, rstep, kh, run, rpg, w + (size_t)o * ksz, B, sa, sb);
                    ef_convb16_out(sa, bias, op, o, B, mult, shift, act_min, act_max);
                    ef_convb16_out(sb, bias, op + oc, o, B, mult, shift, act_min, act_max);
                    o += B;
                }
                ox += 2;
            } else {
                int kx0, kx1;
                ef_tap_range(ix0, kw, 1, iw, &kx0, &kx1);
                for (o = 0; o < oc;) {
                    const int B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
                    int64_t acc[8];
                    for (j = 0; j < B; ++j) acc[j] = 0;
                    ef_convb16_one(in, iw, ic, iy0, dh, ky0, ky1, ix0, kx0, kx1, kw, w + (size_t)o * ksz, B, acc);
                    ef_convb16_out(acc, bias, op, o, B, mult, shift, act_min, act_max);
                    o += B;
                }
                ++ox;
            }
        }
    }
}

/*@@ section rq16i deps=common */
/* TFLM's 16x8 requantization (the int64 overload, ef_mbqm64: (x * m16 + 2^(ts-1)) >> ts with m16 the Q31 multiplier
 * rounded to 16 bits and ts = 15 - shift) of an int32 sum x, for ts >= 16 (a right shift of at least one in TFLM's
 * terms; the emitter gives these kernels only such layers), in 32-bit pieces: with x = xh * 2^16 + xl
 * (0 <= xl < 2^16, |xh| <= 2^15) and r = ts - 16, the result is (xh * m16 + rh + ((xl * m16 + rl) >> 16)) >> r,
 * where rh * 2^16 + rl = 2^(ts-1) (r = 0: rh = 0, rl = 2^15; r >= 1: rh = 2^(r-1), rl = 0): x * m16 = xh * m16 * 2^16
 * + xl * m16, and the floor of a sum with a multiple of 2^16 splits (|xh * m16| <= 2^30, rh <= 2^29,
 * (xl * m16 + rl) >> 16 < 2^15: no overflow; the result is below 2^31 in magnitude, so TFLM's truncation to int32
 * changes nothing). rq holds two words per output channel, precomputed by the emitter (rq16Words in
 * src/codegen/c/ops/conv.ts): m16 | r << 16 | (rl ? 1 << 24 : 0), and rh. */
static inline int16_t ef_rq16i(int32_t x, const int32_t *rq, int32_t lo, int32_t hi)
{
    const uint32_t p = (uint32_t)rq[0];
    const int32_t m16 = (int32_t)(p & 0xFFFFu);
    const uint32_t xl = (uint32_t)x & 0xFFFFu;
    const uint32_t rl = (p >> 9) & 0x8000u;
    int32_t v = ((x >> 16) * m16 + rq[1] + (int32_t)((xl * (uint32_t)m16 + rl) >> 16)) >> ((p >> 16) & 0xFFu);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int16_t)v;
}

/*@@ section convb16i deps=common,taps,conv16,rq16i */
/* 16x8 convolution with the filter packing and arguments of convb16, for layers whose sums of products provably fit
 * int32: the emitter checked, from the actual weights, 32768 * sum |w[o, ...]| (+ |bias[o]| unless wide) < 2^31 for
 * every output channel o. Each product is at most 32768 |w| in magnitude, so any subset of a window's products
 * (plus the bias) stays inside int32: accumulating in int32 gives exactly TFLM's int64 sum, with no partial sums to
 * widen. wide = 0: the sums start at the int32 bias (or 0) and are requantized by ef_rq16i (section rq16i, two
 * words per channel). wide = 1, for layers whose int64 bias B does not fit beside the products (a first layer with
 * a small input scale): the sums start at 0 and TFLM's ((B + S) * m16 + 2^(ts-1)) >> ts (ef_mbqm64, truncated to
 * int32) is computed as (C + S * m16) >> ts with C = B * m16 + 2^(ts-1) precomputed in int64 by the emitter; four
 * words per channel: C (low, high), m16, ts (|B| < 2^47, so C and C + S * m16 stay far inside int64). */
static inline int16_t ef_rq16w(int32_t s, const int32_t *q, int32_t lo, int32_t hi)
{
    const int64_t c = (int64_t)(((uint64_t)(uint32_t)q[1] << 32) | (uint32_t)q[0]);
    int32_t v = (int32_t)((c + (int64_t)s * q[2]) >> q[3]);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int16_t)v;
}

static inline void ef_cb16i_store(const int32_t *acc, int16_t *op, int B, const int32_t *rq, int wide, int32_t lo,
                                  int32_t hi)
{
    int j;
    if (wide)
        for (j = 0; j < B; ++j) op[j] = ef_rq16w(acc[j], rq + 4 * j, lo, hi);
    else
        for (j = 0; j < B; ++j) op[j] = ef_rq16i(acc[j], rq + 2 * j, lo, hi);
}

/* two pixels */
static inline void ef_cb16i_store2(const int32_t *acc, const int32_t *acc2, int16_t *oa, int16_t *ob, int B,
                                   const int32_t *rq, int wide, int32_t lo, int32_t hi)
{
    int j;
    if (wide)
        for (j = 0; j < B; ++j) {
            oa[j] = ef_rq16w(acc[j], rq + 4 * j, lo, hi);
            ob[j] = ef_rq16w(acc2[j], rq + 4 * j, lo, hi);
        }
    else
        for (j = 0; j < B; ++j) {
            oa[j] = ef_rq16i(acc[j], rq + 2 * j, lo, hi);
            ob[j] = ef_rq16i(acc2[j], rq + 2 * j, lo, hi);
        }
}

#define EF_CI8(t) \
    { \
        const int32_t u = xa[t], v = xb[t]; \
        int32_t q; \
        q = wp[8 * (t)]; a[0] += q * u; b[0] += q * v; \
        q = wp[8 * (t) + 1]; a[1] += q * u; b[1] += q * v; \
        q = wp[8 * (t) + 2]; a[2] += q * u; b[2] += q * v; \
        q = wp[8 * (t) + 3]; a[3] += q * u; b[3] += q * v; \
        q = wp[8 * (t) + 4]; a[4] += q * u; b[4] += q * v; \
        q = wp[8 * (t) + 5]; a[5] += q * u; b[5] += q * v; \
        q = wp[8 * (t) + 6]; a[6] += q * u; b[6] += q * v; \
        q = wp[8 * (t) + 7]; a[7] += q * u; b[7] += q * v; \
    }

/* two interior pixels (x, x + pstep), 8 channels, sums started at the bias in a[] and b[] */
static void ef_cb16i_p8(const int16_t *x, size_t pstep, size_t rstep, int kh, int run, const int8_t *wp, int32_t *a,
                        int32_t *b)
{
    int ky;
    for (ky = 0; ky < kh; ++ky) {
        const int16_t *xa = x + (size_t)ky * rstep;
        const int16_t *xb = xa + pstep;
        const int16_t *const xe = xa + run;
        while (xa != xe) {
            EF_CI8(0)
            ++xa;
            ++xb;
            wp += 8;
        }
    }
}
#undef EF_CI8

void ef_convb_s16i(const int16_t *in, int ih, int iw, int ic, const int8_t *w, const int32_t *bias, int16_t *out,
                   int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh, int pad_t, int pad_l,
                   const int32_t *rq, int wide, int32_t act_min, int32_t act_max)
{
    const int rqw = wide ? 4 : 2;
    const int ksz = kh * kw * ic;
    const int run = kw * ic;
    const size_t pstep = (size_t)sw * ic;
    const size_t rstep = (size_t)dh * iw * ic;
    int oy, ox, o, j;
    for (oy = 0; oy < oh; ++oy) {
        const int iy0 = oy * sh - pad_t;
        int ky0, ky1;
        ef_tap_range(iy0, kh, dh, ih, &ky0, &ky1);
        for (ox = 0; ox < ow;) {
            const int ix0 = ox * sw - pad_l;
            int16_t *op = out + ((size_t)oy * ow + ox) * oc;
            if (ky0 == 0 && ky1 == kh && ix0 >= 0 && ox + 1 < ow && ix0 + sw + kw <= iw) {
                const int16_t *xp = in + ((size_t)iy0 * iw + ix0) * ic;
                for (o = 0; o < oc;) {
                    const int B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
                    const int8_t *wb = w + (size_t)o * ksz;
                    int32_t a[8], b[8];
                    for (j = 0; j < B; ++j) a[j] = b[j] = bias ? (int32_t)bias[o + j] : 0;
                    if (B == 8) ef_cb16i_p8(xp, pstep, rstep, kh, run, wb, a, b);
                    else {
                        int ky, k;
                        for (ky = 0; ky < kh; ++ky) {
                            const int16_t *xa = xp + (size_t)ky * rstep;
                            const int16_t *xb = xa + pstep;
                            for (k = 0; k < run; ++k, wb += B)
                                for (j = 0; j < B; ++j) {
                                    a[j] += wb[j] * xa[k];
                                    b[j] += wb[j] * xb[k];
                                }
                        }
                    }
                    ef_cb16i_store2(a, b, op + o, op + oc + o, B, rq + rqw * o, wide, act_min, act_max);
                    o += B;
                }
                ox += 2;
            } else {
                int kx0, kx1;
                ef_tap_range(ix0, kw, 1, iw, &kx0, &kx1);
                for (o = 0; o < oc;) {
                    const int B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
                    const int8_t *wb = w + (size_t)o * ksz;
                    const int rn = (kx1 - kx0) * ic;
                    int32_t acc[8];
                    int ky, k;
                    for (j = 0; j < B; ++j) acc[j] = bias ? (int32_t)bias[o + j] : 0;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int16_t *xq = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0) * ic;
                        const int8_t *wp = wb + ((size_t)ky * kw + kx0) * ic * B;
                        if (B == 8) {
                            int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
                            int32_t a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
                            for (k = 0; k < rn; ++k, wp += 8) {
                                const int32_t u = xq[k];
                                a0 += wp[0] * u; a1 += wp[1] * u; a2 += wp[2] * u; a3 += wp[3] * u;
                                a4 += wp[4] * u; a5 += wp[5] * u; a6 += wp[6] * u; a7 += wp[7] * u;
                            }
                            acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
                            acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
                        } else {
                            for (k = 0; k < rn; ++k, wp += B)
                                for (j = 0; j < B; ++j) acc[j] += wp[j] * xq[k];
                        }
                    }
                    ef_cb16i_store(acc, op + o, B, rq + rqw * o, wide, act_min, act_max);
                    o += B;
                }
                ++ox;
            }
        }
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

/*@@ section dwconv16i deps=common,taps,rq16i */
/* 16x8 depthwise convolution (groups == ic, any channel multiplier, any kernel size, stride, dilation and padding)
 * for layers whose sums provably fit int32: the emitter checked |bias[o]| + 32768 * sum |w[o, ...]| < 2^31 per
 * output channel (as for convb16i), so each channel's sum runs in one int32 register from the bias and equals
 * TFLM's int64 sum. The filter keeps its [OC][KH][KW] layout and the bias is int32 (zeros when the layer has none).
 * Requantization ef_rq16i (section rq16i: TFLM's int64 overload in 32-bit pieces, for ts = 15 - shift >= 16, the
 * emitter's condition for this kernel). Padding taps add nothing (16x8 has no zero points). Walk (dwconv16iWalk in src/codegen/c/ops/conv.ts): raster, within a pixel channel by
 * channel (windows wholly inside a 3x3 layer: channels in pairs), each stored as soon as its window is summed,
 * reading only its own input channel. */
#if defined(__GNUC__)
#define EF_DW16I_OWN __attribute__((noinline))
#else
#define EF_DW16I_OWN
#endif
static EF_DW16I_OWN void ef_dw16i_px3(const int16_t *x, size_t rs, size_t cs, const int8_t *wc, const int32_t *bc, const int32_t *qc,
                         int16_t *op, int oc, int32_t lo, int32_t hi)
{
    const int16_t *r0 = x, *r1 = x + rs, *r2 = x + 2 * rs;
    int16_t *const oe = op + (oc & ~1);
    for (; op != oe; op += 2, r0 += 2, r1 += 2, r2 += 2, wc += 18, bc += 2, qc += 4) {
        const int16_t *p0 = r0 + cs, *p1 = r1 + cs, *p2 = r2 + cs;
        const int16_t *q0 = p0 + cs, *q1 = p1 + cs, *q2 = p2 + cs;
        int32_t a = bc[0], b = bc[1];
        a += wc[0] * r0[0] + wc[1] * p0[0] + wc[2] * q0[0];
        b += wc[9] * r0[1] + wc[10] * p0[1] + wc[11] * q0[1];
        a += wc[3] * r1[0] + wc[4] * p1[0] + wc[5] * q1[0];
        b += wc[12] * r1[1] + wc[13] * p1[1] + wc[14] * q1[1];
        a += wc[6] * r2[0] + wc[7] * p2[0] + wc[8] * q2[0];
        b += wc[15] * r2[1] + wc[16] * p2[1] + wc[17] * q2[1];
        op[0] = ef_rq16i(a, qc, lo, hi);
        op[1] = ef_rq16i(b, qc + 2, lo, hi);
    }
    if (oc & 1) {
        int32_t a = *bc;
        a += wc[0] * r0[0] + wc[1] * r0[cs] + wc[2] * r0[2 * cs];
        a += wc[3] * r1[0] + wc[4] * r1[cs] + wc[5] * r1[2 * cs];
        a += wc[6] * r2[0] + wc[7] * r2[cs] + wc[8] * r2[2 * cs];
        *op = ef_rq16i(a, qc, lo, hi);
    }
}

void ef_dwconv_s16i(const int16_t *in, int ih, int iw, int ic, int mult_ch, const int8_t *w, const int32_t *bias,
                    int16_t *out, int oh, int ow, int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l,
                    const int32_t *rq, int32_t lo, int32_t hi)
{
    const int oc = ic * mult_ch;
    const int kk = kh * kw;
    const size_t rs = (size_t)iw * ic;
    const size_t cs = (size_t)ic;
    const int fast3 = kh == 3 && kw == 3 && dh == 1 && dw == 1 && mult_ch == 1;
    int oy, ox, c;
    for (oy = 0; oy < oh; ++oy) {
        const int iy0 = oy * sh - pad_t;
        int ky0, ky1;
        ef_tap_range(iy0, kh, dh, ih, &ky0, &ky1);
        for (ox = 0; ox < ow; ++ox) {
            const int ix0 = ox * sw - pad_l;
            int16_t *op = out + ((size_t)oy * ow + ox) * oc;
            int kx0, kx1;
            ef_tap_range(ix0, kw, dw, iw, &kx0, &kx1);
            if (fast3 && ky0 == 0 && ky1 == 3 && kx0 == 0 && kx1 == 3) {
                ef_dw16i_px3(in + (size_t)iy0 * rs + (size_t)ix0 * cs, rs, cs, w, bias, rq, op, oc, lo, hi);
            } else if (ky0 >= ky1 || kx0 >= kx1) {
                /* no tap inside: the bias alone */
                for (c = 0; c < oc; ++c) op[c] = ef_rq16i(bias[c], rq + 2 * c, lo, hi);
            } else {
                /* the in-bounds taps [ky0, ky1) x [kx0, kx1) of each channel's window; input channel ci = c / mult_ch */
                const int16_t *x0 = in + ((size_t)(iy0 + ky0 * dh) * iw + ix0 + kx0 * dw) * cs;
                const size_t rstep = (size_t)dh * rs, xstep = (size_t)dw * cs;
                const int nx = kx1 - kx0;
                int ci = 0, m = 0;
                for (c = 0; c < oc; ++c) {
                    const int8_t *wr = w + (size_t)c * kk + (size_t)ky0 * kw + kx0;
                    const int16_t *xr = x0 + ci;
                    int32_t a = bias[c];
                    int ky, kx;
                    for (ky = ky0; ky < ky1; ++ky, wr += kw) {
                        const int16_t *xp = xr;
                        for (kx = 0; kx < nx; ++kx, xp += xstep) a += wr[kx] * *xp;
                        if (ky + 1 < ky1) xr += rstep;
                    }
                    op[c] = ef_rq16i(a, rq + 2 * c, lo, hi);
                    if (++m == mult_ch) {
                        m = 0;
                        ++ci;
                    }
                }
            }
        }
    }
}
#undef EF_DW16I_OWN
