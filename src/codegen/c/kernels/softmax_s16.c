/* espforge portable kernels: int16 softmax (TFLM exp and reciprocal tables).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

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
