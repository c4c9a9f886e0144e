// Cast to the dtype named by `to` (a name from src/ir/dtype.ts). Conversion is the typed-array one, through
// castArray: float → integer truncates toward zero and then WRAPS modulo 2^bits (300.7 → int8 44, -1 → uint8
// 255; NaN and ±Infinity → 0); it does not saturate (ONNX leaves out-of-range results undefined). To int64
// (Float64Array) the value is only truncated, so NaN/Infinity stay as they are. To bool: nonzero → 1.
// float64 → float32 rounds to nearest. A cast to the input's own dtype shares the data.

import { fail } from '../diagnostics.js';
import { castArray, DTYPES, type DType } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { attrStr } from './util.js';

export const def: OpDef = {
  noIntAdvice:
    "Cast has no integer kernel: remove it from the exported model (quantized models carry int8 tensors throughout)",
  name: 'Cast',
  layout: 'transparent',
  doc: 'convert element type (float→int truncates toward zero, then wraps like a typed array)',
  inputs: [{ name: 'input' }],
  outputs: ['output'],
  attrs: { to: { type: 'string', required: true, oneOf: DTYPES, doc: 'target dtype name' } },
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x) return fail('EF1009', 'Cast input 0 is missing', { node: ctx.node.name });
    return [{ dtype: attrStr(ctx.attrs, 'to') as DType, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Cast input 0 is missing', { node: node?.name });
    const to = attrStr(attrs, 'to') as DType;
    const data = to === x.dtype ? x.data : castArray(x.data, to);
    return [{ dtype: to, shape: x.shape.slice(), data }];
  },
  macs: () => 0,
};
