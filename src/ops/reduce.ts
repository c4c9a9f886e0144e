// Shared ReduceMean / ReduceMax machinery: axes (negative allowed, empty = every axis), keepdims. The kernel
// views the input as [outer, R, inner] when the reduced axes are one contiguous run (the global-pool case,
// axes [1,2] on NHWC) and otherwise maps each input element to its output slot with an odometer.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OpDef, OpName, OutputInfo, Value } from './types.js';
import { input } from './util.js';
import { checkDims } from './window.js';

interface ReduceGeom {
  /** Sorted, normalised, unique reduced axes. */
  axes: number[];
  out: number[];
}

function reduceGeom(op: string, x: readonly number[], attrs: Attrs, node: string): ReduceGeom {
  checkDims(op, 'input X', x, node, true);
  const raw = attrs.axes;
  if (!Array.isArray(raw) || !raw.every((a) => typeof a === 'number' && Number.isInteger(a)))
    fail('EF1006', `${op} attribute 'axes' must be a list of integers, got ${JSON.stringify(raw)}`, { node });
  const keep = attrs.keepdims;
  if (keep !== 0 && keep !== 1) fail('EF1006', `${op} attribute 'keepdims' must be 0 or 1, got ${JSON.stringify(keep)}`, { node });
  const r = x.length;
  const set = new Set<number>();
  for (const a of raw as number[]) {
    const n = a < 0 ? a + r : a;
    if (n < 0 || n >= r) fail('EF1006', `${op} axis ${a} is out of range for input [${x.join(',')}]`, { node });
    if (set.has(n)) fail('EF1006', `${op} axis ${a} is listed twice in [${(raw as number[]).join(',')}]`, { node });
    set.add(n);
  }
  const axes = raw.length === 0 ? x.map((_, i) => i) : [...set].sort((p, q) => p - q);
  for (const a of axes) if (x[a] < 1) fail('EF1008', `${op} reduces over unknown dimension ${a} of [${x.join(',')}]`, { node });
  const out: number[] = [];
  x.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep === 1) out.push(1);
  });
  return { axes, out };
}

function reduceFloat(kind: 'mean' | 'max', x: TypedArray, shape: readonly number[], axes: number[], out: TypedArray): void {
  const isMax = kind === 'max';
  const nOut = out.length;
  const R = nOut === 0 ? 0 : x.length / nOut;
  const acc = new Float64Array(nOut).fill(isMax ? -Infinity : 0);
  const contiguous = axes.length > 0 && axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (contiguous) {
    const outer = shapeSize(shape.slice(0, axes[0]));
    const inner = shapeSize(shape.slice(axes[axes.length - 1] + 1));
    for (let o = 0; o < outer; o++) {
      const ab = o * inner;
      for (let r = 0; r < R; r++) {
        const xb = (o * R + r) * inner;
        if (isMax) {
          for (let i = 0; i < inner; i++) {
            const v = x[xb + i];
            if (v > acc[ab + i] || v !== v) acc[ab + i] = v;
          }
        } else {
          for (let i = 0; i < inner; i++) acc[ab + i] += x[xb + i];
        }
      }
    }
  } else {
    // odometer over the input: output offset advances by outStride[d] along kept axes, 0 along reduced ones
    const rank = shape.length;
    const outStride = new Array<number>(rank).fill(0);
    let s = 1;
    for (let d = rank - 1; d >= 0; d--) {
      if (!axes.includes(d)) {
        outStride[d] = s;
        s *= shape[d];
      }
    }
    const coord = new Array<number>(rank).fill(0);
    let off = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (isMax) {
        if (v > acc[off] || v !== v) acc[off] = v;
      } else acc[off] += v;
      for (let d = rank - 1; d >= 0; d--) {
        coord[d]++;
        off += outStride[d];
        if (coord[d] < shape[d]) break;
        off -= outStride[d] * coord[d];
        coord[d] = 0;
      }
    }
  }
  if (isMax) for (let i = 0; i < nOut; i++) out[i] = acc[i];
  else for (let i = 0; i < nOut; i++) out[i] = acc[i] / R;
}

export function reduceOp(name: OpName, doc: string, kind: 'mean' | 'max'): OpDef {
  return {
    name,
    doc,
    inputs: [{ name: 'X' }],
    outputs: ['Y'],
    attrs: {
      axes: { type: 'ints', default: [], doc: 'axes to reduce (negative counts from the end); empty = all' },
      keepdims: { type: 'int', default: 1, doc: '1: keep reduced axes as size 1' },
    },
    infer(ctx: InferCtx): OutputInfo[] {
      const x = input(ctx, 0);
      return [{ dtype: x.dtype, shape: reduceGeom(name, x.shape, ctx.attrs, ctx.node.name).out }];
    },
    evalFloat(ins: (Value | undefined)[], a: Attrs, node): Value[] {
      const x = ins[0]!;
      const { axes, out: shape } = reduceGeom(name, x.shape, a, node.name);
      const out = allocArray(x.dtype, shapeSize(shape));
      reduceFloat(kind, x.data, x.shape, axes, out);
      return [{ dtype: x.dtype, shape, data: out }];
    },
    // one accumulate (or compare) per input element
    macs: (ctx: InferCtx) => shapeSize(ctx.inputs[0]!.shape.map((d) => Math.max(d, 1))),
  };
}
