// matmul-to-fc: MatMul(X, B) with a constant 2-D B[K,N] becomes FullyConnected(X, W=Bᵀ[N,K]), the form the
// integer kernels (TFLite FULLY_CONNECTED) and the later passes (bias and batch-norm folding) work on.

import { pruneGraph, type Graph } from '../ir/graph.js';
import { allocArray } from '../ir/dtype.js';
import { addTensor, cloneGraph } from './util.js';

export function matmulToFc(input: Graph): Graph {
  const g = cloneGraph(input);
  g.nodes = g.nodes.map((n) => {
    if (n.op !== 'MatMul') return n;
    const [a, b] = n.inputs;
    const tb = g.tensors[b];
    const ta = g.tensors[a];
    if (!tb?.data || tb.shape.length !== 2 || ta.data || ta.shape.length < 2 || (tb.dtype !== 'float32' && tb.dtype !== 'float64')) return n;
    const [K, N] = tb.shape;
    const w = allocArray('float32', K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) w[j * K + k] = tb.data[k * N + j];
    const wid = addTensor(g, { name: `${tb.name}_T`, dtype: 'float32', shape: [N, K], data: w });
    return { op: 'FullyConnected', name: n.name, inputs: [a, wid, -1], outputs: n.outputs, attrs: { activation: 'none' } };
  });
  return pruneGraph(g);
}
