// FullyConnected: Y[..., N] = X[..., K] · W[N,K]ᵀ + B[N], with a fused activation. Leading dimensions of X are
// flattened to rows and restored on the output (TFLite FULLY_CONNECTED with keep_num_dims, ONNX Gemm with transB).
//
// Float kernel: each output is a dot product of two contiguous rows; four weight rows share each X load. Sums
// are kept in doubles and rounded once on store.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type InferCtx, type OpDef, type OutputInfo, type Value } from './types.js';
import { input } from './util.js';
import { checkDims, checkOutputSize, clampBounds } from './window.js';

function fcShape(x: readonly number[], w: readonly number[], b: readonly number[] | undefined, node: string): number[] {
  const op = 'FullyConnected';
  if (x.length < 1) fail('EF1004', `FullyConnected input X must have rank >= 1, got a scalar`, { node });
  if (w.length !== 2) fail('EF1004', `FullyConnected weight W must be [N,K] (rank 2), got [${w.join(',')}]`, { node });
  checkDims(op, 'input X', x, node, x.length > 1);
  checkDims(op, 'weight W', w, node);
  const K = x[x.length - 1];
  if (w[1] !== K) fail('EF1004', `FullyConnected weight [${w.join(',')}] expects K = ${w[1]}, input [${x.join(',')}] has K = ${K}`, { node });
  if (b && (b.length !== 1 || b[0] !== w[0]))
    fail('EF1004', `FullyConnected bias must be [${w[0]}], got [${b.join(',')}]`, { node });
  const out = [...x.slice(0, -1), w[0]];
  checkOutputSize(op, out, node);
  return out;
}

export function fullyConnectedFloat(x: TypedArray, w: TypedArray, bias: TypedArray | undefined, rows: number, K: number, N: number, act: unknown, out: TypedArray): void {
  const [lo, hi] = clampBounds(act);
  for (let r = 0; r < rows; r++) {
    const xo = r * K;
    const oo = r * N;
    let n = 0;
    for (; n + 3 < N; n += 4) {
      const w0 = n * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const p = x[xo + k];
        s0 += p * w[w0 + k];
        s1 += p * w[w1 + k];
        s2 += p * w[w2 + k];
        s3 += p * w[w3 + k];
      }
      if (bias) {
        s0 += bias[n];
        s1 += bias[n + 1];
        s2 += bias[n + 2];
        s3 += bias[n + 3];
      }
      out[oo + n] = s0 < lo ? lo : s0 > hi ? hi : s0;
      out[oo + n + 1] = s1 < lo ? lo : s1 > hi ? hi : s1;
      out[oo + n + 2] = s2 < lo ? lo : s2 > hi ? hi : s2;
      out[oo + n + 3] = s3 < lo ? lo : s3 > hi ? hi : s3;
    }
    for (; n < N; n++) {
      const w0 = n * K;
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) s += x[xo + k] * w[w0 + k];
      out[oo + n] = s < lo ? lo : s > hi ? hi : s;
    }
  }
}

export const def: OpDef = {
  name: 'FullyConnected',
  quant: { activations: 'int8+int16', weights: { port: 1, biasPort: 2, granularity: 'per-tensor' } },
  doc: 'dense layer Y[...,N] = X[...,K]·W[N,K]ᵀ + B, fused activation',
  inputs: [{ name: 'X' }, { name: 'W', constant: true }, { name: 'B', optional: true, constant: true }],
  outputs: ['Y'],
  attrs: {
    activation: { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    return [{ dtype: x.dtype, shape: fcShape(x.shape, w.shape, ctx.inputs[2]?.shape, ctx.node.name) }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node): Value[] {
    const x = ins[0]!;
    const w = ins[1]!;
    const b = ins[2];
    const shape = fcShape(x.shape, w.shape, b?.shape, node.name);
    const [N, K] = w.shape;
    const out = allocArray(x.dtype, shapeSize(shape));
    // `| 0` keeps boxed-double dims from model files out of the kernel's index arithmetic
    fullyConnectedFloat(x.data, w.data, b?.data, (x.data.length / K) | 0, K | 0, N | 0, attrs.activation, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
  macs(ctx: InferCtx): number {
    const x = ctx.inputs[0]!.shape;
    const [N, K] = ctx.inputs[1]!.shape;
    const rows = x.slice(0, -1).reduce((a, d) => a * Math.max(d, 1), 1);
    return rows * K * N;
  },
};
