/* espforge portable kernels: int8 reductions: mean and max over adjacent axes.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
