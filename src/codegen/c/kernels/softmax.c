/* espforge portable kernels: int8 softmax and log-softmax (TFLM fixed-point exp).
 * Named sections: src/codegen/c/kernels.ts copies only those a model uses, in its SECTION_ORDER. */

/*@@ section softmax deps=fixedpoint,recip */
/* TFLM int8 softmax: gemmlowp fixed-point exp, 1/(1+x) reciprocal; output scale 1/256, zero point -128. */
void ef_softmax_s8(const int8_t *in, int8_t *out, int rows, int depth, int32_t in_mult, int32_t in_left_shift,
                   int32_t diff_min)
{
    int r, c;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t mx = -128, sum = 0, h, scale, bits;
        for (c = 0; c < depth; ++c) if (x[c] > mx) mx = x[c];
        for (c = 0; c < depth; ++c) {
            int32_t d = x[c] - mx;
            if (d >= diff_min) {
                int32_t rs = ef_fp_mul((int32_t)((uint32_t)d << in_left_shift), in_mult);
                sum = ef_fp_add(sum, ef_rdbpot(ef_exp_neg(rs, 5), 12));
            }
        }
        {
            uint32_t u = (uint32_t)sum;
            h = 0;
            while (h < 32 && !(u & 0x80000000u)) { u <<= 1; ++h; }
            bits = 12 - h;
            scale = ef_one_over_one_plus_x((int32_t)(u - 0x80000000u));
        }
        for (c = 0; c < depth; ++c) {
            int32_t d = x[c] - mx;
            if (d >= diff_min) {
                int32_t rs = ef_fp_mul((int32_t)((uint32_t)d << in_left_shift), in_mult);
                int32_t e = ef_exp_neg(rs, 5);
                int32_t v = ef_rdbpot(ef_fp_mul(scale, e), bits + 31 - 8) - 128;
                y[c] = (int8_t)ef_clamp(v, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}

/*@@ section logsoftmax deps=fixedpoint,recip */
/* TFLM int8 LOG_SOFTMAX (reference_integer_ops::LogSoftmax): sum of gemmlowp exps in Q12.19, its log by TFLite's
 * log_x_for_x_greater_than_or_equal_to_1 (Q5.26), output scale 16/256, zero point 127. */
static int32_t ef_sat_add64(int64_t s)
{
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

static int ef_clz32(uint32_t u)
{
    int n = 0;
    if (u == 0) return 32;
    while (!(u & 0x80000000u)) { u <<= 1; ++n; }
    return n;
}

/* log(x) for x >= 1 given in Q12.19; result Q5.26 (accumulated with one more integer bit, Q6.25). */
static int32_t ef_log_q12_to_q5(int32_t x)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = ef_rdbpot(536870912, 6); /* 1/4 in Q6.25 */
    const int za_hp1 = ef_clz32((uint32_t)x);
    const int32_t ra = ef_fp_sat_shl(ef_fp_mul(ef_fp_sat_shl(x, za_hp1 - 1), sqrt_half), 1);
    const int32_t za_adj = ef_sat_add64((int64_t)ef_fp_sat_shl(12 - za_hp1, 25) + shifted_quarter);
    const int zb_h = ef_clz32((uint32_t)ef_fp_mul(x, sqrt_half)) - 1;
    const int32_t rb = ef_fp_sat_shl(x, zb_h);
    const int32_t zb_adj = ef_sat_add64((int64_t)ef_fp_sat_shl(12 - zb_h, 25) - shifted_quarter);
    const int32_t r = ra < rb ? ra : rb;
    const int32_t z = za_adj > zb_adj ? za_adj : zb_adj;
    const int64_t hs = (int64_t)r + sqrt_sqrt_half;
    const int32_t p = (int32_t)((hs + (hs >= 0 ? 1 : -1)) / 2);
    const int32_t q0 = ef_fp_sub(r, sqrt_sqrt_half);
    const int32_t q = ef_fp_add(q0, q0);
    const int32_t cs = ef_fp_mul(q, q);
    const int32_t num = ef_fp_add(ef_fp_mul(q, r), ef_fp_mul(ef_fp_mul(q, cs), alpha_n));
    const int32_t den = ef_fp_add(ef_fp_mul(p, ef_fp_add(ef_fp_add(alpha_i, q), ef_fp_mul(alpha_d, cs))), ef_fp_mul(alpha_f, q));
    const int32_t rec = ef_one_over_one_plus_x(den);
    return ef_fp_sat_shl(ef_fp_add(ef_fp_mul(z, log_2), ef_fp_mul(ef_rdbpot(num, 6), rec)), 1);
}

void ef_log_softmax_s8(const int8_t *in, int8_t *out, int rows, int depth, int32_t in_mult, int32_t in_left_shift,
                       int32_t rev_mult, int32_t rev_shift, int32_t diff_min)
{
    int r, c;
    for (r = 0; r < rows; ++r) {
        const int8_t *x = in + (size_t)r * depth;
        int8_t *y = out + (size_t)r * depth;
        int32_t mx = -128, sum = 0, lse, adj;
        for (c = 0; c < depth; ++c) if (x[c] > mx) mx = x[c];
        for (c = 0; c < depth; ++c) {
            const int32_t d = x[c] - mx;
            if (d >= diff_min) sum = ef_fp_add(sum, ef_rdbpot(ef_exp_neg(ef_mbqm(d, in_mult, in_left_shift), 5), 12));
        }
        lse = ef_log_q12_to_q5(sum);
        adj = ef_mbqm(ef_fp_add(lse, INT32_MIN), rev_mult, -rev_shift);
        if (adj < diff_min - 1) adj = diff_min - 1;
        for (c = 0; c < depth; ++c) {
            const int32_t d = x[c] - mx;
            if (d > adj) {
                const int32_t v = ef_rdbpot(ef_fp_sub(ef_mbqm(d, in_mult, in_left_shift), lse), 22) + 127;
                y[c] = (int8_t)ef_clamp(v, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}
