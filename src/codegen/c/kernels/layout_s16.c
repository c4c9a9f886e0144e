/* espforge portable kernels: int16 data movement: pad and strided slice.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section pad16 */
/* Constant padding of a 4-D NHWC int16 tensor with one value. */
void ef_pad_s16(const int16_t *in, const int32_t *idims, int16_t *out, const int32_t *odims, const int32_t *before,
                int16_t value)
{
    int a, b, c;
    const size_t row = (size_t)idims[3];
    for (a = 0; a < odims[0]; ++a)
        for (b = 0; b < odims[1]; ++b)
            for (c = 0; c < odims[2]; ++c) {
                int16_t *o = out + (((size_t)a * odims[1] + b) * odims[2] + c) * odims[3];
                const int ia = a - before[0], ib = b - before[1], ic = c - before[2];
                int d;
                if (ia < 0 || ia >= idims[0] || ib < 0 || ib >= idims[1] || ic < 0 || ic >= idims[2]) {
                    for (d = 0; d < odims[3]; ++d) o[d] = value;
                } else {
                    const int16_t *ip = in + (((size_t)ia * idims[1] + ib) * idims[2] + ic) * row;
                    for (d = 0; d < before[3]; ++d) o[d] = value;
                    for (d = 0; d < idims[3]; ++d) o[before[3] + d] = ip[d];
                    for (d = before[3] + idims[3]; d < odims[3]; ++d) o[d] = value;
                }
            }
}

/*@@ section strided16 */
/* Strided int16 copy (Slice on int16 activations), as ef_strided_s8 in elements. */
void ef_strided_s16(const int16_t *in, int16_t *out, const int32_t *dims, const int32_t *st)
{
    int32_t a, b, c, d;
    for (a = 0; a < dims[0]; ++a)
        for (b = 0; b < dims[1]; ++b)
            for (c = 0; c < dims[2]; ++c) {
                const int16_t *row = in + ((ptrdiff_t)a * st[0] + (ptrdiff_t)b * st[1] + (ptrdiff_t)c * st[2]);
                for (d = 0; d < dims[3]; ++d) *out++ = row[(ptrdiff_t)d * st[3]];
            }
}
