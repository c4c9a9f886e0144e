/* espforge portable kernels: int8 broadcasting element-wise kernels: add / sub, mul, max / min.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section dense4 */
/* 1 when the strides describe a dense tensor of the given dims (no broadcast axis) */
static int ef_dense4(const int32_t *dims, const int32_t *st)
{
    return st[3] == 1 && st[2] == dims[3] && st[1] == dims[2] * dims[3] && st[0] == dims[1] * dims[2] * dims[3];
}

/*@@ section add deps=common,rq,dense4 */
/* Element-wise fast path of ADD / SUB (no broadcasting: both inputs dense in the output's order), the same
 * arithmetic as the general loop below in fewer rv32 instructions. An input rescale MBQM(d << ls, M, S) with
 * d = x - zp in [-255, 255], 8 <= ls <= 22 and S <= 0 is RDBPOT(SRDHM(d << ls, M), -S), and with k = 31 - ls
 * SRDHM(d << ls, M) = floor((d*M + 2^(k-1)) / 2^k) = d*mh + ((d*ml + 2^(k-1)) >> k) for M = mh*2^k + ml
 * (M >= 0, 0 <= ml < 2^k): both products fit in 32 bits. The output rescale is ef_rq (section rq). */
static void ef_add_flat_s8(const int8_t *x1, const int8_t *x2, int8_t *out, size_t n, int32_t sign,
                           int32_t zp1, int32_t zp2, int k, int32_t m1, int32_t r1, int32_t m2, int32_t r2,
                           int32_t mo, int32_t so, int32_t zpo, int32_t lo, int32_t hi)
{
    const int32_t mh1 = m1 >> k, ml1 = m1 & ((1 << k) - 1);
    const int32_t mh2 = m2 >> k, ml2 = m2 & ((1 << k) - 1);
    const int32_t nudge = 1 << (k - 1);
    const int32_t t1 = (int32_t)((((uint32_t)1 << r1) - 1u) >> 1), t2 = (int32_t)((((uint32_t)1 << r2) - 1u) >> 1);
    const uint32_t om = 2u * (uint32_t)mo;
    const int32_t ols = so > 0 ? so : 0, ors = so < 0 ? -so : 0;
    const int32_t ot = (int32_t)((((uint32_t)1 << ors) - 1u) >> 1);
    size_t i;
#define EF_ADD_LOOP(OP) \
    for (i = 0; i < n; ++i) { \
        const int32_t d1 = x1[i] - zp1, d2 = x2[i] - zp2; \
        const int32_t h1 = d1 * mh1 + ((d1 * ml1 + nudge) >> k); \
        const int32_t h2 = d2 * mh2 + ((d2 * ml2 + nudge) >> k); \
        const int32_t q1 = h1 >> r1, q2 = h2 >> r2; \
        const int32_t e1 = h1 - (int32_t)((uint32_t)q1 << r1), e2 = h2 - (int32_t)((uint32_t)q2 << r2); \
        const int32_t a = q1 + (e1 > t1 + (int32_t)((uint32_t)h1 >> 31)); \
        const int32_t b = q2 + (e2 > t2 + (int32_t)((uint32_t)h2 >> 31)); \
        int32_t v = ef_rq(a OP b, om, ols, ors, ot) + zpo; \
        if (v < lo) v = lo; \
        if (v > hi) v = hi; \
        out[i] = (int8_t)v; \
    }
    if (sign > 0) EF_ADD_LOOP(+)
    else EF_ADD_LOOP(-)
#undef EF_ADD_LOOP
}

/* TFLite ADD / SUB int8 (sub: sign = -1 on the second operand). Broadcasting: idx1/idx2 steps are given as
 * a 4-D broadcast description (dims and element strides, 0 for broadcast axes). */
void ef_add_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
               const int32_t *st2, int32_t sign, int32_t zp1, int32_t zp2, int32_t left_shift,
               int32_t m1, int32_t s1, int32_t m2, int32_t s2, int32_t mo, int32_t so, int32_t zpo,
               int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    if (left_shift >= 8 && left_shift <= 22 && s1 <= 0 && s2 <= 0 && m1 >= 0 && m2 >= 0 && ef_dense4(dims, st1) &&
        ef_dense4(dims, st2)) {
        ef_add_flat_s8(x1, x2, out, (size_t)dims[0] * dims[1] * dims[2] * dims[3], sign, zp1, zp2, 31 - left_shift,
                       m1, -s1, m2, -s2, mo, so, zpo, act_min, act_max);
        return;
    }
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

/*@@ section addt deps=dense4 */
/* ADD / SUB int8 with the input rescales tabulated: TFLM's per-input stage MBQM((x - zp) << left_shift, M, S)
 * depends on the input byte only, so the emitter computed it for all 256 values of each input (t1, t2: 256 int32
 * indexed by x + 128; t2 negated for SUB, which gives the same int32 difference). Every entry is at most 2^28 in
 * magnitude ((x - zp) << 20 < 2^28, a multiplier below one), so the sum s of two entries stays below 2^29. The
 * output stage is TFLM's MBQM(s, mo, -rs) + zpo, clamped, with 1 <= rs <= 31 (checked by the emitter):
 * h = SRDHM(s, mo) = high word of s * 2mo plus bit 31 of its low word (as ef_rq), |h| <= |s| + 1 < 2^29 + 1, and
 * RDBPOT(h, rs) = (h + 2^(rs-1) + (h < 0 ? -1 : 0)) >> rs (round half away from zero), free of overflow as
 * |h| + 2^30 < 2^31. Broadcasting: the 4-D dims and element strides of the add kernel; a flat loop when neither
 * input broadcasts. */
#define EF_ADDT_OUT(S, DST) \
    { \
        const int32_t s_ = (S); \
        const int32_t h_ = (int32_t)(((int64_t)s_ * (int64_t)m2) >> 32) + (int32_t)(((uint32_t)s_ * m2) >> 31); \
        int32_t v_ = ((h_ + half + (h_ >> 31)) >> rs) + zpo; \
        if (v_ < lo) v_ = lo; \
        if (v_ > hi) v_ = hi; \
        (DST) = (int8_t)v_; \
    }
void ef_addt_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
                const int32_t *st2, const int32_t *t1, const int32_t *t2, int32_t mo, int32_t rs, int32_t zpo,
                int32_t lo, int32_t hi)
{
    const int32_t *const a = t1 + 128, *const b = t2 + 128;
    const uint32_t m2 = 2u * (uint32_t)mo;
    const int32_t half = (int32_t)((uint32_t)1 << (rs - 1));
    int i0, i1, i2, i3;
    if (ef_dense4(dims, st1) && ef_dense4(dims, st2)) {
        const int8_t *const end = x1 + (size_t)dims[0] * dims[1] * dims[2] * dims[3];
        const int8_t *const end2 = x1 + (((size_t)dims[0] * dims[1] * dims[2] * dims[3]) & ~(size_t)1);
        while (x1 != end2) {
            const int32_t s0 = a[x1[0]] + b[x2[0]], s1 = a[x1[1]] + b[x2[1]];
            EF_ADDT_OUT(s0, out[0])
            EF_ADDT_OUT(s1, out[1])
            x1 += 2;
            x2 += 2;
            out += 2;
        }
        if (x1 != end) EF_ADDT_OUT(a[*x1] + b[*x2], *out)
        return;
    }
    for (i0 = 0; i0 < dims[0]; ++i0)
        for (i1 = 0; i1 < dims[1]; ++i1)
            for (i2 = 0; i2 < dims[2]; ++i2) {
                const int8_t *p = x1 + (size_t)i0 * st1[0] + (size_t)i1 * st1[1] + (size_t)i2 * st1[2];
                const int8_t *q = x2 + (size_t)i0 * st2[0] + (size_t)i1 * st2[1] + (size_t)i2 * st2[2];
                for (i3 = 0; i3 < dims[3]; ++i3) {
                    EF_ADDT_OUT(a[p[(size_t)i3 * st1[3]]] + b[q[(size_t)i3 * st2[3]]], *out)
                    ++out;
                }
            }
}
#undef EF_ADDT_OUT

/*@@ section mul deps=common,rq,dense4 */
/* TFLite MUL int8: MBQM((x1 - zp1) * (x2 - zp2), M, S) + zpo, clamped; the output rescale is ef_rq (section rq, the
 * same arithmetic as ef_mbqm), with a flat loop when neither input broadcasts. */
void ef_mul_s8(const int8_t *x1, const int8_t *x2, int8_t *out, const int32_t *dims, const int32_t *st1,
               const int32_t *st2, int32_t zp1, int32_t zp2, int32_t m, int32_t s, int32_t zpo,
               int32_t act_min, int32_t act_max)
{
    int i0, i1, i2, i3;
    size_t n = 0;
    if (m >= 0 && ef_dense4(dims, st1) && ef_dense4(dims, st2)) {
        const uint32_t om = 2u * (uint32_t)m;
        const int32_t ols = s > 0 ? s : 0, ors = s < 0 ? -s : 0;
        const int32_t ot = (int32_t)((((uint32_t)1 << ors) - 1u) >> 1);
        const size_t total = (size_t)dims[0] * dims[1] * dims[2] * dims[3];
        if (s < 0) {
            /* a right shift: the product is at most 255^2 in magnitude, so h = SRDHM(p, m) has |h| <= 2^16 and
             * RDBPOT(h, r) = (h + 2^(r-1) + (h < 0 ? -1 : 0)) >> r (round half away from zero) cannot overflow */
            const int32_t half = ot + 1;
            for (n = 0; n < total; ++n) {
                const int32_t p = (x1[n] - zp1) * (x2[n] - zp2);
                const int32_t h = (int32_t)(((int64_t)p * (int64_t)om) >> 32) + (int32_t)(((uint32_t)p * om) >> 31);
                int32_t v = ((h + half + (h >> 31)) >> ors) + zpo;
                if (v < act_min) v = act_min;
                if (v > act_max) v = act_max;
                out[n] = (int8_t)v;
            }
            return;
        }
        for (n = 0; n < total; ++n) {
            int32_t v = ef_rq((x1[n] - zp1) * (x2[n] - zp2), om, ols, ors, ot) + zpo;
            if (v < act_min) v = act_min;
            if (v > act_max) v = act_max;
            out[n] = (int8_t)v;
        }
        return;
    }
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
