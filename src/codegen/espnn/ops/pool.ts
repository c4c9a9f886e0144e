// ESP-NN lowering: AveragePool / MaxPool: esp_nn_avg_pool_s8 / esp_nn_max_pool_s8.

import type { Graph, Node } from '../../../ir/graph.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { I16, q1, attrNums, no, type Decision, type EspNnLowering, type QP } from '../lowering.js';

function decidePool(g: Graph, n: Node): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
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

function emitPool(g: Graph, n: Node, _i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
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

export const averagePool: EspNnLowering = { op: 'AveragePool', decide: decidePool, emit: emitPool };
export const maxPool: EspNnLowering = { op: 'MaxPool', decide: decidePool, emit: emitPool };
