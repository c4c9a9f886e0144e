// Quantize (float → integer), TFLite QUANTIZE / ONNX QuantizeLinear:
//   y = clamp(round(fround(x / s)) + zp, range of `to`)
// where s is the scale as float32 (fround), x / s is rounded to float32 (what a float32 C division gives), and
// round is selected by `rounding`: 'half_away' (TFLite, C round(); the default) or 'half_even' (ONNX, numpy
// rint; the ONNX importer asks for it). Per-tensor when `scale` has one entry; otherwise per-axis along `axis`
// (default 0; negative counts from the end) with one scale and zero point per index of that axis.
// `zero_point` absent = all 0. An integer input (TFLite QUANTIZE used as a requantization) passes inference;
// only the integer kernel can run it, since its meaning depends on the input's quantization record.

import { fail } from '../diagnostics.js';
import { allocArray, dtypeRange, isIntegerDType, shapeSize, type DType } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { AttrSpec, OpDef, TensorInfo, Value } from './types.js';
import { attrInt, attrStr, normAxis } from './util.js';

export const QUANT_DTYPES = ['int8', 'uint8', 'int16', 'uint16'] as const;

/** Attributes shared by Quantize and Dequantize. */
export const QUANT_ATTRS: Record<string, AttrSpec> = {
  scale: { type: 'floats', required: true, doc: 'one per tensor, or one per index of `axis`; > 0' },
  zero_point: { type: 'ints', doc: 'same count as scale; absent = 0' },
  axis: { type: 'int', default: 0, doc: 'quantized axis when per-axis (negative counts from the end)' },
};

export interface QuantPlan {
  /** float32 scales, one per channel (length 1 = per tensor). */
  scale: Float64Array;
  zp: Float64Array;
  /** Elements sharing one channel index run contiguously for `inner` elements; channel = floor(i / inner) % C. */
  inner: number;
}

export function quantPlan(op: string, x: TensorInfo, attrs: Attrs, node: string): QuantPlan {
  const sc = attrs.scale as number[];
  const zpa = (attrs.zero_point as number[] | undefined) ?? [];
  if (sc.length === 0) fail('EF1006', `${op} scale is empty`, { node });
  if (zpa.length !== 0 && zpa.length !== sc.length)
    fail('EF1006', `${op} has ${sc.length} scales but ${zpa.length} zero points`, { node });
  const scale = new Float64Array(sc.length);
  sc.forEach((s, i) => {
    if (!(s > 0) || !Number.isFinite(s)) fail('EF1006', `${op} scale ${s} is not a positive finite number`, { node });
    scale[i] = Math.fround(s);
  });
  const zp = new Float64Array(sc.length);
  zpa.forEach((z, i) => (zp[i] = z));
  let inner = 1;
  if (sc.length > 1) {
    const r = x.shape.length;
    if (r === 0) fail('EF1004', `${op} with ${sc.length} scales needs an input of rank >= 1`, { node });
    const axis = normAxis(attrInt(attrs, 'axis'), r, node);
    if (x.shape[axis] >= 0 && x.shape[axis] !== sc.length)
      fail('EF1004', `${op} has ${sc.length} scales but axis ${axis} of [${x.shape.join(',')}] has ${x.shape[axis]} entries`, { node });
    inner = shapeSize(x.shape.slice(axis + 1));
  }
  return { scale, zp, inner };
}

/** Round half to even (numpy rint). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // half up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (C round()). */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

export const def: OpDef = {
  name: 'Quantize',
  quant: { activations: 'any' },
  doc: 'float → int8/uint8/int16/uint16: clamp(round(x / scale) + zero_point)',
  inputs: [{ name: 'x' }],
  outputs: ['y'],
  attrs: {
    ...QUANT_ATTRS,
    to: { type: 'string', default: 'int8', oneOf: QUANT_DTYPES, doc: 'output dtype' },
    rounding: { type: 'string', default: 'half_away', oneOf: ['half_away', 'half_even'], doc: 'TFLite: half_away; ONNX: half_even' },
  },
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x) return fail('EF1009', 'Quantize input 0 is missing', { node: ctx.node.name });
    quantPlan('Quantize', x, ctx.attrs, ctx.node.name);
    return [{ dtype: attrStr(ctx.attrs, 'to') as DType, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    if (!x) return fail('EF1009', 'Quantize input 0 is missing', { node: node?.name });
    if (isIntegerDType(x.dtype))
      fail('EF1005', `Quantize from ${x.dtype} (a requantization) has no float kernel`, {
        node: node?.name,
        suggestion: 'run quantized graphs with the integer simulator',
      });
    const { scale, zp, inner } = quantPlan('Quantize', x, attrs, node?.name);
    const to = attrStr(attrs, 'to') as DType;
    const [lo, hi] = dtypeRange(to);
    const even = attrStr(attrs, 'rounding') === 'half_even';
    const src = x.data;
    const n = src.length;
    const out = allocArray(to, n);
    const C = scale.length;
    for (let i = 0; i < n; i++) {
      const c = C === 1 ? 0 : Math.floor(i / inner) % C;
      const q = Math.fround(src[i] / scale[c]);
      let v = (even ? roundHalfEven(q) : roundHalfAway(q)) + zp[c];
      if (v !== v) v = zp[c]; // NaN input: no defined answer; store the zero point
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return [{ dtype: to, shape: x.shape.slice(), data: out }];
  },
  macs: (_ctx, outs) => shapeSize(outs[0].shape),
};
