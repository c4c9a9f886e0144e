// fold-bias-add: Add(Y, C) (or Sub(Y, C)) where Y comes from a Conv, FullyConnected or ConvTranspose (read by
// nothing else, no fused activation) and C is a constant that varies at most along the channel (last) axis is
// folded into the op's bias. ONNX exporters (CNTK's mnist-8, keras2onnx Dense) write biases this way.

import type { Graph, Node } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { activationOf, addTensor, cloneGraph, hasWeightsAndBias, singleUse } from './util.js';

/** Channel count of the op's output (= bias length). */
function outChannels(g: Graph, p: Node): number {
  const w = g.tensors[p.inputs[1]];
  if (p.op === 'ConvTranspose') {
    const group = typeof p.attrs.group === 'number' ? p.attrs.group : 1;
    return w.shape[3] * group;
  }
  return w.shape[0];
}

/** The per-channel vector a constant broadcasts to along the last axis of an output of rank `rank`, if it does. */
function channelVector(data: ArrayLike<number>, shape: number[], C: number, rank: number): Float64Array | undefined {
  if (shape.length > rank) return undefined;
  const n = data.length;
  const v = new Float64Array(C);
  if (n === 1) {
    v.fill(data[0]);
    return v;
  }
  if (n !== C || shape[shape.length - 1] !== C) return undefined;
  for (let i = 0; i < C; i++) v[i] = data[i];
  return v;
}

export function foldBiasAdd(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const prodOf = new Map<number, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => prodOf.set(o, i)));
  const drop = new Set<number>();
  g.nodes.forEach((n, ni) => {
    if ((n.op !== 'Add' && n.op !== 'Sub') || activationOf(n) !== 'none') return;
    // the constant may be either operand of Add; only the second of Sub
    const order = n.op === 'Add' ? [0, 1] : [0];
    for (const k of order) {
      const y = n.inputs[k];
      const cId = n.inputs[1 - k];
      const pi = prodOf.get(y);
      if (pi === undefined || drop.has(pi)) continue;
      const p = g.nodes[pi];
      const ct = g.tensors[cId];
      if (!hasWeightsAndBias(p.op) || activationOf(p) !== 'none' || !ct?.data || !singleUse(g, cons, y)) continue;
      if (!g.tensors[p.inputs[1]]?.data) continue;
      const yt = g.tensors[y];
      const C = outChannels(g, p);
      const vec = channelVector(ct.data, ct.shape, C, yt.shape.length);
      if (!vec) continue;
      // the Add's output shape must equal the producer's (no broadcasting up of Y)
      const outShape = g.tensors[n.outputs[0]].shape;
      if (outShape.length !== yt.shape.length || outShape.some((d, i) => d !== yt.shape[i])) continue;
      const sign = n.op === 'Sub' ? -1 : 1;
      const old = p.inputs[2] !== undefined && p.inputs[2] >= 0 ? g.tensors[p.inputs[2]].data : undefined;
      const b = new Float32Array(C);
      for (let c = 0; c < C; c++) b[c] = (old ? old[c] : 0) + sign * vec[c];
      const bid = addTensor(g, { name: `${p.name || 'op'}_bias`, dtype: 'float32', shape: [C], data: b });
      const inputs = [...p.inputs];
      while (inputs.length < 3) inputs.push(-1);
      inputs[2] = bid;
      g.nodes[pi] = { ...p, inputs, outputs: [n.outputs[0]] };
      drop.add(ni);
      return;
    }
  });
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
