/* espforge portable kernels: Requantization between int8 / uint8 (Quantize, Concat inputs).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section requant deps=common */
/* int -> int QUANTIZE (rescale): y = clamp(MBQM(x - zp_in, m, s) + zp_out) for int8/uint8 either side. */
void ef_requant_s8u8(const void *in, int in_unsigned, void *out, int out_unsigned, int n,
                     int32_t in_zp, int32_t out_zp, int32_t m, int32_t s)
{
    int i;
    const int32_t lo = out_unsigned ? 0 : -128, hi = out_unsigned ? 255 : 127;
    for (i = 0; i < n; ++i) {
        int32_t x = in_unsigned ? (int32_t)((const uint8_t *)in)[i] : (int32_t)((const int8_t *)in)[i];
        int32_t y = ef_clamp(ef_mbqm(x - in_zp, m, s) + out_zp, lo, hi);
        if (out_unsigned) ((uint8_t *)out)[i] = (uint8_t)y;
        else ((int8_t *)out)[i] = (int8_t)y;
    }
}
