// Concat: join 1+ inputs along `axis` (negative counts from the end). All inputs share dtype, rank and every
// dimension except `axis`; zero-length inputs are allowed.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type DType } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrInt, normAxis } from './util.js';

function plan(ins: (TensorInfo | undefined)[], attrs: Attrs, node: string): { axis: number; shape: number[]; dtype: DType } {
  if (ins.length === 0) fail('EF1009', 'Concat needs at least one input', { node });
  const first = ins[0];
  if (!first) return fail('EF1009', 'Concat input 0 is missing', { node });
  const r = first.shape.length;
  if (r === 0) fail('EF1004', 'Concat inputs must have rank >= 1', { node });
  const axis = normAxis(attrInt(attrs, 'axis'), r, node);
  const shape = first.shape.slice();
  shape[axis] = 0;
  ins.forEach((t, i) => {
    if (!t) return fail('EF1009', `Concat input ${i} is missing`, { node });
    if (t.dtype !== first.dtype) fail('EF1005', `Concat input ${i} is ${t.dtype}, input 0 is ${first.dtype}`, { node });
    if (t.shape.length !== r || t.shape.some((d, k) => k !== axis && d !== first.shape[k]))
      fail('EF1004', `Concat input ${i} [${t.shape.join(',')}] does not match input 0 [${first.shape.join(',')}] outside axis ${axis}`, {
        node,
      });
    shape[axis] = shape[axis] < 0 || t.shape[axis] < 0 ? -1 : shape[axis] + t.shape[axis];
  });
  return { axis, shape, dtype: first.dtype };
}

export const def: OpDef = {
  name: 'Concat',
  quant: { activations: 'int8+int16', sharedPorts: 'all' },
  doc: 'concatenate 1+ tensors along an axis',
  inputs: [{ name: 'inputs', variadic: true }],
  outputs: ['concat_result'],
  attrs: { axis: { type: 'int', required: true, doc: 'join axis; negative counts from the end' } },
  infer(ctx) {
    const p = plan(ctx.inputs, ctx.attrs, ctx.node.name);
    return [{ dtype: p.dtype, shape: p.shape }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const { axis, shape, dtype } = plan(ins, attrs, node?.name);
    const out = allocArray(dtype, shapeSize(shape));
    const outer = shapeSize(shape.slice(0, axis));
    const inner = shapeSize(shape.slice(axis + 1));
    const row = shape[axis] * inner; // output elements per outer index
    let colOff = 0;
    for (const v of ins as Value[]) {
      const chunk = v.shape[axis] * inner;
      const d = v.data;
      if (chunk >= 32) {
        for (let o = 0; o < outer; o++) out.set(d.subarray(o * chunk, (o + 1) * chunk), o * row + colOff);
      } else {
        for (let o = 0; o < outer; o++) {
          const so = o * chunk;
          const dst = o * row + colOff;
          for (let k = 0; k < chunk; k++) out[dst + k] = d[so + k];
        }
      }
      colOff += chunk;
    }
    return [{ dtype, shape, data: out }];
  },
  macs: () => 0,
};
