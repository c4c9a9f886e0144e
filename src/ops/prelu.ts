// PRelu: Y = x >= 0 ? x : slope * x, with `slope` broadcast to X's shape (unidirectional: X's shape wins).
// TFLite's PRELU alpha [1,1,C] and ONNX's slope [C,1,1] (made [1,1,C] by the NHWC importer) both fit.

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { broadcastIndex, broadcastShapes } from './util.js';

// Integer X (a quantized graph) is accepted by inference; the float kernel rejects it.
function check(x: TensorInfo | undefined, s: TensorInfo | undefined, node: string, kernel = false): void {
  if (!x || !s) return fail('EF1009', `PRelu needs inputs X and slope`, { node });
  if (kernel && isIntegerDType(x.dtype)) fail('EF1005', `PRelu's float kernel needs a float input, got ${x.dtype}`, { node });
  if (!isIntegerDType(x.dtype) && s.dtype !== x.dtype) fail('EF1005', `PRelu slope dtype ${s.dtype} differs from X dtype ${x.dtype}`, { node });
  const b = broadcastShapes(x.shape, s.shape, node);
  if (b.length !== x.shape.length || b.some((d, i) => d !== x.shape[i]))
    fail('EF1004', `PRelu slope [${s.shape.join(',')}] does not broadcast to X [${x.shape.join(',')}]`, { node });
}

export const def: OpDef = {
  noIntAdvice:
    "PRelu has no int8 kernel yet: LeakyRelu (one slope for all channels) and Relu have int8 kernels; replace it with one of them and fine-tune",
  name: 'PRelu',
  quant: {
    activations: 'int8',
    // the slope (alpha): an int8 tensor with its own scale, as TFLite's PRELU takes it
    weights: { port: 1, granularity: 'per-tensor' },
    // the integer kernel takes a quantized slope tensor, which PTQ derives (like weights) only for a constant slope
    keepsFloat: (n, tensors) => !tensors[n.inputs[1]]?.data,
  },
  layout: 'transparent',
  doc: 'parametric rectifier, x >= 0 ? x : slope*x (slope broadcast to X)',
  inputs: [{ name: 'X' }, { name: 'slope' }],
  outputs: ['Y'],
  attrs: {},
  infer(ctx) {
    check(ctx.inputs[0], ctx.inputs[1], ctx.node.name);
    const x = ctx.inputs[0]!;
    return [{ dtype: x.dtype, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], _a: Attrs, node: Node): Value[] {
    const [x, s] = ins;
    check(x, s, node?.name, true);
    const xd = x!.data;
    const sd = s!.data;
    const n = xd.length;
    const out = allocArray(x!.dtype, n);
    if (sd.length === 1) {
      const a = sd[0];
      for (let i = 0; i < n; i++) {
        const v = xd[i];
        out[i] = v >= 0 ? v : a * v;
      }
    } else if (sd.length === n) {
      for (let i = 0; i < n; i++) {
        const v = xd[i];
        out[i] = v >= 0 ? v : sd[i] * v;
      }
    } else {
      const is = broadcastIndex(s!.shape, x!.shape);
      for (let i = 0; i < n; i++) {
        const v = xd[i];
        out[i] = v >= 0 ? v : sd[is[i]] * v;
      }
    }
    return [{ dtype: x!.dtype, shape: x!.shape.slice(), data: out }];
  },
  macs: (_ctx, outs) => shapeSize(outs[0].shape),
};
