// ESP-NN back end: per layer, decide whether Espressif's ESP-NN library (espressif/esp-nn) can run it, and if so
// emit the call to its public API instead of the portable kernel. The portable kernel stays the fallback for
// every layer ESP-NN does not take, so a model can mix both.
//
// The API used here is the one in espressif/esp-nn include/esp_nn_defs.h and include/esp_nn_ansi_headers.h
// (the per-chip headers esp_nn_esp32s3.h / esp_nn_esp32p4.h / esp_nn_riscv_pie.h map the generic names to
// their kernels):
//   esp_nn_conv_s8(const data_dims_t *input_dims, const int8_t *input, const data_dims_t *filter_dims,
//                  const int8_t *filter, const int32_t *bias, const data_dims_t *output_dims, int8_t *out,
//                  const conv_params_t *conv_params, const quant_data_t *quant_data)
//   esp_nn_depthwise_conv_s8(... same, with const dw_conv_params_t *)
//   int esp_nn_get_conv_scratch_size(in_dims, filter_dims, out_dims, conv_params) / esp_nn_set_conv_scratch_buf(buf)
//   int esp_nn_get_depthwise_conv_scratch_size(...) / esp_nn_set_depthwise_conv_scratch_buf(buf)
//   esp_nn_fully_connected_s8(input, input_offset, uint16 row_len, filter, filter_offset, bias, out,
//                             uint16 out_channels, out_offset, int32 out_shift, int32 out_mult, act_min, act_max)
//   esp_nn_fully_connected_per_ch_s8(... const int32_t *out_shift, const int32_t *out_mult ...)
//   esp_nn_avg_pool_s8 / esp_nn_max_pool_s8(input, uint16 in_wd, in_ht, output, out_wd, out_ht, stride_wd,
//                             stride_ht, filter_wd, filter_ht, pad_wd, pad_ht, int32 act_min, act_max, uint16 channels)
//   esp_nn_add_elementwise_s8(in1, in2, in1_offset, in2_offset, in1_mult, in2_mult, in1_shift, in2_shift,
//                             left_shift, out, out_offset, out_mult, out_shift, act_min, act_max, int32 size)
//   esp_nn_mul_elementwise_s8(in1, in2, in1_offset, in2_offset, out, out_offset, out_mult, out_shift,
//                             act_min, act_max, int32 size)
//   esp_nn_relu6_s8(int8_t *data, uint16_t size)            (in place, clamps raw values to [0, 6])
//   esp_nn_softmax_s8(input, int32 height, int32 width, mult, shift, diff_min, output)
//   int32_t esp_nn_get_softmax_scratch_size(width, height) / esp_nn_set_softmax_scratch_buf(void *)
// Struct field order: data_dims_t {width, height, channels, extra}; data_2d_t {width, height};
// act_params_t {min, max}; quant_data_t {int32_t *shift, int32_t *mult};
// conv_params_t {in_offset, out_offset, stride, padding, dilation, activation};
// dw_conv_params_t {in_offset, out_offset, ch_mult, stride, padding, dilation, activation}.
// Offsets follow TFLite: in_offset = -input_zero_point, out_offset = output_zero_point; shifts > 0 shift left.
// Designated initializers keep the generated structs right even if a later ESP-NN reorders fields.
//
// Scratch: ESP-NN's optimized conv / depthwise / softmax need a caller-provided scratch buffer whose size only
// the library knows (esp_nn_get_*_scratch_size, chip and version dependent). espforge reserves, per layer, a
// block in the planned arena sized by an upper bound of the ESP32-S3 and ESP32-P4 formulas (scratchBound
// below), and the generated code asks ESP-NN for the real size before every call: if ESP-NN ever wants more
// than was planned, NAME_invoke returns -1 instead of writing past the block.
//
// Bit-exactness: ESP-NN is bit-exact with TFLM's reference kernels (INT8-ARITHMETIC.md section 18) and so with
// the portable kernels and the integer simulator. Constraints taken from ESP-NN's headers and sources:
// int8 (not uint8 / int16) activations, no dilation (the S3 and ANSI kernels assume 1), no grouped conv other
// than depthwise (older releases ignore filter_dims.channels), symmetric weights (conv filter offset 0),
// dimensions in uint16 (and the ANSI depthwise keeps window origins in int16), element-wise ops without
// broadcasting and with non-positive shifts (esp_nn_ansi_headers.h: "shift values are expected to be <= 0"),
// and on ESP32-S3 fully connected rows and channels in multiples of 8 (esp_nn_esp32s3.h).

import type { Graph } from '../../ir/graph.js';
import type { LayerBackend } from '../c/emit.js';
import { no, type Decision } from './lowering.js';
import { espnnLowering } from './ops/index.js';

export { convScratchBound, dwScratchBound, softmaxScratchBound } from './lowering.js';

export type KernelChoice = 'auto' | 'portable' | 'esp-nn';

export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'portable', 'esp-nn'];

/** Chips whose ESP-NN build has SIMD kernels (auto picks ESP-NN there). */
export const ESPNN_SIMD_CHIPS = ['esp32s3', 'esp32p4'];

/** Does `--kernels` resolve to ESP-NN on this chip? */
export function useEspNn(choice: KernelChoice | undefined, chipId: string): boolean {
  if (choice === 'esp-nn') return true;
  if (choice === 'portable') return false;
  return ESPNN_SIMD_CHIPS.includes(chipId);
}

export function espnnBackend(g: Graph, chipId: string): LayerBackend & { decisions: Map<number, Decision> } {
  const decisions = new Map<number, Decision>();
  g.nodes.forEach((n, i) => {
    const low = espnnLowering(n.op);
    if (!low) return;
    const X = g.tensors[n.inputs[0]];
    const Y = g.tensors[n.outputs[0]];
    const d = X.dtype !== 'int8' || Y.dtype !== 'int8' ? no(`ESP-NN kernels are int8 only (${X.dtype} -> ${Y.dtype})`) : low.decide(g, n, chipId);
    if (d) decisions.set(i, d);
  });
  return {
    name: 'esp-nn',
    decisions,
    takes: (i) => decisions.get(i)?.take === true,
    scratchBytes: (i) => (decisions.get(i)?.take ? decisions.get(i)!.scratch ?? 0 : 0),
    note: (i) => decisions.get(i)?.reason,
    includes: ['esp_nn.h'],
    emit: (n, i, ctx) => espnnLowering(n.op)!.emit(g, n, i, ctx),
  };
}
