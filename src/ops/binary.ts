// Shared machinery for broadcasting binary element-wise ops (Add, Sub, Mul, Div, Max, Min).
//
// Integer dtypes: the result is stored into the output typed array, so it wraps exactly as the array's
// conversion does (int8 127 + 1 → -128). int32 Mul uses Math.imul so the low 32 bits are exact; int64 (held
// in a Float64Array) is exact only while |result| < 2^53. Div truncates toward zero for integer dtypes;
// integer division by zero stores 0 (the typed-array conversion of ±Infinity/NaN), int64 keeps ±Infinity.
//
// Variadic form (ONNX Max/Min/Sum): one or more inputs, folded left with broadcasting.

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type InferCtx, type OpDef, type OpName, type OutputInfo, type Value } from './types.js';
import { applyActivation, broadcastIndex, broadcastShapes, input } from './util.js';

export interface BinaryOpts {
  /** Truncating division for integer dtypes. */
  intDiv?: boolean;
  /** Use Math.imul for int32 (exact wrap-around product). */
  intMul?: boolean;
  /** Accept one or more inputs (port `data`, variadic) and fold left. */
  variadic?: boolean;
}

/** True when `s` (leading 1s ignored) equals the last dims of `full`, i.e. it tiles `full` contiguously. */
function isTrailing(s: readonly number[], full: readonly number[]): boolean {
  let k = 0;
  while (k < s.length && s[k] === 1) k++;
  const tail = s.length - k;
  if (tail === 0 || tail > full.length) return false;
  for (let i = 0; i < tail; i++) if (s[k + i] !== full[full.length - tail + i]) return false;
  return true;
}

/** out = f(a, b) over the broadcast of a and b. `shape` is the broadcast shape. */
function apply2(
  a: Value,
  b: Value,
  shape: number[],
  out: TypedArray,
  g: (x: number, y: number) => number,
): void {
  const n = out.length;
  const ad = a.data;
  const bd = b.data;
  if (ad.length === n && bd.length === n) {
    for (let i = 0; i < n; i++) out[i] = g(ad[i], bd[i]);
  } else if (bd.length === 1 && ad.length === n) {
    const y = bd[0];
    for (let i = 0; i < n; i++) out[i] = g(ad[i], y);
  } else if (ad.length === 1 && bd.length === n) {
    const x = ad[0];
    for (let i = 0; i < n; i++) out[i] = g(x, bd[i]);
  } else if (ad.length === n && isTrailing(b.shape, shape)) {
    // b repeats along the leading axes (per-channel bias in NHWC): index by i mod |b|
    const m = bd.length;
    for (let i = 0, j = 0; i < n; i++, j = j + 1 === m ? 0 : j + 1) out[i] = g(ad[i], bd[j]);
  } else if (bd.length === n && isTrailing(a.shape, shape)) {
    const m = ad.length;
    for (let i = 0, j = 0; i < n; i++, j = j + 1 === m ? 0 : j + 1) out[i] = g(ad[j], bd[i]);
  } else {
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    for (let i = 0; i < n; i++) out[i] = g(ad[ia[i]], bd[ib[i]]);
  }
}

export function binaryOp(name: OpName, doc: string, f: (a: number, b: number) => number, opts: BinaryOpts = {}): OpDef {
  const kernel = (dtype: Value['dtype']): ((x: number, y: number) => number) => {
    if (!isIntegerDType(dtype)) return f;
    if (opts.intDiv) return (x, y) => Math.trunc(x / y);
    if (opts.intMul && dtype === 'int32') return Math.imul;
    return f;
  };
  const checkInputs = (infos: ({ dtype: string; shape: number[] } | undefined)[], nodeName: string): number[] => {
    if (infos.length === 0 || (!opts.variadic && infos.length !== 2))
      fail('EF1009', `${name} needs ${opts.variadic ? 'at least 1 input' : '2 inputs'}, got ${infos.length}`, { node: nodeName });
    let shape: number[] | undefined;
    const dt = infos[0]?.dtype;
    infos.forEach((t, i) => {
      if (!t) return fail('EF1009', `${name} input ${i} is missing`, { node: nodeName });
      if (t.dtype !== dt)
        fail('EF1005', `${name} inputs have different dtypes ${dt} and ${t.dtype}`, { node: nodeName });
      shape = shape ? broadcastShapes(shape, t.shape, nodeName) : t.shape.slice();
    });
    return shape!;
  };
  return {
    name,
    doc,
    inputs: opts.variadic ? [{ name: 'data', variadic: true }] : [{ name: 'A' }, { name: 'B' }],
    outputs: ['C'],
    attrs: {
      activation: { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation (TFLite)' },
    },
    infer(ctx: InferCtx): OutputInfo[] {
      if (!opts.variadic) {
        input(ctx, 0);
        input(ctx, 1);
      }
      const shape = checkInputs(ctx.inputs, ctx.node.name);
      return [{ dtype: ctx.inputs[0]!.dtype, shape }];
    },
    evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
      const shape = checkInputs(ins, node?.name ?? '');
      const vals = ins as Value[];
      const dtype = vals[0].dtype;
      const g = kernel(dtype);
      const n = shapeSize(shape);
      let out: TypedArray;
      if (vals.length === 1) {
        out = allocArray(dtype, n);
        out.set(vals[0].data);
      } else {
        out = allocArray(dtype, n);
        let acc: Value = vals[0];
        for (let k = 1; k < vals.length; k++) {
          // intermediate broadcast shape of the first k+1 inputs
          const sh = k === vals.length - 1 ? shape : broadcastShapes(acc.shape, vals[k].shape);
          const dst = k === vals.length - 1 ? out : allocArray(dtype, shapeSize(sh));
          apply2(acc, vals[k], sh, dst, g);
          acc = { dtype, shape: sh, data: dst };
        }
      }
      const act = attrs.activation;
      if (act !== undefined && act !== 'none') applyActivation(out, act as string);
      return [{ dtype, shape, data: out }];
    },
    macs: (_ctx, outs) => shapeSize(outs[0].shape),
  };
}
