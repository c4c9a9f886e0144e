// ESP-NN lowering: Add / Mul without broadcasting: esp_nn_add_elementwise_s8 / esp_nn_mul_elementwise_s8.

import { shapeSize } from '../../../ir/dtype.js';
import type { Graph, Node } from '../../../ir/graph.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { q1, no, type Decision, type EspNnLowering, type QP } from '../lowering.js';

function decideAddMul(g: Graph, n: Node): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP | undefined;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const X2 = T(n.inputs[1]);
  if (X2.dtype !== 'int8') return no('int8 only');
  if (X.data || X2.data) return no('a constant operand');
  if (shapeSize(X.shape) !== shapeSize(Y.shape) || shapeSize(X2.shape) !== shapeSize(Y.shape)) return no('broadcasting (ESP-NN element-wise ops take equal shapes)');
  const shifts = n.op === 'Add' ? ['in_shift', 'in2_shift', 'out_shift'] : ['shift'];
  if (shifts.some((k) => (q1(q, k) ?? 1) > 0)) return no('a positive shift (ESP-NN expects shifts <= 0)');
  return { take: true };
}

function emitAdd(g: Graph, n: Node, _i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
  const X2 = T(n.inputs[1]);
  const call = `    esp_nn_add_elementwise_s8(${cptr(X.id)}, ${cptr(X2.id)}, ${-num('in_zp')}, ${-num('in2_zp')}, ${num('in_mult')}, ${num('in2_mult')}, ${num('in_shift')}, ${num('in2_shift')}, ${num('left_shift')}, ${ptr(Y.id)}, ${num('out_zp')}, ${num('out_mult')}, ${num('out_shift')}, ${num('act_min')}, ${num('act_max')}, ${shapeSize(Y.shape)});`;
  return { kernel: ['esp-nn:esp_nn_add_elementwise_s8'], call, consts, notes: ['ESP-NN esp_nn_add_elementwise_s8'] };
}

function emitMul(g: Graph, n: Node, _i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
  const X2 = T(n.inputs[1]);
  const call = `    esp_nn_mul_elementwise_s8(${cptr(X.id)}, ${cptr(X2.id)}, ${-num('in_zp')}, ${-num('in2_zp')}, ${ptr(Y.id)}, ${num('out_zp')}, ${num('mult')}, ${num('shift')}, ${num('act_min')}, ${num('act_max')}, ${shapeSize(Y.shape)});`;
  return { kernel: ['esp-nn:esp_nn_mul_elementwise_s8'], call, consts, notes: ['ESP-NN esp_nn_mul_elementwise_s8'] };
}

export const add: EspNnLowering = { op: 'Add', decide: decideAddMul, emit: emitAdd };
export const mul: EspNnLowering = { op: 'Mul', decide: decideAddMul, emit: emitMul };
