/* espforge portable kernels: int16 reductions: mean and max.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
