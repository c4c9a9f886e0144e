// The IR verifier: run in tests after every pass. Returns diagnostics (empty when the graph is well formed).

import { diag, type Diagnostic } from '../diagnostics.js';
import { isDType } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { hasOp } from './index.js';

export function verifyGraph(g: Graph): Diagnostic[] {
  const out: Diagnostic[] = [];
  const defined = new Set<number>();
  const produced = new Set<number>();
  g.tensors.forEach((t, i) => {
    if (t.id !== i) out.push(diag('EF1002', `tensor '${t.name}' has id ${t.id} at index ${i}`));
    if (!isDType(t.dtype) || !Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < -1))
      out.push(diag('EF1002', `tensor '${t.name}' has no valid dtype/shape`));
    if (t.data) {
      defined.add(i);
      let n = 1;
      for (const d of t.shape) n *= d;
      if (n !== t.data.length) out.push(diag('EF1004', `constant '${t.name}' holds ${t.data.length} values for shape [${t.shape}]`));
    }
    if (t.quant) {
      const q = t.quant;
      const chans = q.scale.length > 1 ? t.shape[q.axis] : 1;
      if (q.scale.length !== q.zeroPoint.length || (q.scale.length > 1 && q.scale.length !== chans))
        out.push(diag('EF1010', `tensor '${t.name}' has ${q.scale.length} scales and ${q.zeroPoint.length} zero points for axis ${q.axis} of [${t.shape}]`));
    }
  });
  for (const i of g.inputs) {
    defined.add(i);
    if (produced.has(i)) out.push(diag('EF1003', `graph input '${g.tensors[i]?.name}' listed twice`));
    produced.add(i);
  }
  for (const n of g.nodes) {
    if (!hasOp(n.op)) out.push(diag('EF2002', `unknown op '${n.op}'`, { node: n.name }));
    for (const i of n.inputs) {
      if (i < 0) continue;
      if (!g.tensors[i]) out.push(diag('EF1009', `input id ${i} does not exist`, { node: n.name }));
      else if (!defined.has(i))
        out.push(diag('EF1001', `reads '${g.tensors[i].name}' before it is produced`, { node: n.name }));
    }
    for (const o of n.outputs) {
      if (!g.tensors[o]) {
        out.push(diag('EF1009', `output id ${o} does not exist`, { node: n.name }));
        continue;
      }
      if (produced.has(o) || g.tensors[o].data)
        out.push(diag('EF1003', `'${g.tensors[o].name}' is produced more than once`, { node: n.name }));
      produced.add(o);
      defined.add(o);
    }
  }
  for (const o of g.outputs) if (!defined.has(o)) out.push(diag('EF1009', `graph output '${g.tensors[o]?.name}' is never produced`));
  return out;
}
