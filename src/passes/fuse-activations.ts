// fuse-activations: Relu, Clip(0,6), Clip(-1,1) (and Clip(0,+inf)) that directly follow an op with an
// `activation` attribute (Conv, FullyConnected, Add, Sub, Mul, pools, ... — read from the registry) whose output
// nothing else reads become that op's fused activation, as TFLite fuses them. The integer kernels then apply the
// activation as the output clamp.

import type { Graph, Node } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { getOp } from '../ops/index.js';
import { activationOf, cloneGraph, singleUse } from './util.js';

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

/** The fused-activation name a standalone activation node corresponds to, if any. */
export function activationKind(g: Graph, n: Node): string | undefined {
  if (n.op === 'Relu') return 'relu';
  if (n.op !== 'Clip') return undefined;
  // Clip bounds are attributes in the canonical IR; tolerate constant inputs too (older importers).
  let lo = num(n.attrs.min, -Infinity);
  let hi = num(n.attrs.max, Infinity);
  if (n.inputs[1] !== undefined && n.inputs[1] >= 0) {
    const d = g.tensors[n.inputs[1]].data;
    if (!d) return undefined;
    lo = d[0];
  }
  if (n.inputs[2] !== undefined && n.inputs[2] >= 0) {
    const d = g.tensors[n.inputs[2]].data;
    if (!d) return undefined;
    hi = d[0];
  }
  if (lo === 0 && hi === 6) return 'relu6';
  if (lo === -1 && hi === 1) return 'relu_n1_to_1';
  if (lo === 0 && hi === Infinity) return 'relu';
  return undefined;
}

export function fuseActivations(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const prodOf = new Map<number, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => prodOf.set(o, i)));
  const drop = new Set<number>();
  g.nodes.forEach((n, ni) => {
    const kind = activationKind(g, n);
    if (!kind) return;
    const x = n.inputs[0];
    const pi = prodOf.get(x);
    if (pi === undefined) return;
    const p = g.nodes[pi];
    if (!getOp(p.op).attrs.activation || activationOf(p) !== 'none' || p.outputs.length !== 1 || !singleUse(g, cons, x)) return;
    if (g.tensors[x].dtype !== 'float32') return;
    g.nodes[pi] = { ...p, attrs: { ...p.attrs, activation: kind }, outputs: [n.outputs[0]] };
    drop.add(ni);
  });
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
