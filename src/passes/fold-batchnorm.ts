// fold-batchnorm: a BatchNormalization whose input comes from a Conv, FullyConnected or ConvTranspose (read by
// nothing else, no fused activation) is folded into that op's weights and bias:
//   a[c] = scale[c] / sqrt(var[c] + eps);  W'[c,...] = W[c,...]·a[c];  b'[c] = (b[c] − mean[c])·a[c] + bias[c].
// Otherwise, a BatchNormalization read only by a FullyConnected (directly or through a flattening Reshape) is
// folded into that FC's weights and bias from the input side. A BatchNormalization with neither becomes Mul(X, a) + Add(·, bias − mean·a) with constant [C]
// vectors, which the integer kernels support.

import type { Graph, Node } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { activationOf, addTensor, cloneGraph, hasWeightsAndBias, singleUse } from './util.js';

function bnCoefficients(g: Graph, bn: Node): { a: Float64Array; c: Float64Array } | undefined {
  const [, s, b, m, v] = bn.inputs;
  const ts = [s, b, m, v].map((id) => (id >= 0 ? g.tensors[id] : undefined));
  if (ts.some((t) => !t?.data)) return undefined;
  const [S, B, M, V] = ts.map((t) => t!.data!);
  const eps = typeof bn.attrs.epsilon === 'number' ? bn.attrs.epsilon : 1e-5;
  const C = S.length;
  if (B.length !== C || M.length !== C || V.length !== C) return undefined;
  const a = new Float64Array(C);
  const c = new Float64Array(C);
  for (let i = 0; i < C; i++) {
    // float32 math as the float kernel would do it, then kept in double for the product below
    a[i] = Math.fround(S[i] / Math.fround(Math.sqrt(Math.fround(V[i] + eps))));
    c[i] = B[i] - M[i] * a[i];
  }
  return { a, c };
}

function foldForward(g: Graph, cons: Map<number, number[]>, bn: Node, a: Float64Array, c: Float64Array, replaced: Map<number, Node[]>): boolean {
  const C = a.length;
  const y = bn.outputs[0];
  if (!singleUse(g, cons, y)) return false;
  let ni = cons.get(y)![0];
  let n = g.nodes[ni];
  let reshape: number | undefined;
  if (n.op === 'Reshape') {
    const out = g.tensors[n.outputs[0]];
    const inn = g.tensors[y];
    // must keep the leading (batch) dimension and flatten the rest, so flat index k has channel k mod C
    if (out.shape.length !== 2 || out.shape[0] !== inn.shape[0] || inn.shape[inn.shape.length - 1] !== C || !singleUse(g, cons, n.outputs[0])) return false;
    reshape = ni;
    ni = cons.get(n.outputs[0])![0];
    n = g.nodes[ni];
  }
  if (n.op !== 'FullyConnected' || replaced.has(ni)) return false;
  const wt = g.tensors[n.inputs[1]];
  if (!wt?.data || wt.shape.length !== 2) return false;
  const [N, K] = wt.shape;
  if (K % C !== 0) return false;
  const W = wt.data;
  const unitScale = a.every((v) => v === 1);
  const W2 = new Float32Array(W.length);
  const B2 = new Float32Array(N);
  const bOld = n.inputs[2] !== undefined && n.inputs[2] >= 0 ? g.tensors[n.inputs[2]].data : undefined;
  for (let o = 0; o < N; o++) {
    let acc = bOld ? bOld[o] : 0;
    for (let k = 0; k < K; k++) {
      const w = W[o * K + k];
      W2[o * K + k] = w * a[k % C];
      acc += w * c[k % C];
    }
    B2[o] = acc;
  }
  const wid = unitScale ? n.inputs[1] : addTensor(g, { name: `${wt.name}_bnfold`, dtype: 'float32', shape: [N, K], data: W2 });
  const bid = addTensor(g, { name: `${n.name || wt.name}_bias_bnfold`, dtype: 'float32', shape: [N], data: B2 });
  const inputs = [...n.inputs];
  while (inputs.length < 3) inputs.push(-1);
  inputs[1] = wid;
  inputs[2] = bid;
  // the BN disappears: its reader now reads the BN's input
  if (reshape !== undefined) {
    const r = g.nodes[reshape];
    g.nodes[reshape] = { ...r, inputs: r.inputs.map((i) => (i === y ? bn.inputs[0] : i)) };
  } else inputs[0] = bn.inputs[0];
  g.nodes[ni] = { ...n, inputs };
  return true;
}

export function foldBatchnorm(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const prodOf = new Map<number, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => prodOf.set(o, i)));
  const drop = new Set<number>();
  const replaced = new Map<number, Node[]>();

  g.nodes.forEach((bn, bi) => {
    if (bn.op !== 'BatchNormalization') return;
    const co = bnCoefficients(g, bn);
    if (!co) return;
    const { a, c } = co;
    const C = a.length;
    const x = bn.inputs[0];
    const pi = prodOf.get(x);
    const p = pi === undefined ? undefined : g.nodes[pi];
    if (p && hasWeightsAndBias(p.op) && activationOf(p) === 'none' && singleUse(g, cons, x) && g.tensors[p.inputs[1]]?.data) {
      const wt = g.tensors[p.inputs[1]];
      const W = wt.data!;
      const shape = wt.shape;
      const group = typeof p.attrs.group === 'number' ? p.attrs.group : 1;
      let cout: number;
      let chanOf: (flat: number) => number;
      if (p.op === 'ConvTranspose') {
        // W[Cin, KH, KW, Cout/group]; output channel = g·(Cout/group) + j with g = ci / (Cin/group)
        const [cin, kh, kw, cpg] = shape;
        cout = cpg * group;
        const perCi = kh * kw * cpg;
        const cinPerG = cin / group;
        chanOf = (f) => Math.floor(Math.floor(f / perCi) / cinPerG) * cpg + (f % cpg);
      } else {
        cout = shape[0];
        const per = W.length / cout;
        chanOf = (f) => Math.floor(f / per);
      }
      if (cout === C) {
        const W2 = new Float32Array(W.length);
        for (let f = 0; f < W.length; f++) W2[f] = W[f] * a[chanOf(f)];
        const B2 = new Float32Array(C);
        const bOld = p.inputs[2] >= 0 ? g.tensors[p.inputs[2]].data : undefined;
        for (let k = 0; k < C; k++) B2[k] = (bOld ? bOld[k] : 0) * a[k] + c[k];
        const wid = addTensor(g, { name: `${wt.name}_bnfold`, dtype: 'float32', shape: [...shape], data: W2 });
        const bid = addTensor(g, { name: `${p.name || wt.name}_bias_bnfold`, dtype: 'float32', shape: [C], data: B2 });
        const inputs = [...p.inputs];
        while (inputs.length < 3) inputs.push(-1);
        inputs[1] = wid;
        inputs[2] = bid;
        // the producer now writes the BN's output tensor directly
        g.nodes[pi!] = { ...p, inputs, outputs: [bn.outputs[0]] };
        drop.add(bi);
        return;
      }
    }
    // Through a ReLU, when every a[c] > 0: BN(relu(z)) = relu(a·z) + c, so the scale folds into the producer of z
    // and only the shift c remains (folded forward below, or an Add). Keeps weights well conditioned for int8.
    const ri = pi;
    const relu = ri === undefined ? undefined : g.nodes[ri];
    if (relu && relu.op === 'Relu' && singleUse(g, cons, x) && a.every((v) => v > 0)) {
      const zi = prodOf.get(relu.inputs[0]);
      const z = zi === undefined ? undefined : g.nodes[zi];
      if (z && (z.op === 'Conv' || z.op === 'FullyConnected') && activationOf(z) === 'none' && singleUse(g, cons, relu.inputs[0]) && g.tensors[z.inputs[1]]?.data && g.tensors[z.inputs[1]].shape[0] === C) {
        const wt = g.tensors[z.inputs[1]];
        const per = wt.data!.length / C;
        const W2 = Float32Array.from(wt.data!, (w, f) => w * a[Math.floor(f / per)]);
        const bOld = z.inputs[2] !== undefined && z.inputs[2] >= 0 ? g.tensors[z.inputs[2]].data : undefined;
        const B2 = Float32Array.from({ length: C }, (_, k) => (bOld ? bOld[k] : 0) * a[k]);
        const wid = addTensor(g, { name: `${wt.name}_bnscale`, dtype: 'float32', shape: [...wt.shape], data: W2 });
        const bid = addTensor(g, { name: `${z.name || wt.name}_bias_bnscale`, dtype: 'float32', shape: [C], data: B2 });
        const inputs = [...z.inputs];
        while (inputs.length < 3) inputs.push(-1);
        inputs[1] = wid;
        inputs[2] = bid;
        g.nodes[zi!] = { ...z, inputs };
        const ones = new Float64Array(C).fill(1);
        if (foldForward(g, cons, bn, ones, c, replaced)) {
          drop.add(bi);
          return;
        }
        const cid = addTensor(g, { name: `${bn.name}_shift`, dtype: 'float32', shape: [C], data: Float32Array.from(c) });
        replaced.set(bi, [{ op: 'Add', name: `${bn.name}_add`, inputs: [x, cid], outputs: [bn.outputs[0]], attrs: { activation: 'none' } }]);
        return;
      }
    }
    // Forward: BN → (Reshape that flattens, channel fastest) → FullyConnected folds into the FC's input side:
    //   W'[n,k] = W[n,k]·a[k mod C],  b'[n] = b[n] + Σ_k W[n,k]·c[k mod C]
    if (foldForward(g, cons, bn, a, c, replaced)) {
      drop.add(bi);
      return;
    }
    // Standalone: Mul + Add on the last (channel) axis.
    const xt = g.tensors[x];
    if (xt.shape[xt.shape.length - 1] !== C) return;
    const aid = addTensor(g, { name: `${bn.name}_scale`, dtype: 'float32', shape: [C], data: Float32Array.from(a) });
    const cid = addTensor(g, { name: `${bn.name}_shift`, dtype: 'float32', shape: [C], data: Float32Array.from(c) });
    const mid = addTensor(g, { name: `${bn.name}_mul`, dtype: xt.dtype, shape: [...xt.shape] });
    replaced.set(bi, [
      { op: 'Mul', name: `${bn.name}_mul`, inputs: [x, aid], outputs: [mid], attrs: { activation: 'none' } },
      { op: 'Add', name: `${bn.name}_add`, inputs: [mid, cid], outputs: [bn.outputs[0]], attrs: { activation: 'none' } },
    ]);
  });
  const nodes: Node[] = [];
  g.nodes.forEach((n, i) => {
    if (drop.has(i)) return;
    const r = replaced.get(i);
    if (r) nodes.push(...r);
    else nodes.push(n);
  });
  return pruneGraph({ ...g, nodes });
}
