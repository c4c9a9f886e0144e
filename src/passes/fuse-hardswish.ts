// fuse-hardswish: PyTorch exports nn.Hardswish at opset 13 and below as HardSigmoid(alpha=1/6, beta=1/2) followed by
// Mul(x, ·) of the same x. When the pattern matches exactly (alpha is float32 1/6, beta is 1/2, the HardSigmoid's
// output feeds only that Mul, and the Mul's other operand is the HardSigmoid's own input), the pair becomes one
// HardSwish node, which runs as TFLM's int8 HARD_SWISH. Anything else is left as it is (HardSigmoid has an int8
// kernel of its own).

import type { Graph } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { cloneGraph, singleUse } from './util.js';

const f = Math.fround;

/** Does a HardSigmoid node compute relu6(x + 3) / 6 exactly (the float32 values a float32 exporter writes)? */
function isHardSwishGate(alpha: unknown, beta: unknown): boolean {
  return typeof alpha === 'number' && typeof beta === 'number' && f(alpha) === f(1 / 6) && f(beta) === 0.5;
}

export function fuseHardSwish(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const drop = new Set<number>();
  g.nodes.forEach((h, hi) => {
    if (h.op !== 'HardSigmoid' || !isHardSwishGate(h.attrs.alpha ?? 0.2, h.attrs.beta ?? 0.5)) return;
    const x = h.inputs[0];
    const gate = h.outputs[0];
    if (g.tensors[x].dtype !== 'float32' || !singleUse(g, cons, gate)) return;
    const mi = cons.get(gate)![0];
    const m = g.nodes[mi];
    if (m.op !== 'Mul' || m.inputs.length !== 2 || drop.has(mi)) return;
    const other = m.inputs[0] === gate ? m.inputs[1] : m.inputs[0];
    if (other !== x || (m.attrs.activation ?? 'none') !== 'none') return;
    // the product has x's shape (HardSigmoid is element-wise), so no broadcast is lost
    g.nodes[mi] = { op: 'HardSwish', name: m.name, inputs: [x], outputs: [m.outputs[0]], attrs: {} };
    drop.add(hi);
  });
  if (drop.size === 0) return input;
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
