// ESP-NN lowering: FullyConnected: esp_nn_fully_connected_s8 / _per_ch_s8, one call per row.

import { shapeSize } from '../../../ir/dtype.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { commentSafe } from '../../common/cwriter.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { U16, q1, qArr, no, type Decision, type EspNnLowering, type QP } from '../lowering.js';

function decideFullyConnected(g: Graph, n: Node, chipId: string): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP | undefined;
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

function emitFullyConnected(g: Graph, n: Node, i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { L, ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
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

export const fullyConnected: EspNnLowering = { op: 'FullyConnected', decide: decideFullyConnected, emit: emitFullyConnected };
