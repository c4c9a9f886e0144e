// A test double of ESP-NN's public API (espressif/esp-nn include/esp_nn.h), used only by verification: the
// generated model component calls esp_nn_* functions on ESP32-S3/P4, and ESP-NN's sources are not available
// offline, so host and rv32 runs link this stand-in instead. It declares the same structs and signatures as
// the real headers (see src/codegen/espnn/lower.ts for the list) and implements every function with
// espforge's own portable kernels (src/codegen/c/kernels/kernels.c, copied under the espnn_double_ prefix), so
// every generated ESP-NN call is compiled and executed and its bytes compared with the integer simulator.
// This checks espforge's side of the contract (argument order, offsets and shift signs, layouts, scratch
// placement); it cannot check ESP-NN's own kernels, which INT8-ARITHMETIC.md section 18 found bit-exact with
// TFLM's reference.
//
// Scratch: esp_nn_get_conv_scratch_size / _depthwise_ / _softmax_ report 64 bytes (no more than espforge's
// smallest reservation) plus ESP_NN_DOUBLE_SCRATCH_EXTRA (default 0; a test raises it to check the generated
// guard). Before each call the double fills the reported block with 0xA5, so a scratch block planned on top of
// a live tensor corrupts the output and fails the byte comparison. The requantization tables the double
// derives at run time live in its own static buffer (ESP_NN_DOUBLE_MAX_CHANNELS output channels).

import { kernelFiles } from '../codegen/c/kernels.js';

const PREFIX = 'espnn_double';

const HEADER = `/* esp_nn.h: espforge's test double of ESP-NN's public API (verification only, not shipped in projects).
 * Same structs and signatures as espressif/esp-nn include/esp_nn_defs.h and esp_nn_ansi_headers.h. */
#ifndef ESPFORGE_ESP_NN_DOUBLE_H
#define ESPFORGE_ESP_NN_DOUBLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct data_dims {
    int32_t width;
    int32_t height;
    int32_t channels;
    int32_t extra;
} data_dims_t;

typedef struct data_2d {
    int32_t width;
    int32_t height;
} data_2d_t;

typedef struct act_params {
    int32_t min;
    int32_t max;
} act_params_t;

typedef struct quant_data {
    int32_t *shift;
    int32_t *mult;
} quant_data_t;

typedef struct conv_params {
    int32_t in_offset;
    int32_t out_offset;
    data_2d_t stride;
    data_2d_t padding;
    data_2d_t dilation;
    act_params_t activation;
} conv_params_t;

typedef struct dw_conv_params {
    int32_t in_offset;
    int32_t out_offset;
    int32_t ch_mult;
    data_2d_t stride;
    data_2d_t padding;
    data_2d_t dilation;
    act_params_t activation;
} dw_conv_params_t;

void esp_nn_add_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data, const int32_t input1_offset,
                               const int32_t input2_offset, const int32_t input1_mult, const int32_t input2_mult,
                               const int32_t input1_shift, const int32_t input2_shift, const int32_t left_shift,
                               int8_t *output, const int32_t out_offset, const int32_t out_mult,
                               const int32_t out_shift, const int32_t activation_min, const int32_t activation_max,
                               const int32_t size);
void esp_nn_mul_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data, const int32_t input1_offset,
                               const int32_t input2_offset, int8_t *output, const int32_t out_offset,
                               const int32_t out_mult, const int32_t out_shift, const int32_t activation_min,
                               const int32_t activation_max, const int32_t size);
void esp_nn_depthwise_conv_s8(const data_dims_t *input_dims, const int8_t *input_data, const data_dims_t *filter_dims,
                              const int8_t *filter_data, const int32_t *bias, const data_dims_t *output_dims,
                              int8_t *out_data, const dw_conv_params_t *conv_params, const quant_data_t *quant_data);
void esp_nn_conv_s8(const data_dims_t *input_dims, const int8_t *input_data, const data_dims_t *filter_dims,
                    const int8_t *filter_data, const int32_t *bias, const data_dims_t *output_dims, int8_t *out_data,
                    const conv_params_t *conv_params, const quant_data_t *quant_data);
int esp_nn_get_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                 const data_dims_t *output_dims, const conv_params_t *conv_params);
void esp_nn_set_conv_scratch_buf(const void *buf);
int esp_nn_get_depthwise_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                           const data_dims_t *output_dims, const dw_conv_params_t *conv_params);
void esp_nn_set_depthwise_conv_scratch_buf(const void *buf);
void esp_nn_relu6_s8(int8_t *data, uint16_t size);
void esp_nn_max_pool_s8(const int8_t *input, const uint16_t input_wd, const uint16_t input_ht, int8_t *output,
                        const uint16_t output_wd, const uint16_t output_ht, const uint16_t stride_wd,
                        const uint16_t stride_ht, const uint16_t filter_wd, const uint16_t filter_ht,
                        const uint16_t pad_wd, const uint16_t pad_ht, const int32_t activation_min,
                        const int32_t activation_max, const uint16_t channels);
void esp_nn_avg_pool_s8(const int8_t *input, const uint16_t input_wd, const uint16_t input_ht, int8_t *output,
                        const uint16_t output_wd, const uint16_t output_ht, const uint16_t stride_wd,
                        const uint16_t stride_ht, const uint16_t filter_wd, const uint16_t filter_ht,
                        const uint16_t pad_wd, const uint16_t pad_ht, const int32_t activation_min,
                        const int32_t activation_max, const uint16_t channels);
void esp_nn_fully_connected_s8(const int8_t *input_data, const int32_t input_offset, const uint16_t row_len,
                               const int8_t *filter_data, const int32_t filter_offset, const int32_t *bias,
                               int8_t *out_data, const uint16_t out_channels, const int32_t out_offset,
                               const int32_t out_shift, const int32_t out_mult, const int32_t activation_min,
                               const int32_t activation_max);
void esp_nn_fully_connected_per_ch_s8(const int8_t *input_data, const int32_t input_offset, const uint16_t row_len,
                                      const int8_t *filter_data, const int32_t filter_offset, const int32_t *bias,
                                      int8_t *out_data, const uint16_t out_channels, const int32_t out_offset,
                                      const int32_t *out_shift, const int32_t *out_mult,
                                      const int32_t activation_min, const int32_t activation_max);
int32_t esp_nn_get_softmax_scratch_size(const int32_t width, const int32_t height);
void esp_nn_set_softmax_scratch_buf(void *buffer);
void esp_nn_softmax_s8(const int8_t *input_data, const int32_t height, const int32_t width, const int32_t mult,
                       const int32_t shift, const int32_t diff_min, int8_t *output_data);

#ifdef __cplusplus
}
#endif

#endif /* ESPFORGE_ESP_NN_DOUBLE_H */
`;

const GLUE = `
/* ---- the ESP-NN API on top of the portable kernels above ---- */
#include "esp_nn.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef ESP_NN_DOUBLE_SCRATCH_EXTRA
#define ESP_NN_DOUBLE_SCRATCH_EXTRA 0
#endif
#ifndef ESP_NN_DOUBLE_MAX_CHANNELS
#define ESP_NN_DOUBLE_MAX_CHANNELS 4096
#endif
#define DBL_REPORTED_SCRATCH (64 + ESP_NN_DOUBLE_SCRATCH_EXTRA)

static int32_t dbl_tab[3 * ESP_NN_DOUBLE_MAX_CHANNELS];

static void *dbl_conv_scratch;
static void *dbl_dw_scratch;
static void *dbl_sm_scratch;

/* Requantization tables of the portable kernels (section rq) from ESP-NN's (mult, shift) arrays: m = 2*M and the
 * shift code (-S - 1 for S < 0, 32 + S otherwise) per channel, the same exact re-encoding the emitter's rqTable does
 * at generation time. */
static uint8_t dbl_s[ESP_NN_DOUBLE_MAX_CHANNELS];

static void dbl_rq(int32_t *m, uint8_t *sc, const int32_t *mult, const int32_t *shift, int n)
{
    int c;
    for (c = 0; c < n; ++c) {
        m[c] = (int32_t)(2u * (uint32_t)mult[c]);
        sc[c] = (uint8_t)(shift[c] < 0 ? -shift[c] - 1 : 32 + shift[c]);
    }
}

static void dbl_fill(void *p, int n)
{
    unsigned char *b = (unsigned char *)p;
    int i;
    for (i = 0; i < n; ++i) b[i] = 0xA5;
}

int esp_nn_get_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                 const data_dims_t *output_dims, const conv_params_t *conv_params)
{
    (void)input_dims;
    (void)filter_dims;
    (void)conv_params;
    (void)output_dims;
    return DBL_REPORTED_SCRATCH;
}

void esp_nn_set_conv_scratch_buf(const void *buf)
{
    dbl_conv_scratch = (void *)(uintptr_t)buf;
}

int esp_nn_get_depthwise_conv_scratch_size(const data_dims_t *input_dims, const data_dims_t *filter_dims,
                                           const data_dims_t *output_dims, const dw_conv_params_t *conv_params)
{
    (void)input_dims;
    (void)filter_dims;
    (void)conv_params;
    (void)output_dims;
    return DBL_REPORTED_SCRATCH;
}

void esp_nn_set_depthwise_conv_scratch_buf(const void *buf)
{
    dbl_dw_scratch = (void *)(uintptr_t)buf;
}

/* Fills the scratch block ESP-NN was given, then lays out {rq m, bias_adj, bias} in the double's own table (rq k in
 * dbl_s) and
 * folds in_zp into bias_adj over the taps filter values of each output channel, read with the given strides. */
static int32_t *dbl_prepare(void *scratch, int oc, const quant_data_t *qd, const int32_t *bias, const int8_t *w,
                            int taps, int tap_stride, int oc_stride, int32_t in_zp)
{
    int32_t *rq = dbl_tab;
    int32_t *badj = rq + oc;
    int32_t *b = badj + oc;
    int o, t;
    if (scratch == NULL || oc > ESP_NN_DOUBLE_MAX_CHANNELS) {
        fprintf(stderr, "esp-nn test double: scratch not set or more than %d channels\\n", ESP_NN_DOUBLE_MAX_CHANNELS);
        exit(70);
    }
    dbl_fill(scratch, DBL_REPORTED_SCRATCH);
    dbl_rq(rq, dbl_s, qd->mult, qd->shift, oc);
    for (o = 0; o < oc; ++o) {
        int32_t s = 0;
        for (t = 0; t < taps; ++t) s += w[(size_t)o * oc_stride + (size_t)t * tap_stride];
        b[o] = bias ? bias[o] : 0;
        badj[o] = (int32_t)((uint32_t)b[o] - (uint32_t)in_zp * (uint32_t)s);
    }
    return rq;
}

void esp_nn_conv_s8(const data_dims_t *input_dims, const int8_t *input_data, const data_dims_t *filter_dims,
                    const int8_t *filter_data, const int32_t *bias, const data_dims_t *output_dims, int8_t *out_data,
                    const conv_params_t *conv_params, const quant_data_t *quant_data)
{
    const int ic = input_dims->channels, oc = output_dims->channels;
    const int kh = filter_dims->height, kw = filter_dims->width;
    const int32_t in_zp = -conv_params->in_offset;
    int32_t *rq = dbl_prepare(dbl_conv_scratch, oc, quant_data, bias, filter_data, kh * kw * ic, 1, kh * kw * ic, in_zp);
    espnn_double_conv_s8(input_data, input_dims->height, input_dims->width, ic, filter_data, rq + oc,
                         rq + 2 * oc, out_data, output_dims->height, output_dims->width, oc, kh, kw,
                         conv_params->stride.height, conv_params->stride.width, conv_params->dilation.height,
                         conv_params->dilation.width, conv_params->padding.height, conv_params->padding.width, 1,
                         in_zp, conv_params->out_offset, rq, dbl_s, conv_params->activation.min, conv_params->activation.max);
}

void esp_nn_depthwise_conv_s8(const data_dims_t *input_dims, const int8_t *input_data, const data_dims_t *filter_dims,
                              const int8_t *filter_data, const int32_t *bias, const data_dims_t *output_dims,
                              int8_t *out_data, const dw_conv_params_t *conv_params, const quant_data_t *quant_data)
{
    const int oc = output_dims->channels;
    const int kh = filter_dims->height, kw = filter_dims->width;
    const int32_t in_zp = -conv_params->in_offset;
    /* ESP-NN's depthwise filter is [kh][kw][oc]: tap t of channel o is at t * oc + o */
    int32_t *rq = dbl_prepare(dbl_dw_scratch, oc, quant_data, bias, filter_data, kh * kw, oc, 1, in_zp);
    espnn_double_dwconv_s8(input_data, input_dims->height, input_dims->width, input_dims->channels,
                           conv_params->ch_mult, filter_data, rq + oc, rq + 2 * oc, out_data,
                           output_dims->height, output_dims->width, kh, kw, conv_params->stride.height,
                           conv_params->stride.width, conv_params->dilation.height, conv_params->dilation.width,
                           conv_params->padding.height, conv_params->padding.width, in_zp, conv_params->out_offset, rq, dbl_s,
                           conv_params->activation.min, conv_params->activation.max);
}

static void dbl_fc(const int8_t *x, int32_t x_off, int k, const int8_t *w, int32_t w_off, const int32_t *bias,
                   int8_t *out, int n, int32_t out_off, const int32_t *shift, const int32_t *mult, int per_ch,
                   int32_t lo, int32_t hi)
{
    int o, i;
    for (o = 0; o < n; ++o) {
        int32_t acc = bias ? bias[o] : 0;
        for (i = 0; i < k; ++i) acc += (x[i] + x_off) * (w[(size_t)o * k + i] + w_off);
        acc = espnn_double_mbqm(acc, mult[per_ch ? o : 0], shift[per_ch ? o : 0]) + out_off;
        out[o] = (int8_t)espnn_double_clamp(acc, lo, hi);
    }
}

void esp_nn_fully_connected_s8(const int8_t *input_data, const int32_t input_offset, const uint16_t row_len,
                               const int8_t *filter_data, const int32_t filter_offset, const int32_t *bias,
                               int8_t *out_data, const uint16_t out_channels, const int32_t out_offset,
                               const int32_t out_shift, const int32_t out_mult, const int32_t activation_min,
                               const int32_t activation_max)
{
    dbl_fc(input_data, input_offset, row_len, filter_data, filter_offset, bias, out_data, out_channels, out_offset,
           &out_shift, &out_mult, 0, activation_min, activation_max);
}

void esp_nn_fully_connected_per_ch_s8(const int8_t *input_data, const int32_t input_offset, const uint16_t row_len,
                                      const int8_t *filter_data, const int32_t filter_offset, const int32_t *bias,
                                      int8_t *out_data, const uint16_t out_channels, const int32_t out_offset,
                                      const int32_t *out_shift, const int32_t *out_mult,
                                      const int32_t activation_min, const int32_t activation_max)
{
    dbl_fc(input_data, input_offset, row_len, filter_data, filter_offset, bias, out_data, out_channels, out_offset,
           out_shift, out_mult, 1, activation_min, activation_max);
}

void esp_nn_max_pool_s8(const int8_t *input, const uint16_t input_wd, const uint16_t input_ht, int8_t *output,
                        const uint16_t output_wd, const uint16_t output_ht, const uint16_t stride_wd,
                        const uint16_t stride_ht, const uint16_t filter_wd, const uint16_t filter_ht,
                        const uint16_t pad_wd, const uint16_t pad_ht, const int32_t activation_min,
                        const int32_t activation_max, const uint16_t channels)
{
    espnn_double_maxpool_s8(input, input_ht, input_wd, channels, output, output_ht, output_wd, filter_ht, filter_wd,
                            stride_ht, stride_wd, pad_ht, pad_wd, activation_min, activation_max);
}

void esp_nn_avg_pool_s8(const int8_t *input, const uint16_t input_wd, const uint16_t input_ht, int8_t *output,
                        const uint16_t output_wd, const uint16_t output_ht, const uint16_t stride_wd,
                        const uint16_t stride_ht, const uint16_t filter_wd, const uint16_t filter_ht,
                        const uint16_t pad_wd, const uint16_t pad_ht, const int32_t activation_min,
                        const int32_t activation_max, const uint16_t channels)
{
    espnn_double_avgpool_s8(input, input_ht, input_wd, channels, output, output_ht, output_wd, filter_ht, filter_wd,
                            stride_ht, stride_wd, pad_ht, pad_wd, activation_min, activation_max);
}

void esp_nn_add_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data, const int32_t input1_offset,
                               const int32_t input2_offset, const int32_t input1_mult, const int32_t input2_mult,
                               const int32_t input1_shift, const int32_t input2_shift, const int32_t left_shift,
                               int8_t *output, const int32_t out_offset, const int32_t out_mult,
                               const int32_t out_shift, const int32_t activation_min, const int32_t activation_max,
                               const int32_t size)
{
    const int32_t dims[4] = {1, 1, 1, size};
    const int32_t st[4] = {0, 0, 0, 1};
    espnn_double_add_s8(input1_data, input2_data, output, dims, st, st, 1, -input1_offset, -input2_offset, left_shift,
                        input1_mult, input1_shift, input2_mult, input2_shift, out_mult, out_shift, out_offset,
                        activation_min, activation_max);
}

void esp_nn_mul_elementwise_s8(const int8_t *input1_data, const int8_t *input2_data, const int32_t input1_offset,
                               const int32_t input2_offset, int8_t *output, const int32_t out_offset,
                               const int32_t out_mult, const int32_t out_shift, const int32_t activation_min,
                               const int32_t activation_max, const int32_t size)
{
    const int32_t dims[4] = {1, 1, 1, size};
    const int32_t st[4] = {0, 0, 0, 1};
    espnn_double_mul_s8(input1_data, input2_data, output, dims, st, st, -input1_offset, -input2_offset, out_mult,
                        out_shift, out_offset, activation_min, activation_max);
}

void esp_nn_relu6_s8(int8_t *data, uint16_t size)
{
    espnn_double_clamp_s8(data, data, size, 0, 6);
}

int32_t esp_nn_get_softmax_scratch_size(const int32_t width, const int32_t height)
{
    (void)height;
    (void)width;
    return DBL_REPORTED_SCRATCH;
}

void esp_nn_set_softmax_scratch_buf(void *buffer)
{
    dbl_sm_scratch = buffer;
}

void esp_nn_softmax_s8(const int8_t *input_data, const int32_t height, const int32_t width, const int32_t mult,
                       const int32_t shift, const int32_t diff_min, int8_t *output_data)
{
    if (dbl_sm_scratch == NULL) {
        fprintf(stderr, "esp-nn test double: softmax scratch not set\\n");
        exit(70);
    }
    dbl_fill(dbl_sm_scratch, DBL_REPORTED_SCRATCH);
    espnn_double_softmax_s8(input_data, output_data, height, width, mult, shift, diff_min);
}
`;

/** The double's files: esp_nn.h and esp_nn_double.c (+ its private kernel header), to add to a verification build. */
export function espnnDoubleFiles(): Record<string, string> {
  const kf = kernelFiles(['conv', 'dwconv', 'avgpool', 'maxpool', 'add', 'mul', 'softmax', 'clamp'], PREFIX, '/* espforge ESP-NN test double: portable kernels */\n');
  return {
    'esp_nn.h': HEADER,
    'esp_nn_double_kernels.h': kf.header,
    'esp_nn_double.c': kf.source.replace('#include "espforge_kernels.h"', '#include "esp_nn_double_kernels.h"') + GLUE,
  };
}
