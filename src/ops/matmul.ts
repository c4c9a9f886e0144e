// MatMul: numpy matmul. 1-D operands are promoted (A [K] → [1,K], B [K] → [K,1]) and the added dimension is
// removed from the result; leading (batch) dimensions broadcast. No operand needs to be constant.
//
// Float kernel: per batch, row-times-matrix accumulation (i, k, j order) so the inner loop walks contiguous rows
// of B and of the output; sums are kept in doubles and rounded once on store.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OpDef, OutputInfo, Value } from './types.js';
import { broadcastIndex, broadcastShapes, input } from './util.js';
import { checkDims, checkOutputSize } from './window.js';

interface MatMulGeom {
  M: number;
  K: number;
  N: number;
  aBatch: number[];
  bBatch: number[];
  batch: number[];
  out: number[];
}

function matmulGeom(a: readonly number[], b: readonly number[], node: string): MatMulGeom {
  const op = 'MatMul';
  if (a.length < 1 || b.length < 1) fail('EF1004', `MatMul operands must have rank >= 1, got [${a.join(',')}] and [${b.join(',')}]`, { node });
  checkDims(op, 'input A', a, node, a.length > 2);
  checkDims(op, 'input B', b, node, b.length > 2);
  const a2 = a.length === 1 ? [1, a[0]] : a.slice();
  const b2 = b.length === 1 ? [b[0], 1] : b.slice();
  const M = a2[a2.length - 2];
  const K = a2[a2.length - 1];
  const N = b2[b2.length - 1];
  if (b2[b2.length - 2] !== K)
    fail('EF1004', `MatMul inner dimensions differ: [${a.join(',')}] · [${b.join(',')}] (${K} vs ${b2[b2.length - 2]})`, { node });
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, node);
  const out = [...batch];
  if (a.length > 1) out.push(M);
  if (b.length > 1) out.push(N);
  checkOutputSize(op, out, node);
  return { M, K, N, aBatch, bBatch, batch, out };
}

export const def: OpDef = {
  noIntAdvice:
    "MatMul of two computed tensors has no int8 kernel (a MatMul by constant weights becomes FullyConnected, which has one): compute it in the application on the dequantized tensors",
  name: 'MatMul',
  doc: 'matrix product with numpy semantics (1-D promotion, batch broadcasting)',
  inputs: [{ name: 'A' }, { name: 'B' }],
  outputs: ['Y'],
  attrs: {},
  infer(ctx: InferCtx): OutputInfo[] {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    if (a.dtype !== b.dtype) fail('EF1005', `MatMul inputs have different dtypes ${a.dtype} and ${b.dtype}`, { node: ctx.node.name });
    return [{ dtype: a.dtype, shape: matmulGeom(a.shape, b.shape, ctx.node.name).out }];
  },
  evalFloat(ins: (Value | undefined)[], _attrs: Attrs, node): Value[] {
    const a = ins[0]!;
    const b = ins[1]!;
    const { M, K, N, aBatch, bBatch, batch, out: shape } = matmulGeom(a.shape, b.shape, node.name);
    const out = allocArray(a.dtype, shapeSize(shape));
    const ad = a.data;
    const bd = b.data;
    const ia = broadcastIndex(aBatch, batch);
    const ib = broadcastIndex(bBatch, batch);
    const row = new Float64Array(N);
    for (let t = 0; t < ia.length; t++) {
      const ao = ia[t] * M * K;
      const bo = ib[t] * K * N;
      const oo = t * M * N;
      for (let i = 0; i < M; i++) {
        row.fill(0);
        const ar = ao + i * K;
        for (let k = 0; k < K; k++) {
          const av = ad[ar + k];
          const br = bo + k * N;
          for (let j = 0; j < N; j++) row[j] += av * bd[br + j];
        }
        const orow = oo + i * N;
        for (let j = 0; j < N; j++) out[orow + j] = row[j];
      }
    }
    return [{ dtype: a.dtype, shape, data: out }];
  },
  macs(ctx: InferCtx): number {
    const g = matmulGeom(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.node.name);
    return shapeSize(g.batch.map((d) => Math.max(d, 1))) * g.M * g.K * g.N;
  },
};
