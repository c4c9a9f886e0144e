// Shared prepare and window geometry of the integer pooling kernels (TFLM AVERAGE_POOL_2D / MAX_POOL_2D):
// input and output share scale and zero point; only the fused-activation clamp is prepared.

import type { ClampParams } from '../../ops/qparams.js';
import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { actDType, activationRangeQ, scaleZp } from './prepare.js';
import { attrOr } from './common.js';

export function preparePool(node: Node, g: Graph): ClampParams {
  const xId = node.inputs[0];
  const yId = node.outputs[0];
  actDType(g, xId, node);
  const outDt = actDType(g, yId, node);
  const x = scaleZp(g, xId, node, 'input');
  const y = scaleZp(g, yId, node, 'output');
  if (x.s !== y.s || x.zp !== y.zp)
    fail('EF3004', `${node.op} input and output must share scale and zero point for integer execution (got ${x.s}/${x.zp} and ${y.s}/${y.zp})`, {
      node: node.name,
    });
  const [lo, hi] = activationRangeQ(attrOr(node, 'activation', 'none'), y.s, y.zp, outDt, node);
  return { in_zp: x.zp, out_zp: y.zp, act_min: lo, act_max: hi };
}

export function poolAttrs(node: Node) {
  const [kh, kw] = attrOr(node, 'kernel', [1, 1]) as number[];
  const [sh, sw] = attrOr(node, 'strides', [1, 1]) as number[];
  const [dh, dw] = attrOr(node, 'dilations', [1, 1]) as number[];
  const pads = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
  return { kh, kw, sh, sw, dh, dw, pt: pads[0], pl: pads[1] };
}
