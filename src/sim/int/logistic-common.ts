// Prepare shared by Sigmoid (TFLite LOGISTIC) and Tanh for int8 (INT8-ARITHMETIC.md §16): the input is
// rescaled to Q4.27 with (q, L) = frexp(s_in·2^27), M = rha(q·2^31) (no 2^31 fix-up), and inputs beyond
// radius = floor(15·2^27 / 2^L) saturate.

import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { frexp, rha } from '../../quant/fixedpoint.js';
import { actDType, scaleZp } from '../../quant/prepare.js';

export const INPUT_INT_BITS = 4;

export function prepareLogistic(node: Node, g: Graph, outScale: number, outZp: number): Record<string, number> {
  const xId = node.inputs[0];
  const yId = node.outputs[0];
  const inDt = actDType(g, xId, node);
  const outDt = actDType(g, yId, node);
  if (inDt !== 'int8' || outDt !== 'int8')
    fail('EF3002', `${node.op} has an integer kernel for int8 only (got ${inDt} → ${outDt})`, { node: node.name });
  const x = scaleZp(g, xId, node, 'input');
  const y = scaleZp(g, yId, node, 'output');
  if (y.s !== outScale || y.zp !== outZp)
    fail('EF3004', `${node.op} int8 output must have scale ${outScale} and zero point ${outZp} (got ${y.s}, ${y.zp})`, {
      node: node.name,
      suggestion: 'quantize this output with the fixed TFLite parameters',
    });
  const [q, l] = frexp(x.s * 2 ** (31 - INPUT_INT_BITS));
  const m = rha(q * 2 ** 31);
  const radius = Math.floor((((1 << INPUT_INT_BITS) - 1) * 2 ** (31 - INPUT_INT_BITS)) / 2 ** l);
  return { in_zp: x.zp, out_zp: y.zp, input_multiplier: m, input_left_shift: l, input_range_radius: radius };
}
