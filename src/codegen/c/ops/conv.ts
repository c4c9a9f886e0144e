// Portable C lowering: Conv: plain, grouped and depthwise 2-D convolution (int8: direct, 1x1 as a GEMM, depthwise; 16x8: one generic kernel).

import { fail } from '../../../diagnostics.js';
import { shapeSize } from '../../../ir/dtype.js';
import { commentSafe } from '../../common/cwriter.js';
import { num, arr, checkMult, packColumns, columnBlocks, attrNums, qArrays, type CLowering, type LayerCode, type LowerCtx } from '../lowering.js';

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
  consts.push({ sym: `${L}_mult`, ctype: 'int32_t', data: ms, comment: `layer ${i}: Q31 multiplier per output channel`, where: 'model' });
  consts.push({ sym: `${L}_shift`, ctype: 'int32_t', data: ss, comment: `layer ${i}: shift per output channel (> 0 left)`, where: 'model' });
  consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: W.data!, comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}]${fc ? '' : ' OHWI'}`, where: 'weights' });
  if (B) consts.push({ sym: `${L}_bias`, ctype: 'int64_t', data: B.data!, comment: `layer ${i}: bias [${OC}] (int64 for the 16x8 kernel)`, where: 'weights' });
  const bias = B ? `${L}_bias` : '0';
  const tail = `${L}_mult, ${L}_shift, ${acc64}, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)}`;
  let call: string;
  if (fc && acc64 === 1) {
    // the blocked kernel over rows: each row a 1x1 "pixel" of K channels
    const K = W.shape[1];
    const rows = shapeSize(X.shape) / K;
    const wi = consts.findIndex((c) => c.sym === `${L}_w`);
    consts[wi] = { sym: `${L}_w`, ctype: 'int8_t', data: packColumns(W.data!, OC, K), comment: `layer ${i} '${commentSafe(n.name)}': weights [N=${OC}][K=${K}] packed in column blocks of 8/4/1 as [block][K][width]`, where: 'weights' };
    const i32 = sums32(W.data!, OC, K, B?.data);
    call = `    ${P}_convb_s16${i32 ? 'i' : ''}(${cptr(X.id, 'int16_t')}, ${rows}, 1, ${K}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')}, ${rows}, 1, ${OC}, 1, 1, 1, 1, 1, 0, 0, ${L}_mult, ${L}_shift, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`;
    return { kernel: [i32 ? 'convb16i' : 'convb16'], call, consts, notes: ['16x8: int16 activations, int8 weights, int64 accumulator' + (i32 ? ' (sums proven to fit int32)' : '')] };
  } else if (fc) {
    const K = W.shape[1];
    const rows = shapeSize(X.shape) / K;
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
    if (group === IC && group > 1 && W.shape[3] === 1 && acc64 === 1 && KH * KW <= 512) {
      // depthwise with an int64 accumulator: channels innermost, filter re-laid out [KH][KW][OC]
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
      const i32 = sums32(W.data!, OC, ksz, B?.data);
      for (let b = 0; b < N; b++)
        lines.push(`    ${P}_convb_s16${i32 ? 'i' : ''}(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${pt}, ${pl}, ${L}_mult, ${L}_shift, ${num(q, 'act_min', n)}, ${num(q, 'act_max', n)});`);
      return { kernel: [i32 ? 'convb16i' : 'convb16'], call: lines.join('\n'), consts, notes: ['16x8: int16 activations, int8 weights, int64 accumulator' + (i32 ? ' (sums proven to fit int32)' : '')] };
    }
    for (let b = 0; b < N; b++)
      lines.push(`    ${P}_conv_s16(${cptr(X.id, 'int16_t')} + ${b * IH * IW * IC}, ${IH}, ${IW}, ${IC}, ${L}_w, ${bias}, ${ptr(Y.id, 'int16_t')} + ${b * OH * OW * OC}, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${group}, ${tail});`);
    call = lines.join('\n');
  }
  return { kernel: ['conv16'], call, consts, notes: ['16x8: int16 activations, int8 weights' + (acc64 ? ', int64 accumulator' : '')] };
}

/** Output pixels a row from which a 3x3 stride-1 depthwise layer takes the row kernel (section dwconv3): it sets
 *  up each row and channel in about 200 rv32 instructions and then saves about 15 a pixel over ef_dwconv_s8
 *  (measured on person_detect: slower at 6 pixels a row, faster at 12). */
export const DW3_MIN_OW = 12;

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
    if (OC === IC && KH === 3 && KW === 3 && dh === 1 && dw === 1 && sw === 1 && pl >= 0 && pl <= 2 && OW >= DW3_MIN_OW) {
      // 3x3 stride-1 rows channel by channel (weights in registers, each input column loaded once)
      kernel = 'dwconv3';
      call = `${P}_dwconv3_s8(x, ${IH}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OH}, ${OW}, ${sh}, ${pt}, ${pl}, ${inZp}, ${common});`;
    } else call = `${P}_dwconv_s8(x, ${IH}, ${IW}, ${IC}, ${OC / IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${OH}, ${OW}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${inZp}, ${common});`;
  } else {
    const gemm = KH === 1 && KW === 1 && sh === 1 && sw === 1 && group === 1 && attrNums(n, 'pads', [0, 0, 0, 0]).every((p) => p === 0);
    // no groups, no horizontal dilation: the blocked kernel (window rows are contiguous runs of kw * ic bytes)
    const blocked = !gemm && group === 1 && dw === 1;
    if (gemm)
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(wd, OC, IC), comment: `layer ${i} '${commentSafe(n.name)}': 1x1 filter [${W.shape.join(',')}] packed in column blocks of 8/4/1 as [block][IC][width]`, where: 'weights' });
    else if (blocked)
      consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: packColumns(wd, OC, ksz), comment: `layer ${i} '${commentSafe(n.name)}': filter [${W.shape.join(',')}] packed in output-channel blocks of 8/4/1 as [block][KH][KW][IC][width]`, where: 'weights' });
    else consts.push({ sym: `${L}_w`, ctype: 'int8_t', data: wd, comment: `layer ${i} '${commentSafe(n.name)}': filter, layout OHWI [${W.shape.join(',')}]`, where: 'weights' });
    if (gemm) {
      kernel = 'gemm';
      notes.push('1x1 convolution as an int8 GEMM (pixels x channels)');
      call = `${P}_gemm_s8(x, ${OH * OW}, ${IC}, ${L}_w, ${L}_bias_adj, y, ${OC}, ${common});`;
    } else if (blocked) {
      kernel = 'convb';
      call = `${P}_convb_s8(x, ${IH}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${pt}, ${pl}, ${inZp}, ${common});`;
    } else {
      kernel = 'conv';
      call = `${P}_conv_s8(x, ${IH}, ${IW}, ${IC}, ${L}_w, ${L}_bias_adj, ${L}_bias, y, ${OH}, ${OW}, ${OC}, ${KH}, ${KW}, ${sh}, ${sw}, ${dh}, ${dw}, ${pt}, ${pl}, ${group}, ${inZp}, ${common});`;
    }
  }
  consts.push({ sym: `${L}_bias_adj`, ctype: 'int32_t', data: bias, comment: `layer ${i}: bias - in_zp(${inZp}) * sum(filter) per output channel [${OC}] (windows inside the input)`, where: 'weights' });
  if (kernel !== 'gemm')
    consts.push({ sym: `${L}_bias`, ctype: 'int32_t', data: rawBias, comment: `layer ${i}: bias [${OC}] (windows crossing the border)`, where: 'weights' });
  const loop = N > 1;
  const code = [
    `    {`,
    loop ? `        int b;\n        for (b = 0; b < ${N}; ++b) {` : '',
    `        const int8_t *x = ${cptr(X.id)}${loop ? ` + (size_t)b * ${inB}` : ''};`,
    `        int8_t *y = ${ptr(Y.id)}${loop ? ` + (size_t)b * ${outB}` : ''};`,
    `        ${call}`,
    loop ? `        }` : '',
    `    }`,
  ].filter((s) => s !== '');
  const variants = kernel === 'gemm' || kernel === 'convb' ? columnBlocks(OC).map((b) => `${kernel}.b${b}`) : undefined;
  return { kernel: [kernel], variants, call: code.join('\n'), consts, notes };
}

export const conv: CLowering = { op: 'Conv', int16: true, kernels: ['conv', 'convb', 'gemm', 'dwconv', 'dwconv3', 'conv16', 'convb16', 'convb16i', 'dwconv16'], emit: emitConv };
