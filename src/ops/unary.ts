// Shared machinery for element-wise unary ops with float attributes (Relu, Sigmoid, LeakyRelu, ...).

import { castArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { AttrSpec, OpDef, Value } from './types.js';
import { input } from './util.js';

export function unaryOp(
  name: string,
  doc: string,
  f: (x: number, attrs: Attrs) => number,
  attrs: Record<string, AttrSpec> = {},
): OpDef {
  return {
    name,
    doc,
    inputs: [{ name: 'X' }],
    outputs: ['Y'],
    attrs,
    inPlace: true,
    infer(ctx) {
      const x = input(ctx, 0);
      return [{ dtype: x.dtype, shape: x.shape.slice() }];
    },
    evalFloat(ins: (Value | undefined)[], a: Attrs): Value[] {
      const x = ins[0]!;
      const out = castArray(x.data, x.dtype);
      for (let i = 0; i < out.length; i++) out[i] = f(out[i], a);
      return [{ dtype: x.dtype, shape: x.shape.slice(), data: out }];
    },
    macs: () => 0,
  };
}
