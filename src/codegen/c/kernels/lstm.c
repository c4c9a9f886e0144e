/*@@ section lstm deps=common,logistic16,tanh16 */
/* TFLM's integer UNIDIRECTIONAL_SEQUENCE_LSTM (int8 input/hidden, int8 weights one scale per gate, int32 bias, int16
 * cell with a power-of-two scale; src/sim/int/lstm.ts gives the formulas). Gate order i, f, c, o; w [4H][I],
 * r [4H][H]; q holds per gate {in_mult, in_shift, rec_mult, rec_shift}. h [B][H] and c [B][H] are the state
 * (initialised from h0 / c0, or to h_zp / 0 when those are NULL) and end as Y_h / Y_c. gates is scratch for 4H
 * int16. The gate FCs are int8 x int8 -> int32 dot products requantized to int16 Q3.12; the gate non-linearities
 * are TFLM's int16 LOGISTIC / TANH (multiplier 3, no shift: TFLM's Logistic(0, 0) and Tanh(-12)); the cell tanh
 * takes the rescale (ct_m, ct_s) of TFLM's Tanh(cell_state_scale_power). */
static int16_t ef_lstm_sat16(int32_t v)
{
    return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

void ef_lstm_s8(const int8_t *x, int8_t *y, int8_t *h, int16_t *c, const int8_t *h0, const int16_t *c0,
                int16_t *gates, int steps, int batch, int in_dim, int hid, int batch_major, int reverse,
                const int8_t *w, const int8_t *r, const int32_t *bias, const int32_t *q, int32_t in_zp,
                int32_t h_zp, int32_t fc_m, int32_t fc_s, int32_t ic_m, int32_t ic_s, int32_t out_m,
                int32_t out_s, int32_t ct_m, int32_t ct_s, const uint16_t *table)
{
    int s, b, g, n, k;
    for (k = 0; k < batch * hid; ++k) {
        h[k] = h0 ? h0[k] : (int8_t)h_zp;
        c[k] = c0 ? c0[k] : 0;
    }
    for (s = 0; s < steps; ++s) {
        const int t = reverse ? steps - 1 - s : s;
        for (b = 0; b < batch; ++b) {
            const size_t row = batch_major ? (size_t)b * steps + t : (size_t)t * batch + b;
            const int8_t *xr = x + row * in_dim;
            int8_t *hr = h + b * hid;
            int16_t *cr = c + b * hid;
            for (g = 0; g < 4; ++g) {
                const int32_t *gq = q + 4 * g;
                for (n = g * hid; n < (g + 1) * hid; ++n) {
                    const int8_t *wr = w + (size_t)n * in_dim;
                    const int8_t *rr = r + (size_t)n * hid;
                    int32_t acc = bias ? bias[n] : 0;
                    int32_t acc2 = 0;
                    for (k = 0; k < in_dim; ++k) acc += wr[k] * (xr[k] - in_zp);
                    for (k = 0; k < hid; ++k) acc2 += rr[k] * (hr[k] - h_zp);
                    gates[n] = ef_lstm_sat16((int32_t)ef_lstm_sat16(ef_mbqm(acc, gq[0], gq[1])) +
                                             (int32_t)ef_lstm_sat16(ef_mbqm(acc2, gq[2], gq[3])));
                }
            }
            ef_logistic_s16(gates, gates, 2 * hid, 3, 0, table);
            ef_tanh_s16(gates + 2 * hid, gates + 2 * hid, hid, 3, 0, table);
            ef_logistic_s16(gates + 3 * hid, gates + 3 * hid, hid, 3, 0, table);
            for (k = 0; k < hid; ++k) {
                const int32_t fc = ef_lstm_sat16(ef_mbqm((int32_t)gates[hid + k] * cr[k], fc_m, fc_s));
                const int32_t ic = ef_lstm_sat16(ef_mbqm((int32_t)gates[k] * gates[2 * hid + k], ic_m, ic_s));
                cr[k] = ef_lstm_sat16(fc + ic);
            }
            /* tanh(c) into the spent input-gate slots, then h = o * tanh(c) requantized to int8 */
            ef_tanh_s16(cr, gates, hid, ct_m, ct_s, table);
            for (k = 0; k < hid; ++k) {
                const int32_t v = h_zp + ef_mbqm((int32_t)gates[k] * gates[3 * hid + k], out_m, out_s);
                hr[k] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
            }
            for (k = 0; k < hid; ++k) y[row * hid + k] = hr[k];
        }
    }
}
