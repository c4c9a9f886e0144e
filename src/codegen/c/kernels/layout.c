/* espforge portable kernels: Data movement: copy, transpose, pad, strided slice, gather, nearest resize (the byte-moving
 * ones also carry int16 rows).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section copy */
/* Byte copy (reshape when not in place, concat pieces); no libc needed. */
void ef_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    size_t i;
    if (d == s) return;
    for (i = 0; i < n; ++i) d[i] = s[i];
}

/*@@ section transpose */
/* Strided copy of up to 4-D data: out is walked in order over dims[4]; st[4] are the input element strides of the
 * output axes; esize is the element size in bytes. */
void ef_transpose(const void *in, void *out, const int32_t *dims, const int32_t *st, int esize)
{
    const uint8_t *x = (const uint8_t *)in;
    uint8_t *y = (uint8_t *)out;
    int a, b, c, d, k;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const uint8_t *row = x + ((size_t)a * st[0] + (size_t)b * st[1] + (size_t)c * st[2]) * esize;
                if (esize == 1) {
                    for (d = 0; d < dims[3]; ++d) *y++ = row[(size_t)d * st[3]];
                } else {
                    for (d = 0; d < dims[3]; ++d)
                        for (k = 0; k < esize; ++k) *y++ = row[(size_t)d * st[3] * esize + k];
                }
            }
}

/*@@ section pad */
/* Constant padding of a 4-D NHWC tensor with one byte value. */
void ef_pad_s8(const int8_t *in, const int32_t *idims, int8_t *out, const int32_t *odims, const int32_t *before,
               int8_t value)
{
    int a, b, c;
    const size_t row = (size_t)idims[3];
    for (a = 0; a < odims[0]; ++a)
        for (b = 0; b < odims[1]; ++b)
            for (c = 0; c < odims[2]; ++c) {
                int8_t *o = out + (((size_t)a * odims[1] + b) * odims[2] + c) * odims[3];
                const int ia = a - before[0], ib = b - before[1], ic = c - before[2];
                int d;
                if (ia < 0 || ia >= idims[0] || ib < 0 || ib >= idims[1] || ic < 0 || ic >= idims[2]) {
                    for (d = 0; d < odims[3]; ++d) o[d] = value;
                } else {
                    const int8_t *ip = in + (((size_t)ia * idims[1] + ib) * idims[2] + ic) * row;
                    for (d = 0; d < before[3]; ++d) o[d] = value;
                    for (d = 0; d < idims[3]; ++d) o[before[3] + d] = ip[d];
                    for (d = before[3] + idims[3]; d < odims[3]; ++d) o[d] = value;
                }
            }
}

/*@@ section strided */
/* Strided int8 copy of up to 4-D data with signed element strides (Slice, negative steps included): out is
 * walked in order over dims[4]; in points at the first element read, st[4] are the input element strides of the
 * output axes. Every row start is itself an element that is read, so no pointer leaves the input. */
void ef_strided_s8(const int8_t *in, int8_t *out, const int32_t *dims, const int32_t *st)
{
    int32_t a, b, c, d;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const int8_t *row = in + ((ptrdiff_t)a * st[0] + (ptrdiff_t)b * st[1] + (ptrdiff_t)c * st[2]);
                for (d = 0; d < dims[3]; ++d) *out++ = row[(ptrdiff_t)d * st[3]];
            }
}

/*@@ section gather deps=copy */
/* Gather along one axis with constant indices: in viewed as [outer][dim][inner]; out[o][j][:] = in[o][idx[j]][:].
 * Indices are already normalised to [0, dim). */
void ef_gather_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t dim, int32_t inner, const int32_t *idx,
                  int32_t nidx)
{
    int32_t o, j;
    for (o = 0; o < outer; ++o)
        for (j = 0; j < nidx; ++j) {
            ef_copy(out, in + ((size_t)o * dim + (size_t)idx[j]) * inner, (size_t)inner);
            out += inner;
        }
}

/*@@ section resizenn deps=copy */
/* Nearest-neighbour resize of NHWC int8 data: output row oy reads input row ty[oy], column ox reads tx[ox]
 * (tables computed at generation time with the model's coordinate and rounding modes). */
void ef_resize_nearest_s8(const int8_t *in, int8_t *out, int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh,
                          int32_t ow, const int32_t *ty, const int32_t *tx)
{
    int32_t b, y, x;
    for (b = 0; b < n; ++b)
        for (y = 0; y < oh; ++y) {
            const int8_t *row = in + ((size_t)b * h + (size_t)ty[y]) * w * c;
            for (x = 0; x < ow; ++x) {
                ef_copy(out, row + (size_t)tx[x] * c, (size_t)c);
                out += c;
            }
        }
}

/*@@ section resizebl deps=common */
/* TFLM RESIZE_BILINEAR, integer path (int8 and int16; input and output share quantization). Per output row the
 * table ty holds {y0, y1, fy} and per output column tx holds {x0, x1, fx}: the two source neighbours and the 10-bit
 * fraction towards the second, computed at generation time as TFLM computes them. The four taps' weights sum to
 * 2^20; the sum is rounded half away from zero. */
static inline int32_t ef_bilinear_round(int64_t s)
{
    const int64_t half = (int64_t)1 << 19;
    return (int32_t)((s + (s > 0 ? half : -half)) / ((int64_t)1 << 20));
}

#define EF_RESIZE_BILINEAR_BODY(T)                                                                                   \
    int32_t b, y, x, k;                                                                                              \
    for (b = 0; b < n; ++b)                                                                                          \
        for (y = 0; y < oh; ++y) {                                                                                   \
            const T *r0 = in + ((size_t)b * h + (size_t)ty[3 * y]) * w * c;                                          \
            const T *r1 = in + ((size_t)b * h + (size_t)ty[3 * y + 1]) * w * c;                                      \
            const int64_t fy = ty[3 * y + 2];                                                                        \
            for (x = 0; x < ow; ++x) {                                                                               \
                const size_t c0 = (size_t)tx[3 * x] * c, c1 = (size_t)tx[3 * x + 1] * c;                             \
                const int64_t fx = tx[3 * x + 2];                                                                    \
                for (k = 0; k < c; ++k)                                                                              \
                    out[k] = (T)ef_bilinear_round(r0[c0 + k] * (1024 - fy) * (1024 - fx) + r1[c0 + k] * fy * (1024 - fx) + \
                                                  r0[c1 + k] * (1024 - fy) * fx + r1[c1 + k] * fy * fx);             \
                out += c;                                                                                            \
            }                                                                                                        \
        }

void ef_resize_bilinear_s8(const int8_t *in, int8_t *out, int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh,
                           int32_t ow, const int32_t *ty, const int32_t *tx)
{
    EF_RESIZE_BILINEAR_BODY(int8_t)
}

void ef_resize_bilinear_s16(const int16_t *in, int16_t *out, int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh,
                            int32_t ow, const int32_t *ty, const int32_t *tx)
{
    EF_RESIZE_BILINEAR_BODY(int16_t)
}
