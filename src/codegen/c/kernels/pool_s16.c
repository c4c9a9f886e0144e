/* espforge portable kernels: int16 max and average pooling.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
