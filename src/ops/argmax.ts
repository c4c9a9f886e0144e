// ArgMax along `axis` → int64 indices (held in a Float64Array). keepdims keeps the reduced axis as size 1.
// Ties pick the first index, or the last with select_last_index = 1. NaN counts as larger than any number
// (numpy.argmax, which the ONNX reference uses): the first (or last) NaN wins.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrInt, normAxis } from './util.js';

function plan(x: TensorInfo | undefined, attrs: Attrs, node: string): { axis: number; shape: number[] } {
  if (!x) return fail('EF1009', 'ArgMax input 0 is missing', { node });
  if (x.shape.length === 0) fail('EF1004', 'ArgMax needs an input of rank >= 1', { node });
  const axis = normAxis(attrInt(attrs, 'axis'), x.shape.length, node);
  if (x.shape[axis] === 0) fail('EF1004', `ArgMax over an empty axis ${axis}`, { node });
  const shape = x.shape.slice();
  if (attrInt(attrs, 'keepdims')) shape[axis] = 1;
  else shape.splice(axis, 1);
  return { axis, shape };
}

export const def: OpDef = {
  noIntAdvice:
    "ArgMax has no C kernel: leave it out of the model and take the argmax of the output in the application (the generated API returns the output tensor)",
  name: 'ArgMax',
  quant: { activations: 'any' },
  doc: 'index of the maximum along an axis (int64)',
  inputs: [{ name: 'data' }],
  outputs: ['reduced'],
  attrs: {
    axis: { type: 'int', default: 0 },
    keepdims: { type: 'int', default: 1 },
    select_last_index: { type: 'int', default: 0, doc: '1 = the last of equal maxima' },
  },
  infer(ctx) {
    return [{ dtype: 'int64', shape: plan(ctx.inputs[0], ctx.attrs, ctx.node.name).shape }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    const { axis, shape } = plan(x, attrs, node?.name);
    const last = attrInt(attrs, 'select_last_index') !== 0;
    const L = x!.shape[axis];
    const outer = shapeSize(x!.shape.slice(0, axis));
    const inner = shapeSize(x!.shape.slice(axis + 1));
    const src = x!.data;
    const out = allocArray('int64', outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * L * inner + j;
        let best = 0;
        let bv = src[base];
        for (let k = 1; k < L; k++) {
          const v = src[base + k * inner];
          // numpy order: NaN counts as the largest value
          const take = v !== v ? bv === bv || last : bv === bv && (v > bv || (last && v === bv));
          if (take) {
            bv = v;
            best = k;
          }
        }
        out[o * inner + j] = best;
      }
    }
    return [{ dtype: 'int64', shape, data: out }];
  },
  macs: () => 0,
};
