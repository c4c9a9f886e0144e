// ESP-NN lowering: Conv (plain and depthwise): esp_nn_conv_s8 / esp_nn_depthwise_conv_s8 with a planned scratch block.

import type { Graph, Node } from '../../../ir/graph.js';
import { commentSafe } from '../../common/cwriter.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { I16, q1, qArr, attrNums, convScratchBound, dwScratchBound, no, type Decision, type EspNnLowering, type QP, type ConvGeom } from '../lowering.js';

function decideConv(g: Graph, n: Node, chipId: string): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP | undefined;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
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

function emitConv(g: Graph, n: Node, i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { L, ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
  const scratch = `(void *)(arena + ${c.scratchOffset ?? 0})`;
  const guard = (fn: string, args: string) =>
    `        if (${fn}(${args}) > ${c.scratchSize ?? 0}) return -1; /* ESP-NN wants more scratch than planned */`;
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

export const conv: EspNnLowering = { op: 'Conv', decide: decideConv, emit: emitConv };
