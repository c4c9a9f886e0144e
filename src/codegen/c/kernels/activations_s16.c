/* espforge portable kernels: int16 point-wise activations: table logistic / tanh, leaky ReLU, clamp.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
