// The float reference interpreter: runs a graph node by node with the registry's float kernels, freeing each
// intermediate as soon as its last reader has run.

import { fail } from '../diagnostics.js';
import { castArray, shapeSize } from '../ir/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import { getOp, normalizeAttrs } from '../ops/index.js';
import type { Value } from '../ops/types.js';

export interface RunOptions {
  /** Keep every intermediate value (for per-layer comparison). */
  keepAll?: boolean;
  /** Called after each node with its outputs. */
  onNode?: (node: Node, index: number, outputs: Value[]) => void;
}

export interface PreparedGraph {
  graph: Graph;
  attrs: ReturnType<typeof normalizeAttrs>[];
  lastUse: number[];
}

/** Normalise attributes once so that repeated runs (datasets) do not redo it per image. */
export function prepareFloat(g: Graph): PreparedGraph {
  const attrs = g.nodes.map((n) => normalizeAttrs(getOp(n.op), n.attrs, n.name));
  const lastUse = new Array<number>(g.tensors.length).fill(-1);
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t >= 0 && (lastUse[t] = i)));
  for (const o of g.outputs) lastUse[o] = Infinity;
  return { graph: g, attrs, lastUse };
}

/** Run the graph on `inputs` (one per graph input, in the stored layout). Returns one value per graph output. */
export function runFloat(gp: Graph | PreparedGraph, inputs: Value[], opts: RunOptions = {}): { outputs: Value[]; values?: Map<number, Value> } {
  const p = 'lastUse' in gp ? gp : prepareFloat(gp);
  const g = p.graph;
  if (inputs.length !== g.inputs.length) fail('EF1009', `the model has ${g.inputs.length} inputs, ${inputs.length} given`);
  const vals = new Map<number, Value>();
  g.inputs.forEach((id, k) => {
    const t = g.tensors[id];
    const v = inputs[k];
    const want = t.shape.map((d, i) => (d < 0 ? v.shape[i] : d));
    if (v.shape.length !== t.shape.length || want.some((d, i) => d !== v.shape[i]))
      fail('EF1004', `input '${t.name}' expects shape [${t.shape}] (in the stored layout), got [${v.shape}]`);
    if (shapeSize(v.shape) !== v.data.length) fail('EF1004', `input '${t.name}' data has ${v.data.length} values for shape [${v.shape}]`);
    vals.set(id, v.dtype === t.dtype ? v : { dtype: t.dtype, shape: v.shape, data: castArray(v.data, t.dtype) });
  });
  const get = (id: number): Value | undefined => {
    if (id < 0) return undefined;
    const v = vals.get(id);
    if (v) return v;
    const t = g.tensors[id];
    if (t.data) return { dtype: t.dtype, shape: t.shape, data: t.data };
    return fail('EF1009', `tensor '${t.name}' has no value`);
  };
  g.nodes.forEach((n, i) => {
    const def = getOp(n.op);
    const outs = def.evalFloat(n.inputs.map(get), p.attrs[i], n);
    n.outputs.forEach((o, k) => vals.set(o, outs[k]));
    opts.onNode?.(n, i, outs);
    if (!opts.keepAll) for (const t of n.inputs) if (t >= 0 && p.lastUse[t] === i && !g.inputs.includes(t)) vals.delete(t);
  });
  return { outputs: g.outputs.map((o) => get(o)!), values: opts.keepAll ? vals : undefined };
}
