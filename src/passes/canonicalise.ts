// canonicalise: resolve symbolic (-1) dimensions to 1, drop no-op nodes (Identity, same-dtype Cast), and fold
// every node whose inputs are all constant into a constant computed with the float kernels. Shapes are
// re-inferred afterwards, so later passes see a fully static graph.

import type { Graph } from '../ir/graph.js';
import { inferGraph } from '../ops/infer.js';
import { getOp, normalizeAttrs } from '../ops/index.js';
import type { Value } from '../ops/types.js';
import { cloneGraph, dropNodes } from './util.js';

export function canonicalise(input: Graph): Graph {
  let g = cloneGraph(input);
  // 1. Symbolic batch (and any other unknown) dimensions become 1; intermediate shapes are re-inferred below.
  for (const t of g.tensors) if (!t.data && t.shape.some((d) => d < 0)) t.shape = t.shape.map((d) => (d < 0 ? 1 : d));
  g = inferGraph(g);

  // 2. No-op nodes: readers of the output read the input instead.
  const drop = new Set<number>();
  g.nodes.forEach((n, i) => {
    const isNoOp = n.op === 'Identity' || (n.op === 'Cast' && n.inputs[0] >= 0 && g.tensors[n.inputs[0]].dtype === g.tensors[n.outputs[0]].dtype);
    if (!isNoOp || n.inputs[0] < 0) return;
    const src = n.inputs[0];
    const dst = n.outputs[0];
    if (g.outputs.includes(dst) && (g.inputs.includes(src) || g.outputs.includes(src))) return; // must keep a node here
    for (const m of g.nodes) m.inputs = m.inputs.map((x) => (x === dst ? src : x));
    if (g.outputs.includes(dst)) {
      // keep the graph output's name (callers address outputs by name)
      g.outputs = g.outputs.map((x) => (x === dst ? src : x));
      const name = g.tensors[dst].name;
      g.tensors[dst] = { ...g.tensors[dst], name: `${name}__dropped` };
      g.tensors[src] = { ...g.tensors[src], name, sourcePerm: g.tensors[dst].sourcePerm ?? g.tensors[src].sourcePerm };
    }
    drop.add(i);
  });

  // 3. Constant folding, in topological order (a folded output may make a later node foldable).
  g.nodes.forEach((n, i) => {
    if (drop.has(i)) return;
    if (n.outputs.some((o) => g.outputs.includes(o))) return;
    if (!n.inputs.every((id) => id < 0 || g.tensors[id].data !== undefined)) return;
    const def = getOp(n.op);
    const attrs = normalizeAttrs(def, n.attrs, n.name);
    const ins: (Value | undefined)[] = n.inputs.map((id) => {
      if (id < 0) return undefined;
      const t = g.tensors[id];
      return { dtype: t.dtype, shape: t.shape, data: t.data! };
    });
    const outs = def.evalFloat(ins, attrs, n);
    n.outputs.forEach((o, k) => {
      g.tensors[o] = { ...g.tensors[o], dtype: outs[k].dtype, shape: [...outs[k].shape], data: outs[k].data };
    });
    drop.add(i);
  });
  return inferGraph(dropNodes(g, drop));
}
