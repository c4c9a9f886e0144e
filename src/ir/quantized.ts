// "Is this model quantized?", answered once: build, run, eval, inspect and the library API all ask here.

import type { Graph } from './graph.js';

/**
 * A graph is quantized when it carries integer arithmetic: a quantized graph input, a node with integer
 * parameters, or a quantized activation tensor. Quantized constants alone do not count (a weight-only quantized
 * model is dequantized to float at import), and a quantized model may keep a few float ops (no integer kernel).
 */
export function isQuantized(g: Graph): boolean {
  return g.inputs.some((i) => g.tensors[i].quant !== undefined) || g.nodes.some((n) => n.qparams !== undefined) ||
    g.tensors.some((t) => t.quant !== undefined && !t.data);
}
