// Reshape to a static shape. `shape` may hold one -1 (inferred from the element count); every other entry is
// taken literally, so 0 means a zero-length dimension. ONNX's "0 copies the input dimension" rule (allowzero=0)
// is resolved by the ONNX importer before the node is built. The output shares the input's data.

import { fail } from '../diagnostics.js';
import { shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { attrInts } from './util.js';

/** Resolve the target shape against the input shape; unknown (-1) input dims leave a -1 target unresolved. */
export function resolveReshape(inShape: readonly number[], target: readonly number[], node: string): number[] {
  let neg = -1;
  let known = 1;
  target.forEach((d, i) => {
    if (d === -1) {
      if (neg >= 0) fail('EF1006', `Reshape shape [${target.join(',')}] has more than one -1`, { node });
      neg = i;
    } else if (d < 0) fail('EF1006', `Reshape shape [${target.join(',')}] has a negative entry ${d}`, { node });
    else known *= d;
  });
  const out = target.slice();
  if (inShape.some((d) => d < 0)) return out; // symbolic input dim: cannot check, keep -1 for later passes
  const n = shapeSize(inShape);
  if (neg >= 0) {
    if (known === 0 || n % known !== 0)
      fail('EF1004', `Reshape cannot infer the -1 in [${target.join(',')}] from input [${inShape.join(',')}] (${n} elements)`, { node });
    out[neg] = n / known;
  } else if (known !== n) {
    fail('EF1004', `Reshape from [${inShape.join(',')}] (${n} elements) to [${target.join(',')}] (${known}) changes the element count`, {
      node,
    });
  }
  return out;
}

export const def: OpDef = {
  name: 'Reshape',
  quant: { activations: 'any', sharedPorts: [0] },
  doc: 'view the data with a new static shape (one -1 allowed)',
  inputs: [{ name: 'data' }],
  outputs: ['reshaped'],
  attrs: { shape: { type: 'ints', required: true, doc: 'target shape; one -1 allowed, 0 is a literal zero' } },
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x) return fail('EF1009', 'Reshape input 0 is missing', { node: ctx.node.name });
    return [{ dtype: x.dtype, shape: resolveReshape(x.shape, attrInts(ctx.attrs, 'shape'), ctx.node.name) }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Reshape input 0 is missing', { node: node?.name });
    return [{ dtype: x.dtype, shape: resolveReshape(x.shape, attrInts(attrs, 'shape'), node?.name), data: x.data }];
  },
  macs: () => 0,
};
