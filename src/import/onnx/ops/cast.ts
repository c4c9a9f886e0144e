// Type conversions: Cast, QuantizeLinear, DequantizeLinear.

import type { DType } from '../../../ir/dtype.js';
import type { Attrs } from '../../../ir/graph.js';
import { PLAIN, clAxis, type OnnxContext } from '../context.js';
import { ONNX_DTYPE, ONNX_DTYPE_NAME } from '../tensor.js';
import { hasAttr, type OpEntry } from './helpers.js';

function canonDType(ctx: OnnxContext, code: number, what: string): DType {
  const dt = ONNX_DTYPE[code];
  if (!dt) ctx.err('EF2006', `${what} ${ONNX_DTYPE_NAME[code] ?? code} is not supported`);
  return dt;
}

const castEntry: OpEntry = {
  attrs: ['to', 'saturate', 'round_mode'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'input');
    const to = canonDType(ctx, a.int('to', 0), 'Cast to');
    ctx.set(outs[0], { id: ctx.emit1('Cast', [X.id], { to }, outs[0]), layout: X.layout });
  },
};

function quantEntry(q: boolean): OpEntry {
  return {
    attrs: ['axis', 'saturate', 'block_size', 'output_dtype', 'precision'],
    constInputs: () => [1, 2],
    convert({ ctx, a, ins, outs }) {
      const X = ctx.need(ins[0], 'x');
      if (a.int('block_size', 0) !== 0) ctx.err('EF2003', 'blocked quantization (block_size) is not supported');
      const sv = ctx.constValue(ins[1], 'scale');
      const zv = ctx.optConstValue(ins[2], 'zero_point');
      const r = ctx.shape(X).length;
      let axis = a.int('axis', 1);
      if (axis < 0) axis += r;
      const perAxis = sv.shape.length === 1 && sv.data.length > 1;
      const attrs: Attrs = {
        scale: Array.from(sv.data),
        zero_point: zv ? Array.from(zv.data) : new Array(sv.data.length).fill(0),
      };
      if (perAxis) attrs.axis = X.layout.k === 'cl' ? clAxis(axis, X.layout.r) : axis;
      if (q) {
        const od = a.int('output_dtype', 0);
        const to = zv ? zv.dtype : od ? canonDType(ctx, od, 'output_dtype') : 'uint8';
        if (!['int8', 'uint8', 'int16', 'uint16', 'int32'].includes(to)) ctx.err('EF2006', `QuantizeLinear to ${to} is not supported`);
        attrs.to = to;
        if (hasAttr('Quantize', 'rounding')) attrs.rounding = 'half_even';
      }
      const keep = perAxis && X.layout.k === 'flat' ? false : true;
      const xid = keep ? X.id : ctx.toPlain(X);
      ctx.set(outs[0], { id: ctx.emit1(q ? 'Quantize' : 'Dequantize', [xid], attrs, outs[0]), layout: keep ? X.layout : PLAIN });
    },
  };
}

export const CAST_OPS: Record<string, OpEntry> = {
  Cast: castEntry,
  QuantizeLinear: quantEntry(true),
  DequantizeLinear: quantEntry(false),
};
