/* espforge portable kernels: int8 point-wise activations: logistic, tanh, leaky ReLU, PReLU, hard swish, clamps.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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

/*@@ section hardsigmoid deps=common */
/* HardSigmoid clamp(alpha * x + beta, 0, 1) (espforge's int8 arithmetic; TFLite has no HARD_SIGMOID): the input
 * difference is scaled into the output's integers with frac_bits extra fractional bits, beta_q is beta at that
 * resolution, one rounding shift drops the fraction, and [lo, hi] is [0, 1] quantized. */
void ef_hard_sigmoid_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t m, int32_t s,
                        int32_t beta_q, int32_t frac_bits, int32_t lo, int32_t hi)
{
    int i;
    for (i = 0; i < n; ++i)
        out[i] = (int8_t)ef_clamp(out_zp + ef_rdbpot(ef_mbqm(in[i] - in_zp, m, s) + beta_q, frac_bits), lo, hi);
}

/*@@ section lut8 deps=common */
/* Table activation (TFLM GELU int8): out = lut[in + 128], the table built at generation time. */
void ef_lut_s8(const int8_t *in, int8_t *out, int n, const int8_t *lut)
{
    int i;
    for (i = 0; i < n; ++i) out[i] = lut[in[i] + 128];
}

/*@@ section rqclamp deps=common */
/* Relu / Clip with different input and output quantization: y = clamp(zp_out + MBQM(x - zp_in, m, s)). */
void ef_requant_clamp_s8(const int8_t *in, int8_t *out, int n, int32_t in_zp, int32_t out_zp, int32_t m, int32_t s,
                         int32_t lo, int32_t hi)
{
    int i;
    for (i = 0; i < n; ++i) out[i] = (int8_t)ef_clamp(out_zp + ef_mbqm(in[i] - in_zp, m, s), lo, hi);
}

/*@@ section clamp deps=common */
/* Relu-like clamps with equal input and output quantization. */
void ef_clamp_s8(const int8_t *in, int8_t *out, int n, int32_t lo, int32_t hi)
{
    int i;
    for (i = 0; i < n; ++i) out[i] = (int8_t)ef_clamp(in[i], lo, hi);
}
