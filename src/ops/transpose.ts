// Transpose: output axis d is input axis perm[d]; perm absent = reversed axes (ONNX default).

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, stridesOf } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { stridedCopy } from './util.js';

function permOf(x: TensorInfo | undefined, attrs: Attrs, node: string): number[] {
  if (!x) return fail('EF1009', 'Transpose input 0 is missing', { node });
  const r = x.shape.length;
  const p = attrs.perm as number[] | undefined;
  if (p === undefined) return Array.from({ length: r }, (_, i) => r - 1 - i);
  const seen = new Array<boolean>(r).fill(false);
  const ok = p.length === r && p.every((a) => a >= 0 && a < r && !seen[a] && (seen[a] = true));
  if (!ok) fail('EF1006', `Transpose perm [${p.join(',')}] is not a permutation of 0..${r - 1}`, { node });
  return p.slice();
}

export const def: OpDef = {
  name: 'Transpose',
  quant: { activations: 'any', sharedPorts: [0] },
  doc: 'permute axes (default: reverse them)',
  inputs: [{ name: 'data' }],
  outputs: ['transposed'],
  attrs: { perm: { type: 'ints', doc: 'output axis d = input axis perm[d]; absent = reversed' } },
  infer(ctx) {
    const perm = permOf(ctx.inputs[0], ctx.attrs, ctx.node.name);
    const x = ctx.inputs[0]!;
    return [{ dtype: x.dtype, shape: perm.map((a) => x.shape[a]) }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    const perm = permOf(x, attrs, node?.name);
    const shape = perm.map((a) => x!.shape[a]);
    const inStr = stridesOf(x!.shape);
    const out = allocArray(x!.dtype, shapeSize(shape));
    stridedCopy(x!.data, 0, shape, perm.map((a) => inStr[a]), out);
    return [{ dtype: x!.dtype, shape, data: out }];
  },
  macs: () => 0,
};
