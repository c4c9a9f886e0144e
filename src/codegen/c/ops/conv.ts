// Portable C lowering: Conv: plain, grouped and depthwise 2-D convolution (int8: direct, 1x1 as a GEMM, depthwise; 16x8: one generic kernel).

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { commentSafe } from '../../common/cwriter.js';
import { num, arr, checkMult, packColumns, columnBlocks, attrNums, qArrays, type CLowering, type LayerCode, type LowerCtx, type WalkCtx } from '../lowering.js';
import type { StepSink, Walk } from '../../../plan/overlap.js';

/**
 * Whether every sum of a 16x8 layer provably fits int32 (the blocked kernel convb16i then accumulates in int32, with
 * no int64 partial sums): for every output channel o, |bias[o]| + 32768 * sum |w[o, k]| < 2^31, since each product
 * w * x with an int16 x is at most 32768 |w| in magnitude, so the bias plus any subset of the products stays inside.
 * w is [oc][ksz] (OHWI, or [N][K] for a fully connected layer), bias int64 (or absent).
 */
export function sums32(w: ArrayLike<number>, oc: number, ksz: number, bias: ArrayLike<number> | undefined): boolean {
  for (let o = 0; o < oc; o++) {
    let s = 0;
    for (let k = 0; k < ksz; k++) s += Math.abs(w[o * ksz + k]);
    if (Math.abs(bias ? bias[o] : 0) + 32768 * s >= 2 ** 31) return false;
  }
  return true;
}

/** Whether a 16x8 layer with filter w ([oc][ksz]) takes the int32-sum kernels (convb16i, dwconv16i): sums proven to
 *  fit int32 (sums32), and every total shift ts = 15 - shift in [16, 46] (a right shift of at least one in TFLM's
 *  terms), the range of section rq16i's 32-bit requantization. */
function sums16i(w: ArrayLike<number>, oc: number, ksz: number, bias: ArrayLike<number> | undefined, shifts: ArrayLike<number>): boolean {
  for (let o = 0; o < oc; o++) if (15 - shifts[o] < 16 || 15 - shifts[o] > 46) return false;
  return sums32(w, oc, ksz, bias);
}

/** TFLM's 16-bit multiplier of the int64 16x8 requantization (ef_mbqm64; INT8-ARITHMETIC.md section 3). */
const m16Of = (m: number): number => (m < 0x7fff0000 ? Math.floor((m + 32768) / 65536) : 0x7fff);

/** Section rq16i's two words per output channel: m16 | r << 16 | (r == 0) << 24, then rh (see kernels/conv_s16.c). */
function rq16Words(ms: ArrayLike<number>, ss: ArrayLike<number>): Int32Array {
  const rq = new Int32Array(2 * ms.length);
  for (let o = 0; o < ms.length; o++) {
    const m16 = m16Of(ms[o]);
    const r = 15 - ss[o] - 16;
    rq[2 * o] = m16 | (r << 16) | (r === 0 ? 1 << 24 : 0);
    rq[2 * o + 1] = r === 0 ? 0 : 2 ** (r - 1);
  }
  return rq;
}

type Bias16 = ReturnType<LowerCtx['T']> | undefined;

/** The int64 kernels' tables (conv16, convb16, dwconv16): Q31 multiplier and shift per output channel and the int64
 *  bias. Returns the bias argument. */
function int64Tables(c: LowerCtx, ms: ArrayLike<number>, ss: ArrayLike<number>, B: Bias16): string {
  const { i, L, consts } = c;
  consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel`, where: 'model' });
  consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel (> 0 left)`, where: 'model' });
  if (!B) return '0';
  consts.push({ sym: `${L}_bias`, ctype: 'int64_t', data: B.data!, comment: `layer ${i}: bias [${ms.length}] (int64 for the 16x8 kernel)`, where: 'weights' });
  return `${L}_bias`;
}

/** The int32-sum kernels' tables: `${L}_rq` (section rq16i) and an int32 bias (zeros when the layer has none and
 *  `zeros`). Returns the bias argument. */
function int32Tables(c: LowerCtx, ms: ArrayLike<number>, ss: ArrayLike<number>, B: Bias16, zeros: boolean): string {
  const { i, L, consts } = c;
  const OC = ms.length;
  consts.push({ sym: `${L}_rq`, ctype: 'int32_t', data: rq16Words(ms, ss), comment: `layer ${i}: per output channel m16 | r << 16 | (r == 0) << 24, then rh (the 16x8 requantization in 32-bit pieces)`, where: 'model' });
  if (!B && !zeros) return '0';
  consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: Int32Array.from(B ? Array.from(B.data!, Number) : new Array<number>(OC).fill(0)), comment: `layer ${i}: bias [${OC}] (int32: |bias| + 32768 * sum |w| < 2^31 per channel)`, where: 'weights' });
  return `${L}_bias`;
}

/** Whether a 16x8 layer whose sums with the bias do not provably fit int32 still takes convb16i in its wide form: the
 *  products alone fit (sums32 without the bias) and every |bias| < 2^47 (section convb16i, ef_rq16w). */
function wide16(w: ArrayLike<number>, oc: number, ksz: number, bias: ArrayLike<number> | undefined): boolean {
  if (bias) for (let o = 0; o < oc; o++) if (!(Math.abs(Number(bias[o])) < 2 ** 47)) return false;
  return sums32(w, oc, ksz, undefined);
}

/** convb16i's wide tables: per output channel C = B * m16 + 2^(ts-1) as int64 (low, high word), m16, ts (the bias
 *  is folded into C; the kernel's sums start at 0). */
function wideTables(c: LowerCtx, ms: ArrayLike<number>, ss: ArrayLike<number>, B: Bias16) {
  const { i, L, consts } = c;
  const OC = ms.length;
  const q = new Int32Array(4 * OC);
  for (let o = 0; o < OC; o++) {
    const m16 = m16Of(ms[o]);
    const ts = 15 - ss[o];
    const C = BigInt.asUintN(64, BigInt(B ? Number(B.data![o]) : 0) * BigInt(m16) + (1n << BigInt(ts - 1)));
    q[4 * o] = Number(C & 0xffffffffn) | 0;
    q[4 * o + 1] = Number(C >> 32n) | 0;
    q[4 * o + 2] = m16;
    q[4 * o + 3] = ts;
  }
  consts.push({ sym: `${L}_rq`, ctype: 'int32_t', data: q, comment: `layer ${i}: per output channel C = bias * m16 + 2^(ts-1) (int64: low, high word), m16, ts (the 16x8 requantization with the bias folded in)`, where: 'model' });
}

/** The blocked 16x8 kernel for a filter of ksz values per output channel, with its tables: convb16i with int32 sums
 *  (section rq16i), convb16i's wide form (products in int32, the int64 bias folded into the requantization), or the
 *  int64 convb16. `bias` and `tail` are the call's arguments after the filter and after the geometry. */
function blocked16(c: LowerCtx, w: ArrayLike<number>, ksz: number, ms: ArrayLike<number>, ss: ArrayLike<number>, B: Bias16) {
  const { L } = c;
  const OC = ms.length;
  const bd = B?.data as ArrayLike<number> | undefined;
  const i32 = sums16i(w, OC, ksz, bd, ss);
  const wide = !i32 && wide16(w, OC, ksz, bd);
  if (!i32 && !wide) {
    const bias = int64Tables(c, ms, ss, B);
    return { kernel: 'convb16', fn: 'convb_s16', bias, tail: `${L}_mult, ${L}_shift`, note: '' };
  }
  const bias = i32 ? int32Tables(c, ms, ss, B, false) : '0';
  if (wide) wideTables(c, ms, ss, B);
  return { kernel: 'convb16i', fn: 'convb_s16i', bias, tail: `${L}_rq, ${wide ? 1 : 0}`, note: i32 ? ' (sums proven to fit int32)' : ' (products proven to fit int32, int64 bias folded into the requantization)' };
}

/** 16x8 Conv / depthwise / FullyConnected (int16 activations): one generic kernel, FC as a 1x1 conv over rows. */
export function conv16(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, cptr, consts } = c;
  const W = T(n.inputs[1]);
  const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
  const fc = n.op === 'FullyConnected';
  const OC = W.shape[0];
  const acc64 = num(q, 'acc64', n);
  if (B && !B.data) fail('EF2005', `${n.op} bias must be constant`, { node: n.name });
  if (acc64 !== 1 && B && B.dtype !== 'int32') fail('EF3002', `${n.op} int16 with a ${B.dtype} bias and no int64 accumulator has no C kernel`, { node: n.name });
  if (num(q, 'w_zp', n) !== 0) fail('EF3002', `${n.op} weights with a nonzero zero point`, { node: n.name });
  const ms = arr(q, 'mult', OC, n);
  const ss = arr(q, 'shift', OC, n);
  checkMult(ms, n);
  const maxShift = acc64 === 1 ? 7 : 31; // the int64 requantization takes shifts up to 7 (checked at prepare)
  for (const v of ss) if (!Number.isInteger(v) || v < -31 || v > maxShift) fail('EF3004', `node '${n.name}': shift ${v} is outside [-31, ${maxShift}] for the 16x8 requantization`, { node: n.name });
  consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: W.data!, comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}]${fc ? '' : ' OHWI'}`, where: 'weights' });
  const tail = `${L}_mult, ${L}_shift, ${acc64}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)}`;
  let call: string;
  if (fc && acc64 === 1) {
    // the blocked kernel over rows: each row a 1x1 "pixel" of K channels
    const K = W.shape[1];
    const rows = shapeSize(X.shape) / K;
    const wi = consts.findIndex((c) => c.sym === `${L}_w`);
    consts[wi] = { sym: `${L}_w`, ctype: 'int8_t', data: packColumns(W.data!, OC, K), comment: `layer ${i} '${commentSafe(n.name)}': weights [N=${OC}][K=${K}] packed in column blocks of 8/4/1 as [block][K][width]`, where: 'weights' };
    const f = blocked16(c, W.data!, K, ms, ss, B);
    call = `    ${P}_${f.fn}(${cptr(X.id, 'int16_t')}, ${rows}, 1, ${K}, ${L}_w, ${f.bias}, ${ptr(Y.id, 'int16_t')}, ${rows}, 1, ${OC}, 1, 1, 1, 1, 1, 0, 0, ${f.tail}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: [f.kernel], call, consts, notes: ['16x8: int16 activations, int8 weights, int64 accumulator' + f.note] };
  } else if (fc) {
    const K = W.shape[1];
    const rows = shapeSize(X.shape) / K;
    const bias = int64Tables(c, ms, ss, B);
    call = `    ${P}_conv_s16(${cptr(X.id, 'int16_t')}, ${rows}, 1, ${K}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')}, ${rows}, 1, ${OC}, 1, 1, 1, 1, 1, 1, 0, 0, 1, ${tail});`;
  } else {
    const [N, IH, IW, IC] = X.shape;
    const [, OH, OW] = Y.shape;
    const [, KH, KW] = W.shape;
    const [sh, sw] = attrNums(n, 'strides', [1, 1]);
    const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
    const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
    const group = (n.attrs.group as number | undefined) ?? 1;
    const lines: string[] = [];
    if (group === IC && group > 1 && W.shape[3] === 1 && acc64 === 1 && sums16i(W.data!, OC, KH * KW, B?.data, ss)) {
      // depthwise with int32 sums: one register per channel, filter [OC][KH][KW] as it is (section dwconv16i)
      int32Tables(c, ms, ss, B, true);
      for (let b = 0; b < N; b++)
        lines.push(`    ${P}_dwconv_s16i(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${L}_bias, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${L}_rq, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
      return { kernel: ['dwconv16i'], call: lines.join('\n'), consts, notes: ['16x8 depthwise: int16 activations, int8 weights, sums proven to fit int32'] };
    }
    if (group === IC && group > 1 && W.shape[3] === 1 && acc64 === 1 && KH * KW <= 512) {
      // depthwise with an int64 accumulator: channels innermost, filter re-laid out [KH][KW][OC]
      const bias = int64Tables(c, ms, ss, B);
      const wt = new Int8Array(KH * KW * OC);
      for (let o = 0; o < OC; o++) for (let t = 0; t < KH * KW; t++) wt[t * OC + o] = W.data![o * KH * KW + t];
      const wi = consts.findIndex((c) => c.sym === `${L}_w`);
      consts[wi] = { sym: `${L}_w`, ctype: 'int8_t', data: wt, comment: `layer ${i} '${commentSafe(n.name)}': depthwise filter, layout [KH=${KH}][KW=${KW}][C=${OC}] (re-laid from [${W.shape.join(',')}])`, where: 'weights' };
      for (let b = 0; b < N; b++)
        lines.push(`    ${P}_dwconv_s16(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${L}_mult, ${L}_shift, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
      return { kernel: ['dwconv16'], call: lines.join('\n'), consts, notes: ['16x8 depthwise: int16 activations, int8 weights, int64 accumulator'] };
    }
    if (group === 1 && dw === 1 && acc64 === 1) {
      // no groups, no horizontal dilation: the blocked kernel, filter packed in output-channel blocks of 8/4/1
      const ksz = KH * KW * IC;
      const wi = consts.findIndex((c) => c.sym === `${L}_w`);
      consts[wi] = { sym: `${L}_w`, ctype: 'int8_t', data: packColumns(W.data!, OC, ksz), comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}] packed in output-channel blocks of 8/4/1 as [block][KH][KW][IC][width]`, where: 'weights' };
      const f = blocked16(c, W.data!, ksz, ms, ss, B);
      for (let b = 0; b < N; b++)
        lines.push(`    ${P}_${f.fn}(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${f.bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${pt}, ${pl}, ${f.tail}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
      return { kernel: [f.kernel], call: lines.join('\n'), consts, notes: ['16x8: int16 activations, int8 weights, int64 accumulator' + f.note] };
    }
    const bias = int64Tables(c, ms, ss, B);
    for (let b = 0; b < N; b++)
      lines.push(`    ${P}_conv_s16(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${group}, ${tail});`);
    call = lines.join('\n');
  }
  return { kernel: ['conv16'], call, consts, notes: ['16x8: int16 activations, int8 weights' + (acc64 ? ', int64 accumulator' : '')] };
}

/** Output pixels a row from which a 3x3 depthwise layer (ch_mult 1, no dilation) that section dwn does not take
 *  (stride 2, or a plane over 32 x 32) takes the row kernel (section dwc): it sets up each row and channel in about
 *  130 rv32 instructions and then saves about 15 a pixel over ef_dwconv_s8 (measured on person_detect: slower at 6
 *  pixels a row, stride 1 or 2, faster from 12). */
export const DW3_MIN_OW = 12;

/** Whether a depthwise layer goes to section dwc: 3x3, ch_mult 1, no dilation, horizontal stride 1 with pad_l <= 2
 *  or stride 2 with pad_l <= 1, from DW3_MIN_OW output pixels a row, any vertical stride and padding. */
function dwcOk(oc: number, ic: number, kh: number, kw: number, dh: number, dw: number, sw: number, pl: number, ow: number): boolean {
  return oc === ic && kh === 3 && kw === 3 && dh === 1 && dw === 1 && ((sw === 2 && pl >= 0 && pl <= 1) || (sw === 1 && pl >= 0 && pl <= 2)) && ow >= DW3_MIN_OW;
}

/** Side of the square stack plane of section dwn (EF_DWN_W in kernels/conv.c). */
const DWN_W = 32;

/** Whether a depthwise layer goes to section dwn: 3x3, ch_mult 1, no dilation, stride 1, padding >= 0, a padded plane
 *  of oh + 2 rows by ow + 2 columns of at most DWN_W x DWN_W bytes. Channel by channel over the whole output through a
 *  copy of the channel on the stack, so the output never overlaps the input (no walk). Measured on person_detect
 *  (rv32): faster than ef_dwconv_s8 at 6x6 and 3x3 and than dwc at 12x12; at stride 2 copying four input values a
 *  window costs more than it saves. */
function dwnOk(oc: number, ic: number, kh: number, kw: number, dh: number, dw: number, sh: number, sw: number, pt: number, pl: number, oh: number, ow: number): boolean {
  return oc === ic && kh === 3 && kw === 3 && dh === 1 && dw === 1 && sh === 1 && sw === 1 && pt >= 0 && pl >= 0 && oh * ow >= 16 && oh + 2 <= DWN_W && ow + 2 <= DWN_W;
}

function emitConv(c: LowerCtx): LayerCode {
  const { n, i, P, L, q, T, X, Y, ptr, cptr, consts, notes } = c;
  const W = T(n.inputs[1]);
  const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
  if (!W.data) fail('EF2005', 'Conv weights must be constant', { node: n.name });
  if (W.dtype !== 'int8') fail('EF3002', `Conv with ${W.dtype} weights has no C kernel`, { node: n.name });
  if (X.dtype === 'int16') return conv16(c);
  const [N, IH, IW, IC] = X.shape;
  const [, OH, OW, OC] = Y.shape;
  const [, KH, KW] = W.shape;
  const [sh, sw] = attrNums(n, 'strides', [1, 1]);
  const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
  const [pt, pl] = attrNums(n, 'pads', [0, 0, 0, 0]);
  const group = (n.attrs.group as number | undefined) ?? 1;
  // row-band execution (c.rows, src/codegen/c/row-bands.ts): a range of output rows, input and row counts as C
  // expressions (kern4: a new kernel call must take ih/oh/pad_t/x/y from here too, or convRowBand must refuse it)
  const R = c.rows;
  const ih = R ? R.ih : `${IH}`;
  const oh = R ? R.oh : `${OH}`;
  const ptA = R ? R.pt : `${pt}`;
  const inZp = num(q, 'in_zp', n);
  const ms = arr(q, 'mult', OC, n);
  const ss = arr(q, 'shift', OC, n);
  qArrays(c, ms, ss);
  const icg = IC / group;
  const ksz = KH * KW * icg;
  const wd = W.data;
  const bias = new Int32Array(OC);
  const rawBias = new Int32Array(OC);
  for (let o = 0; o < OC; o++) {
    let s = 0;
    for (let k = 0; k < ksz; k++) s += wd[o * ksz + k];
    rawBias[o] = B?.data ? B.data[o] : 0;
    bias[o] = (rawBias[o] - inZp * s) | 0;
  }
  const common = `${num(q, 'out_zp', n)}, ${L}_rq, ${L}_rqs, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)}`;
  const depthwise = group === IC && group > 1 && W.shape[3] === 1;
  let call: string;
  let kernel: string;
  const inB = IH * IW * IC;
  const outB = OH * OW * OC;
  if (depthwise) {
    kernel = 'dwconv';
    const wt = new Int8Array(KH * KW * OC);
    for (let o = 0; o < OC; o++) for (let t = 0; t < KH * KW; t++) wt[t * OC + o] = wd[o * KH * KW + t];
    consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wt, comment: `layer ${i} '${commentSafe(n.name)}': depthwise filter, layout [KH=${KH}][KW=${KW}][C=${OC}] (re-laid from [${W.shape.join(',')}])`, where: 'weights' });
    if (dwnOk(OC, IC, KH, KW, dh, dw, sh, sw, pt, pl, OH, OW)) {
      // channel by channel through a padded plane on the stack, nine weights in registers per channel
      kernel = 'dwn';
      call = `${P}_dwn_s8(x, ${IH}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OH}, ${OW}, ${pt}, ${pl}, ${inZp}, ${common});`;
    } else if (dwcOk(OC, IC, KH, KW, dh, dw, sw, pl, OW)) {
      // rows channel by channel (row 0 pixel by pixel), nine weights in registers, each input column loaded once
      kernel = 'dwc';
      call = `${P}_dwc_s8(x, ${ih}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${oh}, ${OW}, ${sh}, ${sw}, ${ptA}, ${pl}, ${inZp}, ${common});`;
    } else call = `${P}_dwconv_s8(x, ${ih}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${oh}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${ptA}, ${pl}, ${inZp}, ${common});`;
  } else {
    const gemm = KH === 1 && KW === 1 && sh === 1 && sw === 1 && group === 1 && attrNums(n, 'pads', [0, 0, 0, 0]).every((p) => p === 0);
    // no groups, no horizontal dilation: the blocked kernel (window rows are contiguous runs of kw * ic bytes)
    const blocked = !gemm && group === 1 && dw === 1;
    if (gemm)
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(wd, OC, IC), comment: `layer ${i} '${commentSafe(n.name)}': 1x1 filter [${W.shape.join(',')}] packed in column blocks of 8/4/1 as [block][IC][width]`, where: 'weights' });
    else if (blocked)
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(wd, OC, ksz), comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}] packed in output-channel blocks of 8/4/1 as [block][KH][KW][IC][width]`, where: 'weights' });
    else consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wd, comment: `layer ${i} '${commentSafe(n.name)}': filter, layout OHWI [${W.shape.join(',')}]`, where: 'weights' });
    if (gemm && c.overlapped) {
      // pixel-major (rows two at a time, every column block of a pair before the next pair): the walk the memory
      // plan's overlap of output and input was computed from (convWalkOf)
      kernel = 'gemmr';
      notes.push('1x1 convolution as an int8 GEMM (pixels x channels), two pixels at a time');
      call = `${P}_gemmr_s8(x, ${R ? `(${oh}) * ${OW}` : OH * OW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OC}, ${common});`;
    } else if (gemm) {
      kernel = 'gemm';
      notes.push('1x1 convolution as an int8 GEMM (pixels x channels)');
      call = `${P}_gemm_s8(x, ${R ? `(${oh}) * ${OW}` : OH * OW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OC}, ${common});`;
    } else if (blocked) {
      kernel = 'convb';
      call = `${P}_convb_s8(x, ${ih}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${oh}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${ptA}, ${pl}, ${inZp}, ${common});`;
    } else {
      kernel = 'conv';
      call = `${P}_conv_s8(x, ${ih}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${oh}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${ptA}, ${pl}, ${group}, ${inZp}, ${common});`;
    }
  }
  consts.push({ sym: `${L}_bias_adj`, ctype: 'int32_t', data: bias, comment: `layer ${i}: bias - in_zp(${inZp}) * sum(filter) per output channel [${OC}] (windows inside the input)`, where: 'weights' });
  // dwn starts every window from bias_adj (padding taps read in_zp): no raw bias
  if (kernel !== 'gemm' && kernel !== 'gemmr' && kernel !== 'dwn')
    consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: rawBias, comment: `layer ${i}: bias [${OC}] (windows crossing the border)`, where: 'weights' });
  const loop = N > 1;
  const code = [
    `    {`,
    loop ? `        int b;\n        for (b = 0; b < ${N}; ++b) {` : '',
    `        const int8_t *x = ${R ? R.x : cptr(X.id)}${loop ? ` + (size_t)b * ${inB}` : ''};`,
    `        int8_t *y = ${R ? R.y : ptr(Y.id)}${loop ? ` + (size_t)b * ${outB}` : ''};`,
    `        ${call}`,
    loop ? `        }` : '',
    `    }`,
  ].filter((s) => s !== '');
  // gemmr runs the gemm section's bands two rows at a time: its column-block tiles
  const tiles = kernel === 'gemmr' ? 'gemm' : kernel;
  const variants = tiles === 'gemm' || tiles === 'convb' ? columnBlocks(OC).map((b) => `${tiles}.b${b}`) : undefined;
  return { kernel: [kernel], variants, call: code.join('\n'), consts, notes };
}

// ---- Memory walks of the int8 kernels (src/plan/overlap.ts): one step per store group, in the kernel's own order,
// reads as the hull of the input bytes the group's accumulators read, writes as the hull of the bytes it stores.
// Transcribed from kernels/conv.c: a change to a kernel's loop order must change its walk here (the overlap
// property test, test/plan/overlap-c.test.ts, runs each of these kernels at the tightest overlap its walk allows).

/** ef_tap_range: taps k in [k0, k1) with 0 <= start + k * dil < size. */
function taps(start: number, k: number, dil: number, size: number): [number, number] {
  let a = 0;
  let b = k;
  while (a < k && start + a * dil < 0) ++a;
  while (b > a && start + (b - 1) * dil >= size) --b;
  return [a, b];
}

/** Geometry of an int8 Conv layer as emitConv reads it, and which kernel emitConv picks. */
export interface ConvGeom {
  ih: number; iw: number; ic: number; oh: number; ow: number; oc: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; group: number;
  kernel: 'gemm' | 'convb' | 'conv' | 'dwconv' | 'dwc' | 'dwn' | 'conv16' | 'convb16' | 'convb16i' | 'dwconv16' | 'dwconv16i';
}

export function convGeom(c: WalkCtx): ConvGeom | undefined {
  const { n, X, Y, T } = c;
  const W = T(n.inputs[1]);
  const w16 = X.dtype === 'int16' && Y.dtype === 'int16';
  if (!((X.dtype === 'int8' && Y.dtype === 'int8') || w16) || W.dtype !== 'int8' || X.shape.length !== 4 || X.shape[0] !== 1) return undefined;
  const [, ih, iw, ic] = X.shape;
  const [, oh, ow, oc] = Y.shape;
  const [, kh, kw] = W.shape;
  const [sh, sw] = attrNums(n, 'strides', [1, 1]);
  const [dh, dw] = attrNums(n, 'dilations', [1, 1]);
  const pads = attrNums(n, 'pads', [0, 0, 0, 0]);
  const group = (n.attrs.group as number | undefined) ?? 1;
  const g = { ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, pt: pads[0], pl: pads[1], group };
  if (w16) {
    // the same choice as conv16's
    const acc64 = c.q?.acc64 === 1 || (Array.isArray(c.q?.acc64) && c.q.acc64[0] === 1);
    const B = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? T(n.inputs[2]) : undefined;
    const shifts = c.q ? arr(c.q, 'shift', oc, n) : undefined;
    if (group === ic && group > 1 && W.shape[3] === 1 && acc64 && W.data && shifts && sums16i(W.data, oc, kh * kw, B?.data, shifts)) return { ...g, kernel: 'dwconv16i' };
    if (group === ic && group > 1 && W.shape[3] === 1 && acc64 && kh * kw <= 512) return { ...g, kernel: 'dwconv16' };
    if (group === 1 && dw === 1 && acc64) {
      const ksz = kh * kw * ic;
      return { ...g, kernel: W.data && ((shifts && sums16i(W.data, oc, ksz, B?.data, shifts)) || wide16(W.data, oc, ksz, B?.data)) ? 'convb16i' : 'convb16' };
    }
    return { ...g, kernel: 'conv16' };
  }
  // the same choice as emitConv's
  if (group === ic && group > 1 && W.shape[3] === 1)
    return { ...g, kernel: dwnOk(oc, ic, kh, kw, dh, dw, g.sh, sw, g.pt, g.pl, g.oh, ow) ? 'dwn' : dwcOk(oc, ic, kh, kw, dh, dw, sw, g.pl, ow) ? 'dwc' : 'dwconv' };
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && group === 1 && pads.every((p) => p === 0)) return { ...g, kernel: 'gemm' };
  if (group === 1 && dw === 1) return { ...g, kernel: 'convb' };
  return { ...g, kernel: 'conv' };
}

/** One output pixel of a raster walk: its first output element, and the input element range its in-bounds taps
 * span (first: element 0 of the first tap; last: element 0 of the last tap; both 0 when no tap is inside). */
interface Window {
  base: number;
  /** every tap of the window is inside the input */
  full: boolean;
  empty: boolean;
  first: number;
  last: number;
}

/** The output pixels of g in raster order, each with the input its window reads (ef_tap_range per axis). */
function rasterWindows(g: ConvGeom, visit: (w: Window) => void) {
  const { ih, iw, ic, ow, oc, kh, kw, sh, sw, dh, dw, pt, pl } = g;
  for (let oy = 0; oy < g.oh; oy++) {
    const iy0 = oy * sh - pt;
    const [ky0, ky1] = taps(iy0, kh, dh, ih);
    for (let ox = 0; ox < ow; ox++) {
      const ix0 = ox * sw - pl;
      const [kx0, kx1] = taps(ix0, kw, dw, iw);
      const empty = ky0 >= ky1 || kx0 >= kx1;
      visit({
        base: (oy * ow + ox) * oc,
        full: ky0 === 0 && ky1 === kh && kx0 === 0 && kx1 === kw,
        empty,
        first: empty ? 0 : ((iy0 + ky0 * dh) * iw + ix0 + kx0 * dw) * ic,
        last: empty ? 0 : ((iy0 + (ky1 - 1) * dh) * iw + ix0 + (kx1 - 1) * dw) * ic,
      });
    }
  }
}

/** ef_gemmr_s8 (ef_gemm_bands in bands of two rows, every column block of a band before the next band): column
 * blocks of 8, one of 4, single columns. Its setup per band and block is paid once per row pair instead of once
 * per call (column-major ef_gemm_s8): overlapCost makes the plan use it only where the arena needs the overlap. */
function gemmrWalk(rows: number, depth: number, cols: number, step: StepSink) {
  for (let p = 0; p < rows; p += 2) {
    const r = Math.min(2, rows - p);
    let o = 0;
    const block = (B: number) => step(p * depth, (p + r) * depth, p * cols + o, (p + r - 1) * cols + o + B);
    for (; o + 8 <= cols; o += 8) block(8);
    if (o + 4 <= cols) {
      block(4);
      o += 4;
    }
    for (; o < cols; ++o) for (let q = p; q < p + r; q++) step(q * depth, (q + 1) * depth, q * cols + o, q * cols + o + 1);
  }
}

/** ef_convb_s8: raster; interior pixel pairs (channel blocks 8, 4, then single channels, both pixels stored
 * together), other pixels one at a time in channel blocks of 8 / 4 / 1. */
function convbWalk(g: ConvGeom, step: StepSink, pairs = true) {
  const { ih, iw, ic, ow, oc, kh, kw, sh, sw, dh, pt, pl } = g;
  const run = kw * ic;
  for (let oy = 0; oy < g.oh; oy++) {
    const iy0 = oy * sh - pt;
    const [ky0, ky1] = taps(iy0, kh, dh, ih);
    for (let ox = 0; ox < ow; ) {
      const ix0 = ox * sw - pl;
      const base = (oy * ow + ox) * oc;
      if (pairs && ky0 === 0 && ky1 === kh && ix0 >= 0 && ox + 1 < ow && ix0 + sw + kw <= iw) {
        const lo = (iy0 * iw + ix0) * ic;
        const hi = ((iy0 + (kh - 1) * dh) * iw + ix0) * ic + sw * ic + run;
        let o = 0;
        for (; o + 8 <= oc; o += 8) step(lo, hi, base + o, base + oc + o + 8);
        if (o + 4 <= oc) {
          step(lo, hi, base + o, base + oc + o + 4);
          o += 4;
        }
        for (; o < oc; ++o) step(lo, hi, base + o, base + oc + o + 1);
        ox += 2;
      } else {
        const [kx0, kx1] = taps(ix0, kw, 1, iw);
        const empty = ky0 >= ky1 || kx0 >= kx1;
        const lo = empty ? 0 : ((iy0 + ky0 * dh) * iw + ix0 + kx0) * ic;
        const hi = empty ? 0 : ((iy0 + (ky1 - 1) * dh) * iw + ix0 + kx1) * ic;
        for (let o = 0; o < oc; ) {
          const B = oc - o >= 8 ? 8 : oc - o >= 4 ? 4 : 1;
          step(lo, hi, base + o, base + o + B);
          o += B;
        }
        ox += 1;
      }
    }
  }
}

/** ef_conv_s8: raster; without groups or horizontal dilation channel blocks of 4 then single channels, each block
 * re-reading the window; otherwise one channel at a time over its group's slice of the window. */
function convWalk(g: ConvGeom, step: StepSink, blocks = true) {
  const { ic, oc, dw, group } = g;
  const icg = ic / group;
  const ocg = oc / group;
  rasterWindows(g, ({ base, empty, first, last }) => {
    if (blocks && dw === 1 && group === 1) {
      const lo = empty ? 0 : first;
      const hi = empty ? 0 : last + ic;
      let o = 0;
      for (; o + 4 <= oc; o += 4) step(lo, hi, base + o, base + o + 4);
      for (; o < oc; ++o) step(lo, hi, base + o, base + o + 1);
    } else
      for (let o = 0; o < oc; ++o) {
        const gs = Math.floor(o / ocg) * icg;
        step(empty ? 0 : first + gs, empty ? 0 : last + gs + icg, base + o, base + o + 1);
      }
  });
}

/** ef_dwconv_s8: raster; inside windows in channel blocks of 8 (ch_mult 1, kw 3), then 4, then single channels;
 * border windows (ch_mult 1) in blocks of 4, then single channels. A block reads its own channels of the window. */
function dwconvWalk(g: ConvGeom, step: StepSink) {
  const { ic, oc, kw } = g;
  const cm = oc / ic;
  rasterWindows(g, ({ base, full, empty, first, last }) => {
    // channels [c0, c1] of the in-bounds taps
    const rd = (c0: number, c1: number, wl: number, wh: number) => step(empty ? 0 : first + c0, empty ? 0 : last + c1 + 1, wl, wh);
    let o = 0;
    if (full) {
      if (cm === 1 && kw === 3) for (; o + 8 <= oc; o += 8) rd(o, o + 7, base + o, base + o + 8);
      for (; o + 4 <= oc; o += 4) rd(Math.floor(o / cm), Math.floor((o + 3) / cm), base + o, base + o + 4);
    } else if (cm === 1) for (; o + 4 <= oc; o += 4) rd(o, o + 3, base + o, base + o + 4);
    for (; o < oc; ++o) rd(Math.floor(o / cm), Math.floor(o / cm), base + o, base + o + 1);
  });
}

/** ef_dwc_s8: output row 0 as ef_dwconv_s8 walks it; then rows top to bottom, within a row channel by channel, for
 * one channel pixels left to right, each stored once its window is summed; a window reads its in-bounds taps of its
 * channel (the kernel loads each column once, at the first window that uses it, and reads nothing beyond the
 * window it is summing). */
function dwcWalk(g: ConvGeom, step: StepSink) {
  const { ih, iw, ic, ow, oc, sh, sw, pt, pl } = g;
  if (g.oh > 0) dwconvWalk({ ...g, oh: 1 }, step);
  for (let oy = 1; oy < g.oh; oy++) {
    const iy0 = oy * sh - pt;
    const [ky0, ky1] = taps(iy0, 3, 1, ih);
    for (let ch = 0; ch < ic; ch++)
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - pl;
        const [kx0, kx1] = taps(ix0, 3, 1, iw);
        const w = (oy * ow + ox) * oc + ch;
        if (ky0 >= ky1 || kx0 >= kx1) step(0, 0, w, w + 1);
        else step(((iy0 + ky0) * iw + ix0 + kx0) * ic + ch, ((iy0 + ky1 - 1) * iw + ix0 + kx1 - 1) * ic + ch + 1, w, w + 1);
      }
  }
}

/** ef_dwconv_s16: raster; per pixel blocks of up to 16 channels over the in-bounds taps, each stored together. */
function dwconv16Walk(g: ConvGeom, step: StepSink) {
  const { ic, oc } = g;
  const cm = oc / ic;
  rasterWindows(g, ({ base, empty, first, last }) => {
    for (let o0 = 0; o0 < oc; o0 += 16) {
      const nb = Math.min(16, oc - o0);
      step(empty ? 0 : first + Math.floor(o0 / cm), empty ? 0 : last + Math.floor((o0 + nb - 1) / cm) + 1, base + o0, base + o0 + nb);
    }
  });
}

/** ef_dwconv_s16i: raster; within a pixel channel by channel, each stored once its window (its own input channel
 * c / ch_mult, the in-bounds taps) is summed; a 3x3 window wholly inside (ch_mult 1, no dilation) in channel pairs,
 * both stored after both are summed, then a last single channel. */
function dwconv16iWalk(g: ConvGeom, step: StepSink) {
  const { ic, oc, kh, kw, dh, dw } = g;
  const cm = oc / ic;
  const fast3 = kh === 3 && kw === 3 && dh === 1 && dw === 1 && cm === 1;
  rasterWindows(g, ({ base, full, empty, first, last }) => {
    let o = 0;
    if (fast3 && full) for (; o + 2 <= oc; o += 2) step(first + o, last + o + 2, base + o, base + o + 2);
    for (; o < oc; o++) {
      const ci = Math.floor(o / cm);
      step(empty ? 0 : first + ci, empty ? 0 : last + ci + 1, base + o, base + o + 1);
    }
  });
}

/** The walk of the kernel emitConv picks (int8 gemm: its pixel-major form ef_gemmr_s8, used when overlapped). */
function convWalkOf(c: WalkCtx): Walk | undefined {
  const g = convGeom(c);
  if (!g) return undefined;
  // int16 in and out: every element offset of a walk is two bytes
  const elems = (step: StepSink): StepSink => (c.X.dtype === 'int16' ? (rl, rh, wl, wh) => step(2 * rl, 2 * rh, 2 * wl, 2 * wh) : step);
  switch (g.kernel) {
    case 'conv16':
      return (s) => convWalk(g, elems(s), false);
    case 'convb16':
      // pixel pairs only when a window row holds at most 511 values (ef_convb_s16's rpg > 0)
      return (s) => convbWalk(g, elems(s), g.kw * g.ic <= 511);
    case 'dwconv16':
      return (s) => dwconv16Walk(g, elems(s));
    case 'dwconv16i':
      return (s) => dwconv16iWalk(g, elems(s));
    case 'gemm':
      return (s) => gemmrWalk(g.oh * g.ow, g.ic, g.oc, elems(s));
    case 'convb':
      return (s) => convbWalk(g, elems(s));
    case 'conv':
      return (s) => convWalk(g, elems(s));
    case 'dwconv':
      return (s) => dwconvWalk(g, elems(s));
    case 'dwc':
      // declared at stride 2 only: with a walk at stride 1 (where the output is as large as its input and must start
      // two rows before it) the planner found a larger arena for vww96_q (46,080 B instead of 36,880 B), so those
      // layers never overlap, as under the stride-1 row kernel dwc replaced
      return g.sw === 2 ? (s) => dwcWalk(g, s) : undefined;
    // not transcribed yet (kern2's row kernel): these layers never overlap their input
    case 'convb16i':
      return undefined;
    // channel by channel over the whole output (a channel's input copied to a stack plane first): no overlap is safe
    case 'dwn':
      return undefined;
  }
}

/** Row-band execution (src/codegen/c/row-bands.ts): the int8 kernels whose output rows depend only on
 * oy * sh - pad_t and ih (ef_conv_s8, ef_convb_s8, ef_gemm_s8 over (b - a) * ow pixels, ef_dwconv_s8, and ef_dwc_s8,
 * whose first row of a call goes through ef_dwconv_s8); the 16x8 kernels are not offered. A new int8 kernel (as dwn, the
 * small-plane depthwise, is not) runs in bands only when listed here and its call takes ih, oh, pad_t, x and y
 * from c.rows (emitConv); test/codegen/row-bands.test.ts expects cifar10_q's first two convolutions in bands. */
function convRowBand(c: WalkCtx) {
  const g = convGeom(c);
  if (!g || c.X.dtype !== 'int8' || !['conv', 'convb', 'gemm', 'dwconv', 'dwc'].includes(g.kernel)) return undefined;
  return { kh: (g.kh - 1) * g.dh + 1, sh: g.sh, pt: g.pt };
}

export const conv: CLowering = { op: 'Conv', int16: true, kernels: ['conv', 'convb', 'gemm', 'gemmr', 'dwconv', 'dwc', 'dwn', 'conv16', 'convb16', 'convb16i', 'dwconv16', 'dwconv16i'], emit: emitConv, walk: convWalkOf, overlapCost: (c) => convGeom(c)?.kernel === 'gemm', rowBand: convRowBand };
