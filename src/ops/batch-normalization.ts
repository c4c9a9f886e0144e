// BatchNormalization (inference): Y = (X - mean) / sqrt(var + epsilon) * scale + bias, channel = LAST axis
// (NHWC, or [N,C] after a dense layer). Usually folded into the preceding Conv/FullyConnected by a pass; this
// is the reference for graphs where it stays.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OpDef, OutputInfo, TensorInfo, Value } from './types.js';
import { input } from './util.js';
import { checkDims } from './window.js';

const PARAMS = ['scale', 'bias', 'mean', 'var'] as const;

function check(x: readonly number[], params: (readonly number[] | undefined)[], attrs: Attrs, node: string): number {
  if (x.length < 1) fail('EF1004', `BatchNormalization input X must have rank >= 1 (channel last), got a scalar`, { node });
  checkDims('BatchNormalization', 'input X', x, node, x.length > 1);
  const C = x[x.length - 1];
  params.forEach((p, i) => {
    if (!p) fail('EF1009', `BatchNormalization input '${PARAMS[i]}' is missing`, { node });
    if (p.length !== 1 || p[0] !== C)
      fail('EF1004', `BatchNormalization ${PARAMS[i]} must be [${C}] (channels = last axis of [${x.join(',')}]), got [${p.join(',')}]`, { node });
  });
  const eps = attrs.epsilon;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    fail('EF1006', `BatchNormalization epsilon must be a finite number >= 0, got ${JSON.stringify(eps)}`, { node });
  return C;
}

export const def: OpDef = {
  noIntAdvice:
    "BatchNormalization is folded into the Conv/Gemm before it; this one follows no Conv or Gemm and has no int8 kernel: move it right after a convolution, or replace it by a Mul and an Add by constants (int8 kernels)",
  name: 'BatchNormalization',
  layout: 'spatial',
  doc: 'inference batch norm over the last (channel) axis: (x-mean)/sqrt(var+eps)*scale+bias',
  inputs: [
    { name: 'X' },
    { name: 'scale', constant: true },
    { name: 'bias', constant: true },
    { name: 'mean', constant: true },
    { name: 'var', constant: true },
  ],
  outputs: ['Y'],
  attrs: {
    epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const x = input(ctx, 0);
    const ps = [1, 2, 3, 4].map((i) => ctx.inputs[i] as TensorInfo | undefined);
    check(x.shape, ps.map((p) => p?.shape), ctx.attrs, ctx.node.name);
    return [{ dtype: x.dtype, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node): Value[] {
    const x = ins[0]!;
    const C = check(x.shape, ins.slice(1, 5).map((v) => v?.shape), attrs, node.name);
    const [scale, bias, mean, vr] = [1, 2, 3, 4].map((i) => ins[i]!.data);
    const eps = attrs.epsilon as number;
    const mul = new Float64Array(C);
    for (let c = 0; c < C; c++) mul[c] = scale[c] / Math.sqrt(vr[c] + eps);
    const xd = x.data;
    const out = allocArray(x.dtype, xd.length);
    for (let p = 0; p < xd.length; p += C)
      for (let c = 0; c < C; c++) out[p + c] = (xd[p + c] - mean[c]) * mul[c] + bias[c];
    return [{ dtype: x.dtype, shape: x.shape.slice(), data: out }];
  },
  // one multiply-add per element once folded to y = x*a + b
  macs: (ctx: InferCtx) => shapeSize(ctx.inputs[0]!.shape.map((d) => Math.max(d, 1))),
};
