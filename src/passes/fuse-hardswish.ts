// fuse-hardswish: x · HardSigmoid(x) with PyTorch's constants (alpha 1/6, beta 0.5) is nn.Hardswish as torch
// exports it below opset 14; it becomes one HardSwish node (TFLite's HARD_SWISH, with an int8 kernel), as the
// opset-14 export would have written it. The HardSigmoid must feed only that Mul, and the Mul's other input must be
// the HardSigmoid's own input. A HardSigmoid used otherwise (a squeeze-excite gate) is left alone.

import type { Graph } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { activationOf, cloneGraph, singleUse } from './util.js';

/** PyTorch's Hardsigmoid constants as float32 (the exporter writes alpha 0.16666667). */
function isTorchHardSigmoid(alpha: unknown, beta: unknown): boolean {
  return typeof alpha === 'number' && Math.abs(alpha - 1 / 6) < 1e-6 && (beta === undefined || beta === 0.5);
}

export function fuseHardswish(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const drop = new Set<number>();
  g.nodes.forEach((n, ni) => {
    if (n.op !== 'HardSigmoid' || !isTorchHardSigmoid(n.attrs.alpha, n.attrs.beta)) return;
    const [x, s] = [n.inputs[0], n.outputs[0]];
    if (g.tensors[x].dtype !== 'float32' || !singleUse(g, cons, s)) return;
    const mi = cons.get(s)![0];
    const m = g.nodes[mi];
    if (m.op !== 'Mul' || m.inputs.length !== 2 || activationOf(m) !== 'none') return;
    const other = m.inputs[0] === s ? m.inputs[1] : m.inputs[0];
    if (other !== x) return;
    const y = m.outputs[0];
    if (g.tensors[y].shape.join() !== g.tensors[x].shape.join()) return;
    g.nodes[mi] = { op: 'HardSwish', name: m.name, inputs: [x], outputs: [y], attrs: {} };
    drop.add(ni);
  });
  if (drop.size === 0) return input;
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
