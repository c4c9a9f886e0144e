/* espforge portable kernels: int8 convolution: direct (any group), 1x1 as a column-blocked GEMM (also FullyConnected),
 * depthwise; window tap ranges.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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

/*@@ section conv deps=common,rq,taps */
/* General int8 convolution, NHWC input, OHWI filter, optional groups and dilation.
 * bias_adj[o] = bias[o] - in_zp * sum(w[o,...]) was folded at generation time, so a window entirely inside the
 * input needs no zero-point work: acc = bias_adj + sum(w * x). A window that crosses the border sums only its
 * in-bounds taps (TFLM skips padding taps): acc = bias + sum(w * x) - in_zp * sum(w) over those taps. */
void ef_conv_s8(const int8_t *in, int ih, int iw, int ic,
                const int8_t *w, const int32_t *bias_adj, const int32_t *bias,
                int8_t *out, int oh, int ow, int oc,
                int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l, int groups,
                int32_t in_zp, int32_t out_zp, const int32_t *rq_m, const uint8_t *rq_s,
                int32_t act_min, int32_t act_max)
{
    const ef_rqt rq = {rq_m, rq_s};
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

/*@@ section convb deps=common,rq,taps */
/* int8 convolution without groups or horizontal dilation (3x3, 5x5, ... kernels), the filter packed at generation
 * time in output-channel blocks like the GEMM's: 8 channels while 8 remain, then 4, then single channels; the block
 * of width B starting at channel o holds [ky][kx][c][B] at w + o * ksz, so one pointer walks it. Pixels whose
 * window lies inside the input go two at a time through a 2-pixel x B-channel tile started from bias_adj (zero
 * point folded): each filter byte feeds two multiply-adds and a window row is one run of kw * ic bytes. Other
 * pixels sum their in-bounds taps of w * (x - in_zp) from the raw bias (TFLM skips padding taps). */
#define EF_CB8(t) \
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
#define EF_CB4(t) \
    { \
        const int32_t u = xa[t], v = xb[t]; \
        int32_t q; \
        q = wp[4 * (t)]; a0 += q * u; b0 += q * v; \
        q = wp[4 * (t) + 1]; a1 += q * u; b1 += q * v; \
        q = wp[4 * (t) + 2]; a2 += q * u; b2 += q * v; \
        q = wp[4 * (t) + 3]; a3 += q * u; b3 += q * v; \
    }

/* two interior pixels (x, x + pstep), 8 channels: kh window rows of run bytes, rstep bytes apart */
static void ef_convb_p8(const int8_t *x, size_t pstep, size_t rstep, int kh, int run, const int8_t *wp,
                        const int32_t *bias, int8_t *oa, int8_t *ob, ef_rqt rq, int c, int32_t zp,
                        int32_t lo, int32_t hi)
{
    uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    uint32_t a4 = bias[4], a5 = bias[5], a6 = bias[6], a7 = bias[7];
    uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
    int ky;
    for (ky = 0; ky < kh; ++ky) {
        const int8_t *xa = x + (size_t)ky * rstep;
        const int8_t *xb = xa + pstep;
        const int8_t *const xe = xa + run;
        while (xa != xe) {
            EF_CB8(0)
            ++xa;
            ++xb;
            wp += 8;
        }
    }
    ef_rq_ch2(a0, b0, oa, ob, rq, c, zp, lo, hi);
    ef_rq_ch2(a1, b1, oa + 1, ob + 1, rq, c + 1, zp, lo, hi);
    ef_rq_ch2(a2, b2, oa + 2, ob + 2, rq, c + 2, zp, lo, hi);
    ef_rq_ch2(a3, b3, oa + 3, ob + 3, rq, c + 3, zp, lo, hi);
    ef_rq_ch2(a4, b4, oa + 4, ob + 4, rq, c + 4, zp, lo, hi);
    ef_rq_ch2(a5, b5, oa + 5, ob + 5, rq, c + 5, zp, lo, hi);
    ef_rq_ch2(a6, b6, oa + 6, ob + 6, rq, c + 6, zp, lo, hi);
    ef_rq_ch2(a7, b7, oa + 7, ob + 7, rq, c + 7, zp, lo, hi);
}

/* the same tile for a block of 4 channels */
static void ef_convb_p4(const int8_t *x, size_t pstep, size_t rstep, int kh, int run, const int8_t *wp,
                        const int32_t *bias, int8_t *oa, int8_t *ob, ef_rqt rq, int c, int32_t zp,
                        int32_t lo, int32_t hi)
{
    uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
    uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    int ky;
    for (ky = 0; ky < kh; ++ky) {
        const int8_t *xa = x + (size_t)ky * rstep;
        const int8_t *xb = xa + pstep;
        const int8_t *const xe = xa + run;
        while (xa != xe) {
            EF_CB4(0)
            ++xa;
            ++xb;
            wp += 4;
        }
    }
    ef_rq_ch2(a0, b0, oa, ob, rq, c, zp, lo, hi);
    ef_rq_ch2(a1, b1, oa + 1, ob + 1, rq, c + 1, zp, lo, hi);
    ef_rq_ch2(a2, b2, oa + 2, ob + 2, rq, c + 2, zp, lo, hi);
    ef_rq_ch2(a3, b3, oa + 3, ob + 3, rq, c + 3, zp, lo, hi);
}
#undef EF_CB8
#undef EF_CB4

/* one pixel, one block of B channels (B = 8, 4 or 1): in-bounds taps ky in [ky0, ky1), kx in [kx0, kx1) */
static void ef_convb_one(const int8_t *in, int iw, int ic, int iy0, int dh, int ky0, int ky1, int ix0, int kx0,
                         int kx1, int kw, const int8_t *wb, int B, uint32_t *acc, int32_t in_zp)
{
    const int run = (kx1 - kx0) * ic;
    int ky, k, j;
    for (ky = ky0; ky < ky1; ++ky) {
        const int8_t *xp = in + ((size_t)(iy0 + ky * dh) * iw + ix0 + kx0) * ic;
        const int8_t *wp = wb + ((size_t)ky * kw + kx0) * ic * B;
/*@@ if convb.b8 */
        if (B == 8) {
            uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
            for (k = 0; k < run; ++k, wp += 8) {
                const int32_t u = xp[k] - in_zp;
                a0 += wp[0] * u; a1 += wp[1] * u; a2 += wp[2] * u; a3 += wp[3] * u;
                a4 += wp[4] * u; a5 += wp[5] * u; a6 += wp[6] * u; a7 += wp[7] * u;
            }
            acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
        } else
/*@@ endif */
        {
            for (k = 0; k < run; ++k, wp += B) {
                const int32_t u = xp[k] - in_zp;
                for (j = 0; j < B; ++j) acc[j] += wp[j] * u;
            }
        }
    }
}

void ef_convb_s8(const int8_t *in, int ih, int iw, int ic, const int8_t *w, const int32_t *bias_adj,
                 const int32_t *bias, int8_t *out, int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh,
                 int pad_t, int pad_l, int32_t in_zp, int32_t out_zp, const int32_t *rq_m, const uint8_t *rq_s, int32_t act_min,
                 int32_t act_max)
{
    const ef_rqt rq = {rq_m, rq_s};
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
            int8_t *op = out + ((size_t)oy * ow + ox) * oc;
            if (ky0 == 0 && ky1 == kh && ix0 >= 0 && ox + 1 < ow && ix0 + sw + kw <= iw) {
                const int8_t *xp = in + ((size_t)iy0 * iw + ix0) * ic;
                o = 0;
                /* optional blocks per output-channel block width of the packed filter (columnBlocks in
                 * src/codegen/c/lowering.ts names the ones a layer reaches; a model keeps only those) */
/*@@ if convb.b8 */
                for (; o + 8 <= oc; o += 8)
                    ef_convb_p8(xp, pstep, rstep, kh, run, w + (size_t)o * ksz, bias_adj + o, op + o, op + oc + o, rq, o, out_zp, act_min, act_max);
/*@@ endif */
/*@@ if convb.b4 */
                if (o + 4 <= oc) {
                    ef_convb_p4(xp, pstep, rstep, kh, run, w + (size_t)o * ksz, bias_adj + o, op + o, op + oc + o, rq, o, out_zp, act_min, act_max);
                    o += 4;
                }
/*@@ endif */
/*@@ if convb.b1 */
                for (; o < oc; ++o) {
                    const int8_t *wp = w + (size_t)o * ksz;
                    uint32_t a = bias_adj[o], b = a;
                    int ky, k;
                    for (ky = 0; ky < kh; ++ky) {
                        const int8_t *xa = xp + (size_t)ky * rstep;
                        const int8_t *xb = xa + pstep;
                        for (k = 0; k < run; ++k, ++wp) {
                            a += *wp * xa[k];
                            b += *wp * xb[k];
                        }
                    }
                    ef_rq_ch2(a, b, op + o, op + oc + o, rq, o, out_zp, act_min, act_max);
                }
/*@@ endif */
                ox += 2;
            } else {
                int kx0, kx1;
                ef_tap_range(ix0, kw, 1, iw, &kx0, &kx1);
                for (o = 0; o < oc;) {
                    const int B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
                    uint32_t acc[8];
                    for (j = 0; j < B; ++j) acc[j] = (uint32_t)bias[o + j];
                    ef_convb_one(in, iw, ic, iy0, dh, ky0, ky1, ix0, kx0, kx1, kw, w + (size_t)o * ksz, B, acc, in_zp);
                    for (j = 0; j < B; ++j) op[o + j] = ef_rq_ch(acc[j], rq, o + j, out_zp, act_min, act_max);
                    o += B;
                }
                ++ox;
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
 * registers: each k costs 10 loads and 16 multiply-adds. Its loop takes two k per turn, column by column
 * (EF_G8K2: acc += w[k][j] * x[k] + w[k+1][j] * x[k+1], the form gcc's re-association keeps), 88 rv32
 * instructions per 32 multiply-adds against 46 per 16 one k at a time; a depth that is odd ends with one EF_G8
 * step. Unrolled row by row (EF_G8 twice or four times) gcc re-associates each accumulator's sum over the k of
 * a turn, hoists their loads and spills accumulators on rv32. */
#define EF_G8K2(j) \
    q0 = wp[j]; \
    q1 = wp[8 + (j)]; \
    a##j += q0 * u0 + q1 * u1; \
    b##j += q0 * v0 + q1 * v1;
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

/* per-call constants of a GEMM, read by its tiles from memory after each tile's stores (int8 stores may alias
 * them, so gcc reloads them where used instead of keeping them in registers and spilling them around every tile) */
typedef struct {
    ef_rqt rq;
    int32_t zp, lo, hi;
} ef_gemmk;

/* 8 columns: rows two at a time */
static void ef_gemm_b8(const int8_t *x, int rows, int depth, const int8_t *wb, const int32_t *bias, int8_t *out,
                       int cols, const ef_gemmk *k, int o)
{
    int p = 0;
    for (; p + 2 <= rows; p += 2) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *xb = xa + depth;
        const int8_t *const xe = xa + depth;
        const int8_t *const xe2 = xa + (depth & ~1);
        const int8_t *wp = wb;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t a4 = bias[4], a5 = bias[5], a6 = bias[6], a7 = bias[7];
        uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3, b4 = a4, b5 = a5, b6 = a6, b7 = a7;
        while (xa != xe2) {
            const int32_t u0 = xa[0], v0 = xb[0], u1 = xa[1], v1 = xb[1];
            int32_t q0, q1;
            EF_G8K2(0) EF_G8K2(1) EF_G8K2(2) EF_G8K2(3) EF_G8K2(4) EF_G8K2(5) EF_G8K2(6) EF_G8K2(7)
            xa += 2;
            xb += 2;
            wp += 16;
        }
        if (xa != xe) EF_G8(0)
        {
            /* read after the k loop: nothing of the epilogue is live across it */
            const ef_rqt rq = ef_rq_at(k->rq, o);
            const int32_t zp = k->zp, lo = k->lo, hi = k->hi;
            int8_t *const oa = out + (size_t)p * cols;
            int8_t *const ob = oa + cols;
            ef_rq_ch2(a0, b0, oa, ob, rq, 0, zp, lo, hi);
            ef_rq_ch2(a1, b1, oa + 1, ob + 1, rq, 1, zp, lo, hi);
            ef_rq_ch2(a2, b2, oa + 2, ob + 2, rq, 2, zp, lo, hi);
            ef_rq_ch2(a3, b3, oa + 3, ob + 3, rq, 3, zp, lo, hi);
            ef_rq_ch2(a4, b4, oa + 4, ob + 4, rq, 4, zp, lo, hi);
            ef_rq_ch2(a5, b5, oa + 5, ob + 5, rq, 5, zp, lo, hi);
            ef_rq_ch2(a6, b6, oa + 6, ob + 6, rq, 6, zp, lo, hi);
            ef_rq_ch2(a7, b7, oa + 7, ob + 7, rq, 7, zp, lo, hi);
        }
    }
    if (p < rows) {
        const ef_rqt rq = ef_rq_at(k->rq, o);
        const int32_t zp = k->zp, lo = k->lo, hi = k->hi;
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *const xe = xa + depth;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t a4 = bias[4], a5 = bias[5], a6 = bias[6], a7 = bias[7];
        while (xa != xe) {
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
                       int cols, int32_t zp, ef_rqt rq, int32_t lo, int32_t hi)
{
    int p = 0;
    for (; p + 2 <= rows; p += 2) {
        const int8_t *xa = x + (size_t)p * depth;
        const int8_t *xb = xa + depth;
        const int8_t *const xe = xa + depth;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        int8_t *ob = oa + cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        uint32_t b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        while (xa != xe) {
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
        const int8_t *const xe = xa + depth;
        const int8_t *wp = wb;
        int8_t *oa = out + (size_t)p * cols;
        uint32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
        while (xa != xe) {
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
#undef EF_G8K2
#undef EF_G8S
#undef EF_G4
#undef EF_G4S

/* rows in bands of `band` rows (at least 1), every column block of a band before the next band */
static void ef_gemm_bands(const int8_t *x, int rows, int depth, const int8_t *w, const int32_t *bias_adj, int8_t *out,
                          int cols, int32_t out_zp, ef_rqt rq, int32_t act_min, int32_t act_max, int band)
{
    int p0;
/*@@ if gemm.b8 */
    ef_gemmk k;
    k.rq = rq;
    k.zp = out_zp;
    k.lo = act_min;
    k.hi = act_max;
/*@@ endif */
    for (p0 = 0; p0 < rows; p0 += band) {
        const int n = rows - p0 < band ? rows - p0 : band;
        const int8_t *xp = x + (size_t)p0 * depth;
        int8_t *op = out + (size_t)p0 * cols;
        int o = 0;
        /* one optional block per column-block width of the packed filter (columnBlocks in src/codegen/c/lowering.ts
         * names the ones a layer's column count reaches; a model keeps only those) */
/*@@ if gemm.b8 */
        for (; o + 8 <= cols; o += 8)
            ef_gemm_b8(xp, n, depth, w + (size_t)o * depth, bias_adj + o, op + o, cols, &k, o);
/*@@ endif */
/*@@ if gemm.b4 */
        if (o + 4 <= cols) {
            ef_gemm_b4(xp, n, depth, w + (size_t)o * depth, bias_adj + o, op + o, cols, out_zp, ef_rq_at(rq, o), act_min, act_max);
            o += 4;
        }
/*@@ endif */
/*@@ if gemm.b1 */
        for (; o < cols; ++o) {
            const int8_t *w0 = w + (size_t)o * depth;
            int p, k;
            for (p = 0; p < n; ++p) {
                const int8_t *xa = xp + (size_t)p * depth;
                uint32_t a0 = bias_adj[o];
                for (k = 0; k < depth; ++k) a0 += w0[k] * xa[k];
                op[(size_t)p * cols + o] = ef_rq_ch(a0, rq, o, out_zp, act_min, act_max);
            }
        }
/*@@ endif */
    }
}

void ef_gemm_s8(const int8_t *x, int rows, int depth, const int8_t *w, const int32_t *bias_adj,
                int8_t *out, int cols, int32_t out_zp, const int32_t *rq_m, const uint8_t *rq_s, int32_t act_min, int32_t act_max)
{
    const ef_rqt rq = {rq_m, rq_s};
    /* column-major: one band of all rows, each column block's filter read once for all of them */
    ef_gemm_bands(x, rows, depth, w, bias_adj, out, cols, out_zp, rq, act_min, act_max, rows > 0 ? rows : 1);
}

/*@@ section gemmr deps=gemm */
/* The GEMM pixel-major: rows two at a time, every column block of a pair before the next pair (ef_gemm_bands with
 * bands of 2, in one call: the per-call setup is paid once, not per pair). Same arithmetic as ef_gemm_s8; used when
 * the memory plan lets the output overlap the input, which this order allows (a pair's stores only touch bytes of
 * rows already read, for a suitable offset). Memory walk declared in src/codegen/c/ops/conv.ts (gemmrWalk). */
void ef_gemmr_s8(const int8_t *x, int rows, int depth, const int8_t *w, const int32_t *bias_adj,
                 int8_t *out, int cols, int32_t out_zp, const int32_t *rq_m, const uint8_t *rq_s, int32_t act_min, int32_t act_max)
{
    const ef_rqt rq = {rq_m, rq_s};
    ef_gemm_bands(x, rows, depth, w, bias_adj, out, cols, out_zp, rq, act_min, act_max, 2);
}

/*@@ section dwconv deps=common,rq,taps */
/* Depthwise convolution, NHWC input; the filter was re-laid out at generation time as [kh][kw][oc] so the
 * channel loop is contiguous in input, filter and output. oc = ic * ch_mult. Interior windows start from
 * bias_adj (zero point folded); border windows sum in-bounds taps of w * (x - in_zp) from bias.
 * Walk order: output pixels in row-major order, all channels of a pixel together (pixel granularity). The 3x3
 * layers the emitter gives section dwc go channel by channel within each output row after the first instead. */
void ef_dwconv_s8(const int8_t *in, int ih, int iw, int ic, int ch_mult,
                  const int8_t *w, const int32_t *bias_adj, const int32_t *bias,
                  int8_t *out, int oh, int ow,
                  int kh, int kw, int sh, int sw, int dh, int dw, int pad_t, int pad_l,
                  int32_t in_zp, int32_t out_zp, const int32_t *rq_m, const uint8_t *rq_s,
                  int32_t act_min, int32_t act_max)
{
    const ef_rqt rq = {rq_m, rq_s};
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

/*@@ section dwq deps=common,rq */
/* requantize a depthwise sum with the channel's 2M and shift code in registers (sections dwc and dwn) */
static inline int8_t ef_dwc_q(uint32_t acc, uint32_t m2, int32_t sc, int32_t zp, int32_t lo, int32_t hi)
{
    /* the shift code of section rq: sc >= 32 is SRDHM(acc << (sc - 32), M), the shift wrapping like the simulator's;
     * rare (a rescale of at least 1/2), so laid out off the loop's straight path under GCC */
#if defined(__GNUC__)
    int32_t v = __builtin_expect(sc >= 32, 0) ? ef_srdhm2((int32_t)(acc << (sc - 32)), m2) : ef_rq_rs((int32_t)acc, m2, sc);
#else
    int32_t v = sc >= 32 ? ef_srdhm2((int32_t)(acc << (sc - 32)), m2) : ef_rq_rs((int32_t)acc, m2, sc);
#endif
    v = (int32_t)((uint32_t)v + (uint32_t)zp);
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return (int8_t)v;
}

/*@@ section dwc deps=dwconv,dwq */
/* Depthwise 3x3, ch_mult 1, dilation 1, horizontal stride 1 (0 <= pad_l <= 2) or 2 (0 <= pad_l <= 1), any vertical
 * stride and padding, for layers whose rows are wide enough to repay a per-row, per-channel setup of about 130 rv32
 * instructions (the emitter chooses it from 12 output pixels a row: src/codegen/c/ops/conv.ts). The filter
 * ([3][3][C]), bias_adj, bias and rq table of ef_dwconv_s8 (section dwconv), and the same bytes out.
 * Output row 0 goes through ef_dwconv_s8 (pixel by pixel: with the output overlapping the input, a first row
 * written channel by channel would have to start a whole output row before the input); then each output row
 * channel by channel, and for one channel the pixels left to right, each requantized and stored as soon as its
 * window is summed, a window reading only its own columns of its own rows of that channel (walk: dwcWalk in
 * src/codegen/c/ops/conv.ts, declared at stride 2). Per row and channel the nine weights go to registers. A window
 * row outside the input gets weight 0 and adds in_zp * (its weights) to bias_adj (= bias - in_zp * sum(w)); it
 * then reads a row inside the input, or row 0 when none is, times 0. A column outside the input reads the value
 * in_zp, so its taps add w * in_zp, cancelling their part of bias_adj: every sum equals TFLM's bias + sum over
 * in-bounds taps of w * (x - in_zp) (mod 2^32, as every accumulator here; int32 partials of at most 6 * 2^14 in
 * magnitude). Along a row each input column is loaded once: at stride 1 a window adds one column to two carried
 * partial sums (A = bias + P0(c - 2) + P1(c - 1), B = P0(c - 1), where column c feeds the window it starts with
 * weight column 0 (P0), the window before with column 1 (P1), the one before that with column 2 (P2)); at stride 2
 * two columns to one (C = P0 of column 2k, shared with the window before). */
#define EF_DWC_COL(R, J) ((unsigned)(J) < (unsigned)iw ? (int32_t)(R)[(size_t)(J) * icz] : in_zp)
#define EF_DWC_P0(U, V, T) (w0 * (U) + w3 * (V) + w6 * (T))
#define EF_DWC_P1(U, V, T) (w1 * (U) + w4 * (V) + w7 * (T))
#define EF_DWC_P2(U, V, T) (w2 * (U) + w5 * (V) + w8 * (T))
void ef_dwc_s8(const int8_t *in, int ih, int iw, int ic, const int8_t *w, const int32_t *bias_adj,
               const int32_t *bias_raw, int8_t *out, int oh, int ow, int sh, int sw, int pad_t, int pad_l, int32_t in_zp,
               int32_t zp, const int32_t *rq_m, const uint8_t *rq_s, int32_t lo, int32_t hi)
{
    const size_t icz = (size_t)ic;
    const size_t rowb = (size_t)iw * icz;
    const int j = -pad_l;
    /* windows whose columns all lie inside the input on the fast path (stride 1: the last column j + 2 + k < iw;
     * stride 2: j + 2k + 2 < iw, the first column j + 2k >= -1 being read through the carry) */
    const int kin = sw == 1 ? (iw - (j + 2) <= 0 ? 0 : iw - (j + 2)) : (iw - 3 - j < 0 ? 0 : (iw - 3 - j) / 2 + 1);
    const int nin = kin < ow ? kin : ow;
    int oy, c;
    if (oh <= 0) return;
    ef_dwconv_s8(in, ih, iw, ic, 1, w, bias_adj, bias_raw, out, 1, ow, 3, 3, sh, sw, 1, 1, pad_t, pad_l, in_zp, zp, rq_m,
                 rq_s, lo, hi);
    out += (size_t)ow * icz;
    for (oy = 1; oy < oh; ++oy, out += (size_t)ow * icz) {
        const int iy0 = oy * sh - pad_t;
        const int h0 = iy0 >= 0 && iy0 < ih, h1 = iy0 + 1 >= 0 && iy0 + 1 < ih, h2 = iy0 + 2 >= 0 && iy0 + 2 < ih;
        const int8_t *any = in + (size_t)(h0 ? iy0 : h1 ? iy0 + 1 : h2 ? iy0 + 2 : 0) * rowb;
        const int8_t *r0 = h0 ? in + (size_t)iy0 * rowb : any;
        const int8_t *r1 = h1 ? in + (size_t)(iy0 + 1) * rowb : any;
        const int8_t *r2 = h2 ? in + (size_t)(iy0 + 2) * rowb : any;
        for (c = 0; c < ic; ++c, ++r0, ++r1, ++r2) {
            const int8_t *wc = w + c;
            int32_t w0 = wc[0], w1 = wc[icz], w2 = wc[2 * icz], w3 = wc[3 * icz], w4 = wc[4 * icz], w5 = wc[5 * icz];
            int32_t w6 = wc[6 * icz], w7 = wc[7 * icz], w8 = wc[8 * icz];
            const uint32_t m2 = (uint32_t)rq_m[c];
            const int32_t sc = rq_s[c];
            int8_t *op = out + c;
            int8_t *const oend = op + (size_t)ow * icz;
            int8_t *const ofast = op + (size_t)nin * icz;
            int32_t miss = 0;
            uint32_t bias;
            if (!h0) { miss += w0 + w1 + w2; w0 = w1 = w2 = 0; }
            if (!h1) { miss += w3 + w4 + w5; w3 = w4 = w5 = 0; }
            if (!h2) { miss += w6 + w7 + w8; w6 = w7 = w8 = 0; }
            bias = (uint32_t)bias_adj[c] + (uint32_t)in_zp * (uint32_t)miss;
            if (sw == 1) {
                /* A = bias + P0(col - 2) + P1(col - 1), B = P0(col - 1); column col completes window col - 2 - j */
                uint32_t A, B;
                {
                    const int32_t u0 = EF_DWC_COL(r0, j), v0 = EF_DWC_COL(r1, j), t0 = EF_DWC_COL(r2, j);
                    const int32_t u1 = EF_DWC_COL(r0, j + 1), v1 = EF_DWC_COL(r1, j + 1), t1 = EF_DWC_COL(r2, j + 1);
                    A = bias + (uint32_t)(EF_DWC_P0(u0, v0, t0) + EF_DWC_P1(u1, v1, t1));
                    B = (uint32_t)EF_DWC_P0(u1, v1, t1);
                }
                {
                    const int8_t *p0 = r0 + (size_t)(j + 2) * icz, *p1 = r1 + (size_t)(j + 2) * icz, *p2 = r2 + (size_t)(j + 2) * icz;
                    while (op != ofast) {
                        const int32_t u = *p0, v = *p1, t = *p2;
                        const uint32_t S = A + (uint32_t)EF_DWC_P2(u, v, t);
                        p0 += icz; p1 += icz; p2 += icz;
                        A = bias + B + (uint32_t)EF_DWC_P1(u, v, t);
                        B = (uint32_t)EF_DWC_P0(u, v, t);
                        *op = ef_dwc_q(S, m2, sc, zp, lo, hi);
                        op += icz;
                    }
                }
                if (op != oend) {
                    /* the last column of every remaining window lies right of the input (column j + 2 + k >= iw for
                     * k >= nin): it reads in_zp */
                    const uint32_t z0 = (uint32_t)EF_DWC_P0(in_zp, in_zp, in_zp), z1 = (uint32_t)EF_DWC_P1(in_zp, in_zp, in_zp);
                    const uint32_t z2 = (uint32_t)EF_DWC_P2(in_zp, in_zp, in_zp);
                    while (op != oend) {
                        const uint32_t S = A + z2;
                        A = bias + B + z1;
                        B = z0;
                        *op = ef_dwc_q(S, m2, sc, zp, lo, hi);
                        op += icz;
                    }
                }
            } else {
                /* C = P0(column j + 2k), the first column of window k (the last of window k - 1) */
                uint32_t C = (uint32_t)EF_DWC_P0(EF_DWC_COL(r0, j), EF_DWC_COL(r1, j), EF_DWC_COL(r2, j));
                int k = nin;
                {
                    const size_t s2 = 2 * icz;
                    const int8_t *p0 = r0 + (size_t)(j + 1) * icz, *p1 = r1 + (size_t)(j + 1) * icz, *p2 = r2 + (size_t)(j + 1) * icz;
                    while (op != ofast) {
                        const int32_t u = p0[0], v = p1[0], t = p2[0];
                        const int32_t x = p0[icz], y = p1[icz], z = p2[icz];
                        const uint32_t S = bias + C + (uint32_t)(EF_DWC_P1(u, v, t) + EF_DWC_P2(x, y, z));
                        p0 += s2; p1 += s2; p2 += s2;
                        C = (uint32_t)EF_DWC_P0(x, y, z);
                        *op = ef_dwc_q(S, m2, sc, zp, lo, hi);
                        op += icz;
                    }
                }
                for (; op != oend; ++k) {
                    /* the last column j + 2k + 2 >= iw for k >= nin reads in_zp; the middle one may lie inside */
                    const int col = j + 2 * k + 1;
                    const int32_t u = EF_DWC_COL(r0, col), v = EF_DWC_COL(r1, col), t = EF_DWC_COL(r2, col);
                    const uint32_t S = bias + C + (uint32_t)(EF_DWC_P1(u, v, t) + EF_DWC_P2(in_zp, in_zp, in_zp));
                    C = (uint32_t)EF_DWC_P0(in_zp, in_zp, in_zp);
                    *op = ef_dwc_q(S, m2, sc, zp, lo, hi);
                    op += icz;
                }
            }
        }
    }
}
#undef EF_DWC_COL
#undef EF_DWC_P0
#undef EF_DWC_P1
#undef EF_DWC_P2

/*@@ section dwn deps=dwq */
/* Depthwise 3x3, ch_mult 1, dilation 1, stride 1, padding >= 0, for layers whose padded input plane (oh + 2 rows of
 * ow + 2 columns: what the windows read, padding included) fits EF_DWN_W x EF_DWN_W bytes: the small late layers,
 * where many windows cross the border and rows are short (src/codegen/c/ops/conv.ts chooses it). Channel by channel:
 * the channel's input is copied into a plane on the stack whose ring (the padding) holds in_zp, written once, so a
 * window reads fixed offsets from one pointer and a padding tap adds w * in_zp, cancelling its part of bias_adj
 * (= bias - in_zp * sum(w)): each sum is TFLM's bias + sum over the in-bounds taps of w * (x - in_zp) (mod 2^32; the
 * products of one partial stay below 2^16 in magnitude). The nine weights and the channel's requantization stay in
 * registers for all its pixels; along a row each plane column is loaded once, carried as in section dwc
 * (A = bias + P0(col - 2) + P1(col - 1), B = P0(col - 1)). A channel's whole output is written after its input was
 * copied and before the next channel is read, so the output never overlaps the input (no walk declared). */
#define EF_DWN_W 32
#define EF_DWN_P0(U, V, T) (w0 * (U) + w3 * (V) + w6 * (T))
#define EF_DWN_P1(U, V, T) (w1 * (U) + w4 * (V) + w7 * (T))
#define EF_DWN_P2(U, V, T) (w2 * (U) + w5 * (V) + w8 * (T))
void ef_dwn_s8(const int8_t *in, int ih, int iw, int ic, const int8_t *w, const int32_t *bias_adj, int8_t *out, int oh,
               int ow, int pad_t, int pad_l, int32_t in_zp, int32_t zp, const int32_t *rq_m, const uint8_t *rq_s,
               int32_t lo, int32_t hi)
{
    int8_t plane[EF_DWN_W * EF_DWN_W];
    const size_t icz = (size_t)ic;
    /* input rows [0, ny) and columns [0, nx) are read, at plane row y + pad_t, column x + pad_l */
    const int ny = ih < oh + 2 - pad_t ? ih : oh + 2 - pad_t, nx = iw < ow + 2 - pad_l ? iw : ow + 2 - pad_l;
    int c, i;
    if (oh <= 0 || ow <= 0 || oh + 2 > EF_DWN_W || ow + 2 > EF_DWN_W) return;
    for (i = 0; i < (oh + 2) * EF_DWN_W; ++i) plane[i] = (int8_t)in_zp;
    for (c = 0; c < ic; ++c) {
        const int8_t *const wc = w + c;
        const int32_t w0 = wc[0], w1 = wc[icz], w2 = wc[2 * icz], w3 = wc[3 * icz], w4 = wc[4 * icz];
        const int32_t w5 = wc[5 * icz], w6 = wc[6 * icz], w7 = wc[7 * icz], w8 = wc[8 * icz];
        const uint32_t bias = (uint32_t)bias_adj[c];
        const uint32_t m2 = (uint32_t)rq_m[c];
        const int32_t sc = rq_s[c];
        const int8_t *row = plane;
        int8_t *op = out + c;
        int y;
        if (nx > 0)
            for (y = 0; y < ny; ++y) {
                const int8_t *src = in + (size_t)y * iw * icz + c;
                int8_t *dst = plane + (y + pad_t) * EF_DWN_W + pad_l;
                int8_t *const dend = dst + nx;
                while (dst != dend) {
                    *dst++ = *src;
                    src += icz;
                }
            }
        for (y = 0; y < oh; ++y, row += EF_DWN_W) {
            const int8_t *q = row + 2;
            int8_t *const oend = op + (size_t)ow * icz;
            uint32_t A = bias + (uint32_t)(EF_DWN_P0(row[0], row[EF_DWN_W], row[2 * EF_DWN_W]) +
                                           EF_DWN_P1(row[1], row[EF_DWN_W + 1], row[2 * EF_DWN_W + 1]));
            uint32_t B = (uint32_t)EF_DWN_P0(row[1], row[EF_DWN_W + 1], row[2 * EF_DWN_W + 1]);
            while (op != oend) {
                const int32_t u = q[0], v = q[EF_DWN_W], t = q[2 * EF_DWN_W];
                const uint32_t S = A + (uint32_t)EF_DWN_P2(u, v, t);
                A = bias + B + (uint32_t)EF_DWN_P1(u, v, t);
                B = (uint32_t)EF_DWN_P0(u, v, t);
                *op = ef_dwc_q(S, m2, sc, zp, lo, hi);
                op += icz;
                ++q;
            }
        }
    }
}
#undef EF_DWN_P0
#undef EF_DWN_P1
#undef EF_DWN_P2

/*@@ section transposeconv deps=common */
/* TFLM int8 TRANSPOSE_CONV (per-channel), as a gather: output (oy, ox) takes input row iy where
 * oy + pt - ky * dh = iy * sh (likewise for columns); the int32 sum starts at the bias, which gives the integer
 * TFLM's scratch-then-bias order gives. Filter [oc][kh][kw][ic]; then MBQM per channel, + out_zp, clamp. */
void ef_transpose_conv_s8(const int8_t *x, int ih, int iw, int ic, const int8_t *w, const int32_t *bias, int8_t *y,
                          int oh, int ow, int oc, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl,
                          int32_t in_zp, int32_t out_zp, const int32_t *mult, const int32_t *shift, int32_t act_min,
                          int32_t act_max)
{
    int oy, ox, o, ky, kx, c;
    for (oy = 0; oy < oh; ++oy)
        for (ox = 0; ox < ow; ++ox)
            for (o = 0; o < oc; ++o) {
                int32_t acc = bias ? bias[o] : 0;
                for (ky = 0; ky < kh; ++ky) {
                    const int ty = oy + pt - ky * dh;
                    int iy;
                    if (ty < 0 || ty % sh != 0) continue;
                    iy = ty / sh;
                    if (iy >= ih) continue;
                    for (kx = 0; kx < kw; ++kx) {
                        const int tx = ox + pl - kx * dw;
                        const int8_t *xp, *wp;
                        int ix;
                        if (tx < 0 || tx % sw != 0) continue;
                        ix = tx / sw;
                        if (ix >= iw) continue;
                        xp = x + ((size_t)iy * iw + ix) * ic;
                        wp = w + (((size_t)o * kh + ky) * kw + kx) * ic;
                        for (c = 0; c < ic; ++c) acc += (xp[c] - in_zp) * wp[c];
                    }
                }
                y[((size_t)oy * ow + ox) * oc + o] = (int8_t)ef_clamp(ef_mbqm(acc, mult[o], shift[o]) + out_zp, act_min, act_max);
            }
}
