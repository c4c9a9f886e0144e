// Shared machinery for broadcasting binary element-wise ops (Add, Sub, Mul, Div, Max, Min).

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type InferCtx, type OpDef, type OutputInfo, type Value } from './types.js';
import { applyActivation, broadcastIndex, broadcastShapes, input } from './util.js';

export function binaryOp(name: string, doc: string, f: (a: number, b: number) => number, opts: { intDiv?: boolean } = {}): OpDef {
  return {
    name,
    doc,
    inputs: [{ name: 'A' }, { name: 'B' }],
    outputs: ['C'],
    attrs: {
      activation: { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation (TFLite)' },
    },
    infer(ctx: InferCtx): OutputInfo[] {
      const a = input(ctx, 0);
      const b = input(ctx, 1);
      if (a.dtype !== b.dtype)
        fail('EF1005', `${name} inputs have different dtypes ${a.dtype} and ${b.dtype}`, { node: ctx.node.name });
      return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape, ctx.node.name) }];
    },
    evalFloat(ins: (Value | undefined)[], attrs: Attrs): Value[] {
      const a = ins[0]!;
      const b = ins[1]!;
      const shape = broadcastShapes(a.shape, b.shape);
      const n = shapeSize(shape);
      const out = allocArray(a.dtype, n);
      const ad = a.data;
      const bd = b.data;
      const integer = a.dtype !== 'float32' && a.dtype !== 'float64';
      const g = opts.intDiv && integer ? (x: number, y: number) => Math.trunc(x / y) : f;
      if (ad.length === n && bd.length === n) {
        for (let i = 0; i < n; i++) out[i] = g(ad[i], bd[i]);
      } else if (bd.length === 1 && ad.length === n) {
        const y = bd[0];
        for (let i = 0; i < n; i++) out[i] = g(ad[i], y);
      } else {
        const ia = broadcastIndex(a.shape, shape);
        const ib = broadcastIndex(b.shape, shape);
        for (let i = 0; i < n; i++) out[i] = g(ad[ia[i]], bd[ib[i]]);
      }
      if (attrs.activation !== undefined) applyActivation(out, attrs.activation as string);
      return [{ dtype: a.dtype, shape, data: out }];
    },
    macs: (_ctx, outs) => shapeSize(outs[0].shape),
  };
}
