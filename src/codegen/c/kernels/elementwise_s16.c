/* espforge portable kernels: int16 broadcasting element-wise kernels: add / sub, mul, max / min.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section add16 deps=common */
/* TFLite ADD / SUB with int16 activations (left shift 15), same arithmetic and broadcast description as ef_add_s8. */
void ef_add_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                const int32_t *st2, int32_t sign, int32_t zp1, int32_t zp2, int32_t left_shift,
                int32_t m1, int32_t s1, int32_t m2, int32_t s2, int32_t mo, int32_t so, int32_t zpo,
                int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    int32_t va = (int32_t)((uint32_t)(x1[a] - zp1) << left_shift);
                    int32_t vb = (int32_t)((uint32_t)(x2[b] - zp2) << left_shift);
                    int32_t sa = ef_mbqm(va, m1, s1);
                    int32_t sb = ef_mbqm(vb, m2, s2);
                    int32_t r = ef_mbqm((int32_t)(sign > 0 ? (uint32_t)sa + (uint32_t)sb : (uint32_t)sa - (uint32_t)sb), mo, so) + zpo;
                    out[n++] = (int16_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section mul16 deps=common */
void ef_mul_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                const int32_t *st2, int32_t zp1, int32_t zp2, int32_t m, int32_t s, int32_t zpo,
                int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const size_t a = (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3];
                    const size_t b = (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3];
                    const int32_t p = (int32_t)((uint32_t)(x1[a] - zp1) * (uint32_t)(x2[b] - zp2));
                    out[n++] = (int16_t)ef_clamp(ef_mbqm(p, m, s) + zpo, act_min, act_max);
                }
}

/*@@ section minmax16 */
/* Element-wise maximum (is_max = 1) or minimum of two int16 tensors sharing one quantization (as ef_minmax_s8). */
void ef_minmax_s16(const int16_t *x1, const int16_t *x2, int16_t *out, const int32_t *dims, const int32_t *st1,
                   const int32_t *st2, int is_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const int16_t a = x1[(size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3]];
                    const int16_t b = x2[(size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3]];
                    out[n++] = is_max ? (a > b ? a : b) : (a < b ? a : b);
                }
}
