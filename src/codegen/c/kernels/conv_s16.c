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
