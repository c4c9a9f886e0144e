// Expand: broadcast the input to `shape` (ONNX Expand, numpy rules in both directions: a 1 in `shape` keeps the
// input's dimension). PyTorch exports it for x.expand(...) and for the initial states of GRU/LSTM; with constant
// inputs the importer folds it away.
import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { broadcastIndex, broadcastShapes, input } from './util.js';

const MAX_ELEMS = 1 << 26;

function outShape(x: readonly number[], a: Attrs, node: string): number[] {
  const s = a.shape as number[] | undefined;
  if (!s || s.some((d) => !Number.isInteger(d) || d < 0)) return fail('EF1006', `Expand shape [${s ?? ''}] must be non-negative integers`, { node });
  const out = broadcastShapes(x, s, node);
  if (shapeSize(out) > MAX_ELEMS) fail('EF1007', `Expand to [${out}] is too large`, { node });
  return out;
}

export const def: OpDef = {
  name: 'Expand',
  doc: 'broadcast the input to a shape (numpy rules; 1 keeps the input dimension)',
  inputs: [{ name: 'input' }],
  outputs: ['output'],
  attrs: { shape: { type: 'ints', doc: 'target shape (broadcast with the input shape)' } },
  infer(ctx) {
    const x = input(ctx, 0);
    return [{ dtype: x.dtype, shape: outShape(x.shape, ctx.attrs, ctx.node.name) }];
  },
  evalFloat(ins: (Value | undefined)[], a: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Expand input 0 is missing', { node: node?.name });
    const shape = outShape(x.shape, a, node?.name);
    const idx = broadcastIndex(x.shape, shape);
    const out = allocArray(x.dtype, idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]];
    return [{ dtype: x.dtype, shape, data: out }];
  },
  macs: () => 0,
  noIntAdvice:
    'Expand has no integer kernel: let the element-wise operator that uses it broadcast instead (Add, Sub, Mul broadcast in int8), or compute it in the application',
};
