// ESP-NN lowering: Relu / Clip that clamp raw int8 values to [0, 6] without requantizing: esp_nn_relu6_s8 (in place).

import { shapeSize } from '../../../ir/dtype.js';
import type { Graph, Node } from '../../../ir/graph.js';
import type { BackendCtx, ConstArray, LayerCode } from '../../c/lowering.js';
import { U16, q1, no, type Decision, type EspNnLowering, type QP } from '../lowering.js';

function decideRelu6(g: Graph, n: Node): Decision | undefined {
  const T = (id: number) => g.tensors[id];
  const q = n.qparams as QP | undefined;
  const X = T(n.inputs[0]);
  // esp_nn_relu6_s8 clamps raw int8 values to [0, 6]: exactly this layer only when it does not requantize
  // and its quantized bounds are 0 and 6.
  if (q1(q, 'same_quant') !== 1 || q1(q, 'act_min') !== 0 || q1(q, 'act_max') !== 6) return undefined;
  if (shapeSize(X.shape) > U16) return no('more than 65535 elements');
  return { take: true };
}

function emitRelu6(g: Graph, n: Node, _i: number, c: BackendCtx): LayerCode {
  const T = (id: number) => g.tensors[id];
  const X = T(n.inputs[0]);
  const Y = T(n.outputs[0]);
  const { P, ptr, cptr } = c;
  const consts: ConstArray[] = [];
  const size = shapeSize(X.shape);
  const copy = c.samePlace(X.id, Y.id) ? '' : `    ${P}_copy(${ptr(Y.id)}, ${cptr(X.id)}, ${size});\n`;
  return { kernel: ['esp-nn:esp_nn_relu6_s8'], call: `${copy}    esp_nn_relu6_s8(${ptr(Y.id)}, ${size});`, consts, notes: ['ESP-NN esp_nn_relu6_s8 (in place, raw bounds 0..6)'] };
}

export const relu: EspNnLowering = { op: 'Relu', decide: decideRelu6, emit: emitRelu6 };
export const clip: EspNnLowering = { op: 'Clip', decide: decideRelu6, emit: emitRelu6 };
