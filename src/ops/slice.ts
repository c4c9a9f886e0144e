// Slice with ONNX rules (attributes instead of ONNX's constant inputs). For each listed axis, with dim = d:
//   start, end < 0 → += d;
//   step > 0: start and end clamped to [0, d];  step < 0: start clamped to [0, d-1], end to [-1, d-1];
//   length = max(0, ceil((end - start) / step)).
// INT64_MAX/INT64_MIN-style ends (held as ±9.2e18) simply clamp. Axes not listed are kept whole; axes may be
// negative but not repeated; a zero step is an error.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, stridesOf } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrInts, stridedCopy } from './util.js';

interface SlicePlan {
  shape: number[];
  start: number[];
  step: number[];
}

function plan(x: TensorInfo | undefined, attrs: Attrs, node: string): SlicePlan {
  if (!x) return fail('EF1009', 'Slice input 0 is missing', { node });
  const r = x.shape.length;
  const starts = attrInts(attrs, 'starts');
  const ends = attrInts(attrs, 'ends');
  const axes = attrs.axes === undefined ? starts.map((_, i) => i) : attrInts(attrs, 'axes');
  const steps = attrs.steps === undefined ? starts.map(() => 1) : attrInts(attrs, 'steps');
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
    fail('EF1006', `Slice starts/ends/axes/steps have different lengths (${starts.length}/${ends.length}/${axes.length}/${steps.length})`, {
      node,
    });
  const shape = x.shape.slice();
  const start = new Array<number>(r).fill(0);
  const step = new Array<number>(r).fill(1);
  const seen = new Set<number>();
  for (let i = 0; i < starts.length; i++) {
    const a = axes[i] < 0 ? axes[i] + r : axes[i];
    if (a < 0 || a >= r) fail('EF1006', `Slice axis ${axes[i]} is out of range for rank ${r}`, { node });
    if (seen.has(a)) fail('EF1006', `Slice axis ${axes[i]} is listed twice`, { node });
    seen.add(a);
    const st = steps[i];
    if (st === 0) fail('EF1006', `Slice step on axis ${axes[i]} is 0`, { node });
    const d = x.shape[a];
    if (d < 0) {
      shape[a] = -1;
      continue;
    }
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    shape[a] = Math.max(0, Math.ceil((e - s) / st));
    start[a] = s;
    step[a] = st;
  }
  return { shape, start, step };
}

export const def: OpDef = {
  name: 'Slice',
  quant: { activations: 'any', sharedPorts: [0] },
  doc: 'strided slice with ONNX clamping (negative indices and steps allowed)',
  inputs: [{ name: 'data' }],
  outputs: ['output'],
  attrs: {
    starts: { type: 'ints', required: true },
    ends: { type: 'ints', required: true, doc: 'exclusive; out-of-range values clamp' },
    axes: { type: 'ints', doc: 'absent = 0..len(starts)-1' },
    steps: { type: 'ints', doc: 'absent = all 1; may be negative, never 0' },
  },
  infer(ctx) {
    const p = plan(ctx.inputs[0], ctx.attrs, ctx.node.name);
    return [{ dtype: ctx.inputs[0]!.dtype, shape: p.shape }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    const p = plan(x, attrs, node?.name);
    const str = stridesOf(x!.shape);
    let base = 0;
    for (let d = 0; d < str.length; d++) base += p.start[d] * str[d];
    const out = allocArray(x!.dtype, shapeSize(p.shape));
    stridedCopy(x!.data, base, p.shape, str.map((s, d) => s * p.step[d]), out);
    return [{ dtype: x!.dtype, shape: p.shape, data: out }];
  },
  macs: () => 0,
};
