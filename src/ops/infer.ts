// Attribute normalisation and shape/dtype inference over a whole graph, through the registry.

import { EspforgeError, fail, type Diagnostic } from '../diagnostics.js';
import { getOp, normalizeAttrs } from './index.js';
import type { InferCtx, TensorInfo } from './types.js';
import type { Graph, Node } from '../ir/graph.js';

export function inferCtx(g: Graph, n: Node): InferCtx {
  const def = getOp(n.op);
  const attrs = normalizeAttrs(def, n.attrs, n.name);
  const inputs: (TensorInfo | undefined)[] = n.inputs.map((id) => {
    if (id < 0) return undefined;
    const t = g.tensors[id];
    return { dtype: t.dtype, shape: t.shape, data: t.data };
  });
  return { node: n, attrs, inputs };
}

/**
 * Return a graph whose node attributes carry their defaults and whose non-constant tensors carry inferred
 * shapes and dtypes. Collects the errors of every node it can reach instead of stopping at the first.
 */
export function inferGraph(g: Graph): Graph {
  const tensors = g.tensors.map((t) => ({ ...t }));
  const nodes: Node[] = [];
  const errors: Diagnostic[] = [];
  const poisoned = new Set<number>();
  for (const n of g.nodes) {
    if (n.inputs.some((i) => poisoned.has(i))) {
      n.outputs.forEach((o) => poisoned.add(o));
      nodes.push(n);
      continue;
    }
    try {
      const def = getOp(n.op);
      const view: Graph = { ...g, tensors };
      const ctx = inferCtx(view, n);
      const outs = def.infer(ctx);
      if (outs.length !== n.outputs.length)
        fail('EF9001', `${n.op} inferred ${outs.length} outputs, node has ${n.outputs.length}`, { node: n.name });
      n.outputs.forEach((o, k) => {
        tensors[o] = { ...tensors[o], dtype: outs[k].dtype, shape: outs[k].shape };
      });
      nodes.push({ ...n, attrs: ctx.attrs });
    } catch (e) {
      if (!(e instanceof EspforgeError)) throw e;
      for (const d of e.diagnostics) errors.push(d.node ? d : { ...d, node: n.name });
      n.outputs.forEach((o) => poisoned.add(o));
      nodes.push(n);
    }
  }
  if (errors.length) throw new EspforgeError(errors);
  return { ...g, tensors, nodes };
}
