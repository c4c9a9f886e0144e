/* espforge portable kernels: LayerNormalization, int8 and 16x8 (espforge's own integer form; TFLM has none).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section lnrow deps=common */
/* floor(sqrt(v)) for v < 2^62, bit by bit (exact). */
static uint32_t ef_isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v) bit >>= 2;
    while (bit) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* One row's reciprocal square root (src/sim/int/layer-normalization.ts): W = n*s2 - s1*s1 + eps_term (>= 1), scaled
 * by 4^k into [2^60, 2^62), r = isqrt, m = min(2^61 / r, 2^31 - 1); 1/sqrt(W) ~ m * 2^-31 * 2^(k-30). W < 2^61
 * (n <= 32768, eps_term <= 2^53), so k >= 0. Returns m; *e = k - 30. */
static int32_t ef_ln_rsqrt(int64_t s1, int64_t s2, int32_t n, int64_t eps_term, int32_t *e)
{
    int64_t w = (int64_t)n * s2 - s1 * s1 + eps_term;
    uint64_t m;
    int lg = 0, k;
    if (w < 1) w = 1;
    while ((w >> lg) > 1) ++lg;
    k = (61 - lg) / 2;
    m = ((uint64_t)1 << 61) / ef_isqrt64((uint64_t)w << (2 * k));
    *e = k - 30;
    return m > 0x7FFFFFFFu ? 0x7FFFFFFF : (int32_t)m;
}

/*@@ section layernorm deps=common,lnrow */
/* rows x n int8 values, each row normalised on its own: n_i = mbqm(n*x_i - s1, m, e + k_bits) (Q k_bits),
 * acc = n_i * gamma[i] + bias_k[i], y = clamp(out_zp + mbqm(acc, m_out, s_out)). The input zero point cancels. */
void ef_layer_norm_s8(const int8_t *in, int8_t *out, int32_t rows, int32_t n, int64_t eps_term, int32_t k_bits,
                      const int8_t *gamma, const int32_t *bias_k, int32_t out_zp, int32_t m_out, int32_t s_out)
{
    int32_t r, i, e, m;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * n;
        int8_t *y = out + (size_t)r * n;
        int64_t s1 = 0, s2 = 0;
        for (i = 0; i < n; ++i) {
            s1 += x[i];
            s2 += (int32_t)x[i] * x[i];
        }
        m = ef_ln_rsqrt(s1, s2, n, eps_term, &e);
        for (i = 0; i < n; ++i) {
            const int32_t c = (int32_t)((int64_t)n * x[i] - s1);
            const int32_t acc = ef_mbqm(c, m, e + k_bits) * gamma[i] + bias_k[i];
            y[i] = (int8_t)ef_clamp(out_zp + ef_mbqm(acc, m_out, s_out), -128, 127);
        }
    }
}

/*@@ section layernorm16 deps=common,lnrow */
/* The same on int16 values (16x8: int8 gamma; the int64 bias was brought to bias_k at prepare time). */
void ef_layer_norm_s16(const int16_t *in, int16_t *out, int32_t rows, int32_t n, int64_t eps_term, int32_t k_bits,
                       const int8_t *gamma, const int32_t *bias_k, int32_t out_zp, int32_t m_out, int32_t s_out)
{
    int32_t r, i, e, m;
    for (r = 0; r < rows; ++r) {
        const int16_t *x = in + (size_t)r * n;
        int16_t *y = out + (size_t)r * n;
        int64_t s1 = 0, s2 = 0;
        for (i = 0; i < n; ++i) {
            s1 += x[i];
            s2 += (int32_t)x[i] * x[i];
        }
        m = ef_ln_rsqrt(s1, s2, n, eps_term, &e);
        for (i = 0; i < n; ++i) {
            const int32_t c = (int32_t)((int64_t)n * x[i] - s1);
            const int32_t acc = ef_mbqm(c, m, e + k_bits) * gamma[i] + bias_k[i];
            y[i] = (int16_t)ef_clamp(out_zp + ef_mbqm(acc, m_out, s_out), -32768, 32767);
        }
    }
}
