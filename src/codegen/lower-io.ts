// Lowering a quantized graph's I/O for the C library (the pipeline's `lower-io` stage, src/pipeline/stages.ts).

import type { Graph } from '../ir/graph.js';

/**
 * A quantized graph with float I/O (float input → Quantize …, … Dequantize → float output) becomes a graph with
 * integer I/O: the C library takes the quantized tensors and its header's float wrappers
 * (NAME_quantize_input / NAME_dequantize_output) do the boundary conversion on the device.
 */
export function integerIO(g: Graph): Graph {
  const readers = new Map<number, number[]>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t >= 0 && readers.set(t, [...(readers.get(t) ?? []), i])));
  const drop = new Set<number>();
  const inputs = g.inputs.map((id) => {
    const t = g.tensors[id];
    const r = readers.get(id) ?? [];
    if ((t.dtype === 'float32') && r.length === 1 && g.nodes[r[0]].op === 'Quantize') {
      drop.add(r[0]);
      return g.nodes[r[0]].outputs[0];
    }
    return id;
  });
  const outputs = g.outputs.map((id) => {
    const k = g.nodes.findIndex((n) => n.outputs.includes(id));
    const n = g.nodes[k];
    if (n && n.op === 'Dequantize' && g.tensors[id].dtype === 'float32' && g.tensors[n.inputs[0]].quant) {
      drop.add(k);
      return n.inputs[0];
    }
    return id;
  });
  if (!drop.size) return g;
  return { ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)), inputs, outputs };
}
