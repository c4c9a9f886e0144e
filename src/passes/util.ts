// Helpers shared by the graph passes: rewiring tensor uses, single-consumer checks, rebuilding a graph.

import type { Graph, Node, Tensor } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { getOp, hasOp } from '../ops/index.js';

/** Replace every read of tensor `from` by `to` (node inputs and graph outputs). Returns a new graph. */
export function replaceUses(g: Graph, from: number, to: number): Graph {
  const r = (id: number) => (id === from ? to : id);
  return {
    ...g,
    nodes: g.nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map(r) } : n)),
    outputs: g.outputs.map(r),
  };
}

/** True when tensor `id` is read by exactly one node and is not a graph output. */
export function singleUse(g: Graph, cons: Map<number, number[]>, id: number): boolean {
  const c = cons.get(id) ?? [];
  return c.length === 1 && !g.outputs.includes(id) && new Set(g.nodes[c[0]].inputs.filter((i) => i === id)).size === 1;
}

/** Copy a graph deeply enough that a pass may replace tensors and nodes without touching the original. */
export function cloneGraph(g: Graph): Graph {
  return {
    tensors: g.tensors.map((t) => ({ ...t })),
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    meta: g.meta,
  };
}

/** Append a new tensor to a (cloned) graph and return its id. Names are made unique. */
export function addTensor(g: Graph, t: Omit<Tensor, 'id'>): number {
  const names = new Set(g.tensors.map((x) => x.name));
  let name = t.name;
  if (names.has(name)) {
    let k = 1;
    while (names.has(`${name}_${k}`)) k++;
    name = `${name}_${k}`;
  }
  const id = g.tensors.length;
  g.tensors.push({ ...t, name, id });
  return id;
}

/** Drop the nodes at the given indices, then prune unreferenced tensors. */
export function dropNodes(g: Graph, drop: Set<number>): Graph {
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}

export { consumers };
export type { Node };

/** The activation attribute of a node, 'none' when absent. */
export function activationOf(n: Node): string {
  const a = n.attrs.activation;
  return typeof a === 'string' ? a : 'none';
}

/**
 * Ops computing a linear map of input 0 with constant weights at port 1 and an optional bias at port 2 (Conv,
 * FullyConnected, ConvTranspose), read from the registry's weight ports: a following per-channel scale or shift
 * can be folded into them.
 */
export function hasWeightsAndBias(op: string): boolean {
  const w = hasOp(op) ? getOp(op).quant?.weights : undefined;
  return w?.port === 1 && w.biasPort === 2;
}
