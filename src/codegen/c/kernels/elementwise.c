/* espforge portable kernels: int8 broadcasting element-wise kernels: add / sub, mul, max / min.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section add deps=common */
/* TFLite ADD / SUB int8 (sub: sign = -1 on the second operand). Broadcasting: idx1/idx2 steps are given as
 * a 4-D broadcast description (dims and element strides, 0 for broadcast axes). */
void ef_add_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
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
                    int32_t r = ef_mbqm(sign > 0 ? sa + sb : sa - sb, mo, so) + zpo;
                    out[n++] = (int8_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section mul deps=common */
void ef_mul_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
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
                    int32_t r = ef_mbqm((x1[a] - zp1) * (x2[b] - zp2), m, s) + zpo;
                    out[n++] = (int8_t)ef_clamp(r, act_min, act_max);
                }
}

/*@@ section minmax */
/* Element-wise maximum (is_max = 1) or minimum of two int8 tensors sharing one quantization, with the 4-D
 * broadcast description of the add kernel. */
void ef_minmax_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
                  const int32_t *st2, int is_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2)
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    const int8_t a = x1[(size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2] + (size_t)i3 * st1[3]];
                    const int8_t b = x2[(size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2] + (size_t)i3 * st2[3]];
                    out[n++] = is_max ? (a > b ? a : b) : (a < b ? a : b);
                }
}
