// Gather along `axis`: output shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]. Indices are
// an integer tensor (int64 held as float64, or int32/int16/int8/uint*); negative indices count from the end;
// out-of-range indices are a coded error (checked at inference when the indices are constant, and at run time).

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrInt, normAxis } from './util.js';

function plan(data: TensorInfo | undefined, idx: TensorInfo | undefined, attrs: Attrs, node: string): { axis: number; shape: number[] } {
  if (!data || !idx) return fail('EF1009', 'Gather needs inputs data and indices', { node });
  if (!isIntegerDType(idx.dtype) || idx.dtype === 'bool')
    fail('EF1005', `Gather indices must be an integer tensor, got ${idx.dtype}`, { node });
  if (data.shape.length === 0) fail('EF1004', 'Gather data must have rank >= 1', { node });
  const axis = normAxis(attrInt(attrs, 'axis'), data.shape.length, node);
  if (idx.data) checkIndices(idx.data, data.shape[axis], node);
  return { axis, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] };
}

function checkIndices(ix: TypedArray, dim: number, node: string): void {
  if (dim < 0) return;
  for (let i = 0; i < ix.length; i++) {
    const k = ix[i];
    if (!(k >= -dim && k < dim) || !Number.isInteger(k))
      fail('EF1004', `Gather index ${k} is out of range for an axis of size ${dim}`, { node });
  }
}

export const def: OpDef = {
  name: 'Gather',
  quant: { activations: 'any', sharedPorts: [0] },
  doc: 'take slices along an axis at integer indices (negative = from the end)',
  inputs: [{ name: 'data' }, { name: 'indices', constant: true }],
  outputs: ['output'],
  attrs: { axis: { type: 'int', default: 0, doc: 'negative counts from the end' } },
  infer(ctx) {
    const p = plan(ctx.inputs[0], ctx.inputs[1], ctx.attrs, ctx.node.name);
    return [{ dtype: ctx.inputs[0]!.dtype, shape: p.shape }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const [x, iv] = ins;
    const { axis, shape } = plan(x, iv, attrs, node?.name);
    const dim = x!.shape[axis];
    const ix = iv!.data;
    const outer = shapeSize(x!.shape.slice(0, axis));
    const inner = shapeSize(x!.shape.slice(axis + 1));
    const src = x!.data;
    const out = allocArray(x!.dtype, shapeSize(shape));
    const nk = ix.length;
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      const ob = o * dim * inner;
      for (let j = 0; j < nk; j++) {
        const k = ix[j] < 0 ? ix[j] + dim : ix[j];
        const s = ob + k * inner;
        if (inner >= 32) out.set(src.subarray(s, s + inner), pos);
        else for (let t = 0; t < inner; t++) out[pos + t] = src[s + t];
        pos += inner;
      }
    }
    return [{ dtype: x!.dtype, shape, data: out }];
  },
  macs: () => 0,
};
