// ESP-NN lowering: Softmax over the last axis: esp_nn_softmax_s8 with a planned scratch block.

import { shapeSize } from '../../../ir/dtype.js';
import type { Graph, Node } from '../../../ir/graph.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { q1, softmaxScratchBound, no, type Decision, type EspNnLowering, type QP } from '../lowering.js';

function decideSoftmax(g: Graph, n: Node): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const X = T(n.inputs[0]);
  const r = X.shape.length;
  const axis = (((n.attrs.axis as number | undefined) ?? -1) + r) % r;
  if (axis !== r - 1) return no('softmax over a non-last axis');
  return { take: true, scratch: softmaxScratchBound(X.shape[r - 1]) };
}

function emitSoftmax(g: Graph, n: Node, _i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP;
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const num = (k: string) => q1(q, k)!;
  const scratch = `(void *)(arena + ${c.scratchOffset ?? 0})`;
  const guard = (fn: string, args: string) =>
    `        if (${fn}(${args}) > ${c.scratchSize ?? 0}) return -1; /* ESP-NN wants more scratch than planned */`;
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

export const softmax: EspNnLowering = { op: 'Softmax', decide: decideSoftmax, emit: emitSoftmax };
