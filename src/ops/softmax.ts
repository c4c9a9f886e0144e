// Softmax over one axis (ONNX opset >= 13 semantics: a single axis, default -1), numerically stable:
// y = exp(beta·(x - max)) / sum(exp(beta·(x - max))), accumulated in double (beta: TFLite SOFTMAX's input scaling,
// default 1; ONNX has none). LogSoftmax shares the kernel (no beta).

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrFloat, attrInt, normAxis } from './util.js';

// Integer inputs (quantized graphs: TFLite int8 SOFTMAX) pass inference; only the float kernel rejects them.
function plan(name: string, x: TensorInfo | undefined, attrs: Attrs, node: string, kernel = false): number {
  if (!x) return fail('EF1009', `${name} input 0 is missing`, { node });
  if (kernel && isIntegerDType(x.dtype)) fail('EF1005', `${name}'s float kernel needs a float input, got ${x.dtype}`, { node });
  if (x.shape.length === 0) fail('EF1004', `${name} needs an input of rank >= 1`, { node });
  return normAxis(attrInt(attrs, 'axis'), x.shape.length, node);
}

export function softmaxOp(name: 'Softmax' | 'LogSoftmax'): OpDef {
  const log = name === 'LogSoftmax';
  return {
    name,
    doc: log ? 'log of softmax along one axis, x - max - log(sum(exp(x - max)))' : 'softmax along one axis (numerically stable)',
    inputs: [{ name: 'X' }],
    outputs: ['Y'],
    attrs: {
      axis: { type: 'int', default: -1, doc: 'the axis normalised over (negative counts from the end)' },
      ...(log ? {} : { beta: { type: 'float' as const, default: 1, doc: 'input scaling (TFLite SOFTMAX beta), a positive float32' } }),
    },
    infer(ctx) {
      plan(name, ctx.inputs[0], ctx.attrs, ctx.node.name);
      const x = ctx.inputs[0]!;
      return [{ dtype: x.dtype, shape: x.shape.slice() }];
    },
    evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
      const x = ins[0];
      const axis = plan(name, x, attrs, node?.name, true);
      const shape = x!.shape;
      const L = shape[axis];
      const inner = shapeSize(shape.slice(axis + 1));
      const outer = shapeSize(shape.slice(0, axis));
      const src = x!.data;
      const beta = log ? 1 : attrFloat(attrs, 'beta');
      const out = allocArray(x!.dtype, src.length);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          const base = o * L * inner + j;
          const end = base + L * inner;
          let m = -Infinity;
          for (let p = base; p < end; p += inner) if (src[p] > m) m = src[p];
          if (m === -Infinity || m === Infinity) m = 0; // all -inf, or +inf present: let exp() say what it says
          let sum = 0;
          for (let p = base; p < end; p += inner) sum += Math.exp(beta * (src[p] - m));
          if (log) {
            const ls = m + Math.log(sum);
            for (let p = base; p < end; p += inner) out[p] = src[p] - ls;
          } else {
            const r = 1 / sum;
            for (let p = base; p < end; p += inner) out[p] = Math.exp(beta * (src[p] - m)) * r;
          }
        }
      }
      return [{ dtype: x!.dtype, shape: shape.slice(), data: out }];
    },
    macs: (_ctx, outs) => shapeSize(outs[0].shape),
  };
}

const base = softmaxOp('Softmax');

export const def: OpDef = {
  ...base,
  quant: {
    activations: 'int8+int16',
    fixedOutput: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  },
};
