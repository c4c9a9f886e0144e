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

import { shapeSize } from '../../ir/dtype.js';
import type { Graph, Node } from '../../ir/graph.js';
import { commentSafe } from '../common/cwriter.js';
import type { BackendCtx, ConstArray, LayerBackend, LayerCode } from '../c/emit.js';

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

type QP = Record<string, number | number[]>;

const U16 = 65535;
const I16 = 32767;
const a16 = (n: number) => Math.ceil(n / 16) * 16;
const a8 = (n: number) => Math.ceil(n / 8) * 8;

function q1(q: QP | undefined, k: string): number | undefined {
  const v = q?.[k];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  return undefined;
}

function qArr(q: QP | undefined, k: string, n: number): number[] | undefined {
  const v = q?.[k];
  const a = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a)) return undefined;
  if (a.length === 1 && n > 1) return new Array<number>(n).fill(a[0]);
  return a.length === n ? a : undefined;
}

const attrNums = (n: Node, k: string, d: number[]) => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : d);

interface ConvGeom {
  IH: number;
  IW: number;
  IC: number;
  OH: number;
  OW: number;
  OC: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

const MARGIN = 64;

/** ESP32-S3 conv scratch as esp_nn_get_conv_scratch_size_esp32s3 computes it (esp_nn_conv_esp32s3.c), with the
 * 3x3 fast path (whose own size is not public) bounded by an aligned filter copy + window + corrections. */
function convScratchS3(c: ConvGeom): number {
  const { IH, IW, IC, OH, OW, OC, KH, KW, sh, sw, pt, pl } = c;
  const align = 64;
  if (KH === 1 && KW === 1 && pt === 0 && pl === 0 && sh === 1 && sw === 1) {
    const transpose = IW * IH < 8 ? 0 : 2 * 8 * a8(IC);
    const panel = IC * OC > 24 * 1024 ? 24 * IC + 16 * 1024 + align : 0;
    return Math.max(transpose + align, 16 * IC + 8 * IC + 8 * OC + align, panel);
  }
  const win = KH * KW * IC;
  let general: number;
  if (KW * IC < 16 && win >= 16) general = OC * 4 + 16 + OC * a16(win) + 16 + a16(win) + align;
  else {
    const padR = Math.max(0, (OW - 1) * sw + KW - pl - IW);
    const padB = Math.max(0, (OH - 1) * sh + KH - pt - IH);
    const input = pl === 0 && pt === 0 && padR === 0 && padB === 0 ? 0 : (IW + pl + padR) * (IH + pt + padB) * IC;
    general = input + Math.max(a16(KW * IC) * KH * OC, win * OC) + align + 4 * OC;
  }
  const threeByThree = KH === 3 && KW === 3 ? OC * a16(win) + 2 * a16(win) + 8 * OC + align : 0;
  return Math.max(general, threeByThree);
}

/** ESP32-P4 conv scratch as esp_nn_get_conv_scratch_size_esp32p4 computes it (esp_nn_conv_esp32p4.c), taking
 * the monolithic padded path where the library may tile. */
function convScratchP4(c: ConvGeom): number {
  const { IH, IW, IC, OC, KH, KW, sh, sw, pt, pl } = c;
  const align = 32;
  if (KH === 1 && KW === 1 && pt === 0 && pl === 0 && sh === 1 && sw === 1) {
    if (IC < 16) return OC * 4 + 16 * OC + 32 + align;
    const transpose = IW * IH < 8 ? 0 : 2 * 8 * a8(IC);
    return (IC % 8 ? IW * IH * a8(IC) : 0) + a8(IC) * OC + transpose + align;
  }
  const acc = 4 * OC;
  if (pt === 0 && pl === 0 && KW * IC >= 16) return KW * KH * a16(IC) * OC + align + acc;
  if (KW * KH * IC >= 16) return acc + KW * KH * IC + align;
  const eff = a16(Math.ceil(16 / KW));
  if (pt === 0 && pl === 0) return acc + KW * KH * eff * OC + IW * IH * eff + align;
  return (IW + 2 * pl) * (IH + 2 * pt) * Math.max(IC, eff) + KW * KH * Math.max(a16(IC), eff) * OC + align + acc;
}

/** Scratch bytes espforge reserves for an ESP-NN conv on this chip (other chips: the larger of the two). */
export function convScratchBound(chipId: string, c: ConvGeom): number {
  const v = chipId === 'esp32s3' ? convScratchS3(c) : chipId === 'esp32p4' ? convScratchP4(c) : Math.max(convScratchS3(c), convScratchP4(c));
  return a16(v + MARGIN);
}

/** ESP32-S3 depthwise scratch as esp_nn_get_depthwise_conv_scratch_size_esp32s3 dispatches
 * (esp_nn_depthwise_conv_s8_esp32s3.c): int8 padded input (tiled to a 40 KB budget) for 3x3 with channels % 16,
 * a channel-padded int8 path for other multiples of 8 from 12 channels, int16 copies of filter and input
 * otherwise (tiled above 48 KB), a channel-padded int16 path for ch_mult 1, and int16 copies for ch_mult % 4. */
function dwScratchS3(c: ConvGeom & { mult: number }): number {
  const { IH, IW, IC, OH, OW, KH, KW, sh, sw, pt, pl, mult } = c;
  const filter = KW * KH * IC * mult;
  const input = IW * IH * IC;
  if (mult === 1 && IC % 8 === 0) {
    if (KH === 3 && KW === 3) {
      if (IC % 16 === 0) {
        const padW = pl + Math.max(0, (OW - 1) * sw + KW - pl - IW);
        const padH = pt + Math.max(0, (OH - 1) * sh + KH - pt - IH);
        if (!padW && !padH) return filter + 16;
        const full = (IW + padW) * (IH + padH) * IC;
        if (full <= 40 * 1024) return filter + full + 16;
        const row = (IW + padW) * IC;
        const rows = Math.min(Math.max(Math.floor((40 * 1024 - filter - 32) / row), KH), IH + padH);
        return filter + rows * row + 32;
      }
      if (IC >= 12) {
        const C16 = a16(IC);
        const padTotW = 2 * pl + Math.max(0, OW * sw + 2 - IW);
        const padTotH = 2 * pt + Math.max(0, OH * sh + 2 - IH);
        return 9 * C16 + (IW + padTotW) * (IH + padTotH) * C16 + OW * OH * C16 + 12 * C16 + 64;
      }
      return 2 * (filter + input) + 32;
    }
    const s16 = 2 * (filter + input);
    return s16 <= 48 * 1024 ? s16 + 32 : 2 * filter + 2 * IW * KH * IC + 32;
  }
  if (mult === 1 && IC > 3) {
    const CP = a8(IC);
    return a16(2 * KW * KH * CP) + a16(2 * IW * IH * CP) + a16(OW * OH * CP) + 12 * CP + 16 + 48;
  }
  if (mult % 4 === 0) return 2 * (filter + input) + 32;
  return 32;
}

/** Scratch bytes espforge reserves for an ESP-NN depthwise conv: the S3 formula on ESP32-S3; elsewhere (ESP32-P4's
 * kernels and the generic ones, whose sizes were not read) at least int16 copies of filter and input as well. */
export function dwScratchBound(chipId: string, c: ConvGeom & { mult: number }): number {
  const s3 = dwScratchS3(c);
  const v = chipId === 'esp32s3' ? s3 : Math.max(s3, 2 * (c.KW * c.KH * c.IC * c.mult + c.IW * c.IH * c.IC) + 32);
  return a16(v + MARGIN);
}

/** Softmax: 4 bytes per element of a row in the generic version (esp_nn_ansi_headers.h), with a margin. */
export function softmaxScratchBound(depth: number): number {
  return a16(8 * depth + MARGIN);
}

interface Decision {
  take: boolean;
  /** Why ESP-NN does not take an op it has a kernel for (shown in the report). */
  reason?: string;
  scratch?: number;
}

/** Ops ESP-NN has a kernel for (whether it takes a given layer depends on its shapes and parameters). */
const ESPNN_OPS = new Set(['Conv', 'FullyConnected', 'AveragePool', 'MaxPool', 'Add', 'Mul', 'Softmax', 'Clip', 'Relu']);

export function espnnBackend(g: Graph, chipId: string): LayerBackend & { decisions: Map<number, Decision> } {
  const decisions = new Map<number, Decision>();
  g.nodes.forEach((n, i) => {
    if (!ESPNN_OPS.has(n.op)) return;
    const d = decide(g, n, chipId);
    if (d) decisions.set(i, d);
  });
  return {
    name: 'esp-nn',
    decisions,
    takes: (i) => decisions.get(i)?.take === true,
    scratchBytes: (i) => (decisions.get(i)?.take ? decisions.get(i)!.scratch ?? 0 : 0),
    note: (i) => decisions.get(i)?.reason,
    includes: ['esp_nn.h'],
    emit: (n, i, ctx) => emitEspNn(g, n, i, ctx),
  };
}

function decide(g: Graph, n: Node, chipId: string): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP | undefined;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const no = (reason: string): Decision => ({ take: false, reason });
  if (X.dtype !== 'int8' || Y.dtype !== 'int8') return no(`ESP-NN kernels are int8 only (${X.dtype} -> ${Y.dtype})`);
  switch (n.op) {
    case 'Conv': {
      const W = T(n.inputs[1]);
      if (!W.data || W.dtype !== 'int8') return no('weights are not constant int8');
      if (X.shape.length !== 4) return no('not a 2-D convolution');
      if (W.quant && W.quant.zeroPoint.some((z) => z !== 0)) return no('asymmetric weights (ESP-NN conv has no filter offset)');
      const [, IH, IW, IC] = X.shape;
      const [, OH, OW, OC] = Y.shape;
      const [, KH, KW] = W.shape;
      const group = (n.attrs.group as number | undefined) ?? 1;
      const depthwise = group === IC && group > 1 && W.shape[3] === 1;
      if (group !== 1 && !depthwise) return no('grouped convolution (only plain and depthwise go to ESP-NN)');
      if (attrNums(n, 'dilations', [1, 1]).some((d) => d !== 1)) return no('dilation > 1 (ESP-NN kernels assume 1)');
      const pads = attrNums(n, 'pads', [0, 0, 0, 0]);
      if (pads.some((p) => p < 0 || p > I16)) return no('negative or huge padding');
      if ([IH, IW, IC, OH, OW, OC, KH, KW].some((d) => d > I16)) return no('a dimension above 32767');
      if (!qArr(q, 'mult', OC) || !qArr(q, 'shift', OC)) return no('no per-channel requantization data');
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const geom: ConvGeom = { IH, IW, IC, OH, OW, OC, KH, KW, sh, sw, pt: pads[0], pl: pads[1] };
      return depthwise ? { take: true, scratch: dwScratchBound(chipId, { ...geom, mult: OC / IC }) } : { take: true, scratch: convScratchBound(chipId, geom) };
    }
    case 'FullyConnected': {
      const W = T(n.inputs[1]);
      if (!W.data || W.dtype !== 'int8') return no('weights are not constant int8');
      const [No, K] = W.shape;
      if (K > U16 || No > U16) return no('row length or channels above 65535');
      if (q1(q, 'w_zp') !== undefined && q1(q, 'w_zp') !== 0) return no('asymmetric weights');
      if (!qArr(q, 'mult', No) || !qArr(q, 'shift', No)) return no('no requantization data');
      if (chipId === 'esp32s3' && (K % 8 !== 0 || No % 8 !== 0))
        return no(`ESP32-S3 ESP-NN fully connected documents row_len and channels as multiples of 8 (here ${K} and ${No})`);
      return { take: true };
    }
    case 'AveragePool':
    case 'MaxPool': {
      if (X.shape.length !== 4) return no('not a 2-D pool');
      const [, IH, IW, C] = X.shape;
      const [, OH, OW] = Y.shape;
      const [kh, kw] = attrNums(n, 'kernel', [1, 1]);
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      if (attrNums(n, 'dilations', [1, 1]).some((d) => d !== 1)) return no('dilated pooling');
      if (n.op === 'AveragePool' && n.attrs.count_include_pad === 1 && (pt > 0 || pl > 0)) return no('count_include_pad');
      if ([IH, IW, C, OH, OW, kh, kw, sh, sw, pt, pl].some((d) => d < 0 || d > I16)) return no('a dimension outside [0, 32767]');
      return { take: true };
    }
    case 'Add':
    case 'Mul': {
      const X2 = T(n.inputs[1]);
      if (X2.dtype !== 'int8') return no('int8 only');
      if (X.data || X2.data) return no('a constant operand');
      if (shapeSize(X.shape) !== shapeSize(Y.shape) || shapeSize(X2.shape) !== shapeSize(Y.shape)) return no('broadcasting (ESP-NN element-wise ops take equal shapes)');
      const shifts = n.op === 'Add' ? ['in_shift', 'in2_shift', 'out_shift'] : ['shift'];
      if (shifts.some((k) => (q1(q, k) ?? 1) > 0)) return no('a positive shift (ESP-NN expects shifts <= 0)');
      return { take: true };
    }
    case 'Softmax': {
      const r = X.shape.length;
      const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
      if (axis !== r - 1) return no('softmax over a non-last axis');
      return { take: true, scratch: softmaxScratchBound(X.shape[r - 1]) };
    }
    case 'Clip':
    case 'Relu': {
      // esp_nn_relu6_s8 clamps raw int8 values to [0, 6]: exactly this layer only when it does not requantize
      // and its quantized bounds are 0 and 6.
      if (q1(q, 'same_quant') !== 1 || q1(q, 'act_min') !== 0 || q1(q, 'act_max') !== 6) return undefined;
      if (shapeSize(X.shape) > U16) return no('more than 65535 elements');
      return { take: true };
    }
  }
  return undefined;
}

function emitEspNn(g: Graph, n: Node, i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { P, L, ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
  const scratch = `(void *)(arena + ${c.scratchOffset ?? 0})`;
  const guard = (fn: string, args: string) =>
    `        if (${fn}(${args}) > ${c.scratchSize ?? 0}) return -1; /* ESP-NN wants more scratch than planned */`;
  switch (n.op) {
    case 'Conv': {
      const W = T(n.inputs[1]);
      const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
      const [N, IH, IW, IC] = X.shape;
      const [, OH, OW, OC] = Y.shape;
      const [, KH, KW] = W.shape;
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      const group = (n.attrs.group as number | undefined) ?? 1;
      const dw = group > 1;
      const ms = qArr(q, 'mult', OC)!;
      const ss = qArr(q, 'shift', OC)!;
      consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel (ESP-NN quant_data_t.mult)`, where: 'model' });
      consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel, > 0 left (ESP-NN quant_data_t.shift)`, where: 'model' });
      let w: ArrayLike<number> = W.data!;
      if (dw) {
        const wt = new Int8Array(KH * KW * OC);
        for (let o = 0; o < OC; o++) for (let t = 0; t < KH * KW; t++) wt[t * OC + o] = W.data![o * KH * KW + t];
        w = wt;
      }
      consts.push({
        sym: `${L}_w`,
        ctype: 'int8_t',
        data: w,
        comment: dw
          ? `layer ${i} '${commentSafe(n.name)}': depthwise filter for ESP-NN, layout [1][KH=${KH}][KW=${KW}][C*mult=${OC}] (re-laid from [${W.shape.join(',')}])`
          : `layer ${i} '${commentSafe(n.name)}': filter for ESP-NN, layout OHWI [${W.shape.join(',')}]`,
        where: 'weights',
      });
      if (B?.data) consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: B.data, comment: `layer ${i}: bias [${OC}] (int32, scale s_in*s_w)`, where: 'weights' });
      const bias = B?.data ? `${L}_bias` : 'NULL';
      const act = `.activation = {.min = ${num('act_min')}, .max = ${num('act_max')}}`;
      const geo = `.stride = {.width = ${sw}, .height = ${sh}}, .padding = {.width = ${pl}, .height = ${pt}}, .dilation = {.width = 1, .height = 1}`;
      const params = dw
        ? `static const dw_conv_params_t cp = {.in_offset = ${-num('in_zp')}, .out_offset = ${num('out_zp')}, .ch_mult = ${OC / IC}, ${geo}, ${act}};`
        : `static const conv_params_t cp = {.in_offset = ${-num('in_zp')}, .out_offset = ${num('out_zp')}, ${geo}, ${act}};`;
      const kind = dw ? 'depthwise_conv' : 'conv';
      const lines = [
        `    {`,
        `        static const data_dims_t in_dims = {.width = ${IW}, .height = ${IH}, .channels = ${IC}, .extra = 1};`,
        `        static const data_dims_t filter_dims = {.width = ${KW}, .height = ${KH}, .channels = ${dw ? 0 : IC}, .extra = 0};`,
        `        static const data_dims_t out_dims = {.width = ${OW}, .height = ${OH}, .channels = ${OC}, .extra = 1};`,
        `        ${params}`,
        `        static const quant_data_t qd = {.shift = (int32_t *)${L}_shift, .mult = (int32_t *)${L}_mult};`,
        guard(`esp_nn_get_${kind}_scratch_size`, '&in_dims, &filter_dims, &out_dims, &cp'),
        `        esp_nn_set_${kind}_scratch_buf(${scratch});`,
      ];
      for (let b = 0; b < N; b++)
        lines.push(`        esp_nn_${kind}_s8(&in_dims, ${cptr(X.id)} + ${b * IH * IW * IC}, &filter_dims, ${L}_w, ${bias}, &out_dims, ${ptr(Y.id)} + ${b * OH * OW * OC}, &cp, &qd);`);
      lines.push(`    }`);
      return { kernel: [`esp-nn:esp_nn_${kind}_s8`], call: lines.join('\n'), consts, notes: [`ESP-NN esp_nn_${kind}_s8, scratch ${c.scratchSize ?? 0} B planned at arena offset ${c.scratchOffset ?? 0}`] };
    }
    case 'FullyConnected': {
      const W = T(n.inputs[1]);
      const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
      const [No, K] = W.shape;
      const rows = shapeSize(X.shape) / K;
      const ms = qArr(q, 'mult', No)!;
      const ss = qArr(q, 'shift', No)!;
      const perCh = ms.some((m) => m !== ms[0]) || ss.some((s) => s !== ss[0]);
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: W.data!, comment: `layer ${i} '${commentSafe(n.name)}': weights for ESP-NN [out=${No}][row_len=${K}]`, where: 'weights' });
      if (B?.data) consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: B.data, comment: `layer ${i}: bias [${No}]`, where: 'weights' });
      const bias = B?.data ? `${L}_bias` : 'NULL';
      let rq: string;
      if (perCh) {
        consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel`, where: 'model' });
        consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel, > 0 left`, where: 'model' });
        rq = `${L}_shift, ${L}_mult`;
      } else rq = `${ss[0]}, ${ms[0]}`;
      const fn = perCh ? 'esp_nn_fully_connected_per_ch_s8' : 'esp_nn_fully_connected_s8';
      const lines: string[] = [];
      for (let r = 0; r < rows; r++)
        lines.push(`    ${fn}(${cptr(X.id)} + ${r * K}, ${-num('in_zp')}, ${K}, ${L}_w, 0, ${bias}, ${ptr(Y.id)} + ${r * No}, ${No}, ${num('out_zp')}, ${rq}, ${num('act_min')}, ${num('act_max')});`);
      return { kernel: [`esp-nn:${fn}`], call: lines.join('\n'), consts, notes: [`ESP-NN ${fn}`] };
    }
    case 'AveragePool':
    case 'MaxPool': {
      const [N, IH, IW, C] = X.shape;
      const [, OH, OW] = Y.shape;
      const [kh, kw] = attrNums(n, 'kernel', [1, 1]);
      const [sh, sw] = attrNums(n, 'strides', [1, 1]);
      const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
      const fn = n.op === 'AveragePool' ? 'esp_nn_avg_pool_s8' : 'esp_nn_max_pool_s8';
      const lines: string[] = [];
      for (let b = 0; b < N; b++)
        lines.push(`    ${fn}(${cptr(X.id)} + ${b * IH * IW * C}, ${IW}, ${IH}, ${ptr(Y.id)} + ${b * OH * OW * C}, ${OW}, ${OH}, ${sw}, ${sh}, ${kw}, ${kh}, ${pl}, ${pt}, ${num('act_min')}, ${num('act_max')}, ${C});`);
      return { kernel: [`esp-nn:${fn}`], call: lines.join('\n'), consts, notes: [`ESP-NN ${fn}`] };
    }
    case 'Add': {
      const X2 = T(n.inputs[1]);
      const call = `    esp_nn_add_elementwise_s8(${cptr(X.id)}, ${cptr(X2.id)}, ${-num('in_zp')}, ${-num('in2_zp')}, ${num('in_mult')}, ${num('in2_mult')}, ${num('in_shift')}, ${num('in2_shift')}, ${num('left_shift')}, ${ptr(Y.id)}, ${num('out_zp')}, ${num('out_mult')}, ${num('out_shift')}, ${num('act_min')}, ${num('act_max')}, ${shapeSize(Y.shape)});`;
      return { kernel: ['esp-nn:esp_nn_add_elementwise_s8'], call, consts, notes: ['ESP-NN esp_nn_add_elementwise_s8'] };
    }
    case 'Mul': {
      const X2 = T(n.inputs[1]);
      const call = `    esp_nn_mul_elementwise_s8(${cptr(X.id)}, ${cptr(X2.id)}, ${-num('in_zp')}, ${-num('in2_zp')}, ${ptr(Y.id)}, ${num('out_zp')}, ${num('mult')}, ${num('shift')}, ${num('act_min')}, ${num('act_max')}, ${shapeSize(Y.shape)});`;
      return { kernel: ['esp-nn:esp_nn_mul_elementwise_s8'], call, consts, notes: ['ESP-NN esp_nn_mul_elementwise_s8'] };
    }
    case 'Softmax': {
      const r = X.shape.length;
      const depth = X.shape[r - 1];
      const rows = shapeSize(X.shape) / depth;
      const lines = [
        `    {`,
        guard('esp_nn_get_softmax_scratch_size', `${depth}, ${rows}`),
        `        esp_nn_set_softmax_scratch_buf(${scratch});`,
        `        esp_nn_softmax_s8(${cptr(X.id)}, ${rows}, ${depth}, ${num('input_multiplier')}, ${num('input_left_shift')}, ${num('diff_min')}, ${ptr(Y.id)});`,
        `    }`,
      ];
      return { kernel: ['esp-nn:esp_nn_softmax_s8'], call: lines.join('\n'), consts, notes: [`ESP-NN esp_nn_softmax_s8, scratch ${c.scratchSize ?? 0} B planned`] };
    }
    case 'Clip':
    case 'Relu': {
      const size = shapeSize(X.shape);
      const copy = c.samePlace(X.id, Y.id) ? '' : `    ${P}_copy(${ptr(Y.id)}, ${cptr(X.id)}, ${size});\n`;
      return { kernel: ['esp-nn:esp_nn_relu6_s8'], call: `${copy}    esp_nn_relu6_s8(${ptr(Y.id)}, ${size});`, consts, notes: ['ESP-NN esp_nn_relu6_s8 (in place, raw bounds 0..6)'] };
    }
  }
  throw new Error(`ESP-NN lowering has no case for ${n.op}`);
}
