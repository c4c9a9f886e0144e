// Dequantize (integer → float32), TFLite DEQUANTIZE / ONNX DequantizeLinear: y = (x - zp) * s in float32
// (x - zp is exact; the product is rounded once to float32, as float32 C arithmetic does). Scales are taken as
// float32. Per-tensor or per-axis exactly as Quantize (attrs scale, zero_point, axis; axis default 0).

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, Value } from './types.js';
import { QUANT_ATTRS, quantPlan } from './quantize.js';

export const def: OpDef = {
  name: 'Dequantize',
  quant: { activations: 'any' },
  doc: 'integer → float32: (x - zero_point) * scale',
  inputs: [{ name: 'x' }],
  outputs: ['y'],
  attrs: { ...QUANT_ATTRS },
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x) return fail('EF1009', 'Dequantize input 0 is missing', { node: ctx.node.name });
    if (!isIntegerDType(x.dtype) || x.dtype === 'bool')
      fail('EF1005', `Dequantize needs an integer input, got ${x.dtype}`, { node: ctx.node.name });
    quantPlan('Dequantize', x, ctx.attrs, ctx.node.name);
    return [{ dtype: 'float32', shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Dequantize input 0 is missing', { node: node?.name });
    if (!isIntegerDType(x.dtype) || x.dtype === 'bool')
      fail('EF1005', `Dequantize needs an integer input, got ${x.dtype}`, { node: node?.name });
    const { scale, zp, inner } = quantPlan('Dequantize', x, attrs, node?.name);
    const src = x.data;
    const n = src.length;
    const out = allocArray('float32', n);
    const C = scale.length;
    if (C === 1) {
      const s = scale[0];
      const z = zp[0];
      for (let i = 0; i < n; i++) out[i] = (src[i] - z) * s;
    } else {
      for (let i = 0; i < n; i++) {
        const c = Math.floor(i / inner) % C;
        out[i] = (src[i] - zp[c]) * scale[c];
      }
    }
    return [{ dtype: 'float32', shape: x.shape.slice(), data: out }];
  },
  macs: (_ctx, outs) => shapeSize(outs[0].shape),
};
