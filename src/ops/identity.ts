// Identity: Y = X. The output shares the input's data (values are never mutated after they are produced).
import { fail } from '../diagnostics.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { input } from './util.js';

export const def: OpDef = {
  name: 'Identity',
  quant: { activations: 'any', sharedPorts: [0] },
  layout: 'transparent',
  doc: 'copy the input unchanged',
  inputs: [{ name: 'input' }],
  outputs: ['output'],
  attrs: {},
  infer(ctx) {
    const x = input(ctx, 0);
    return [{ dtype: x.dtype, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], _a: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Identity input 0 is missing', { node: node?.name });
    return [{ dtype: x.dtype, shape: x.shape.slice(), data: x.data }];
  },
  macs: () => 0,
};
