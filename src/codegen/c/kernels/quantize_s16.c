/* espforge portable kernels: Requantization with int16 on either side.
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section requant16 deps=common */
/* int -> int QUANTIZE between int8 and int16 (either side, or int16 -> int16): y = clamp(MBQM(x - zp_in, m, s) + zp_out)
 * to the output type's range. in_bits / out_bits are 8 or 16 (signed). */
void ef_requant_s16(const void *in, int in_bits, void *out, int out_bits, int n, int32_t in_zp, int32_t out_zp,
                    int32_t m, int32_t s)
{
    int i;
    const int32_t lo = out_bits == 16 ? -32768 : -128, hi = out_bits == 16 ? 32767 : 127;
    for (i = 0; i < n; ++i) {
        const int32_t x = in_bits == 16 ? (int32_t)((const int16_t *)in)[i] : (int32_t)((const int8_t *)in)[i];
        const int32_t y = ef_clamp(ef_mbqm(x - in_zp, m, s) + out_zp, lo, hi);
        if (out_bits == 16) ((int16_t *)out)[i] = (int16_t)y;
        else ((int8_t *)out)[i] = (int8_t)y;
    }
}
