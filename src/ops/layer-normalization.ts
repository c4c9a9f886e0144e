// LayerNormalization (ONNX opset 17, PyTorch's nn.LayerNorm): each row — the elements sharing the indices before
// `axis`, i.e. the trailing dims X.shape[axis:] of N elements — is normalised on its own:
//   Y = (X - mean) / sqrt(var + epsilon) * Scale + B,  mean and var (population, / N) over the row,
// with Scale and B either one value or one per row position (their shape = the trailing dims, leading 1s allowed).
// Only output Y (the ONNX importer builds the optional Mean / InvStdDev outputs beside it from other ops). The float
// kernel accumulates in double. Integer form: src/sim/int/layer-normalization.ts.

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { normAxis } from './util.js';

/** Row geometry: `axis` normalised, N elements per row, `rows` rows. */
export interface LayerNormGeom {
  axis: number;
  N: number;
  rows: number;
}

/** Check X, Scale, B and the attributes; integer X (a quantized graph) passes unless `kernel` (the float kernel). */
export function layerNormGeom(x: TensorInfo | undefined, scale: TensorInfo | undefined, bias: TensorInfo | undefined, attrs: Attrs, node: string, kernel = false): LayerNormGeom {
  if (!x) return fail('EF1009', 'LayerNormalization input X is missing', { node });
  if (!scale) return fail('EF1009', 'LayerNormalization input Scale is missing', { node });
  if (kernel && isIntegerDType(x.dtype)) fail('EF1005', `LayerNormalization's float kernel needs a float input, got ${x.dtype}`, { node });
  if (x.shape.length === 0) fail('EF1004', 'LayerNormalization needs an input of rank >= 1', { node });
  const eps = attrs.epsilon;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    fail('EF1006', `LayerNormalization epsilon must be a finite number >= 0, got ${JSON.stringify(eps)}`, { node });
  const axis = normAxis(attrs.axis as number, x.shape.length, node);
  const trail = x.shape.slice(axis);
  if (trail.some((d) => d < 1)) fail('EF1008', `LayerNormalization normalises over unknown or empty dims [${trail.join(',')}] of [${x.shape.join(',')}]`, { node, suggestion: 'give the model input a fixed shape (--input-shape)' });
  const N = shapeSize(trail);
  for (const [what, p] of [['Scale', scale], ['B', bias]] as const) {
    if (!p) continue;
    const core = p.shape.slice(p.shape.findIndex((d) => d !== 1) < 0 ? p.shape.length : p.shape.findIndex((d) => d !== 1));
    const full = trail.slice(trail.length - core.length);
    const ok = shapeSize(p.shape) === 1 || (core.length <= trail.length && core.every((d, i) => d === full[i]) && shapeSize(core) === N);
    if (!ok)
      fail('EF1004', `LayerNormalization ${what} [${p.shape.join(',')}] must be one value or the normalised dims [${trail.join(',')}] of X [${x.shape.join(',')}]`, { node });
  }
  const lead = x.shape.slice(0, axis);
  return { axis, N, rows: lead.some((d) => d < 0) ? -1 : shapeSize(lead) };
}

export const def: OpDef = {
  name: 'LayerNormalization',
  doc: 'normalise each row over the trailing dims from `axis`: (x-mean)/sqrt(var+eps)*Scale+B',
  inputs: [{ name: 'X' }, { name: 'Scale', constant: true }, { name: 'B', constant: true, optional: true }],
  outputs: ['Y'],
  attrs: {
    axis: { type: 'int', default: -1, doc: 'first normalised axis; the row is X.shape[axis:] (negative counts from the end)' },
    epsilon: { type: 'float', default: 1e-5, doc: 'added to the variance before the square root' },
  },
  // int8 and 16x8: Scale an int8 weight (per tensor, symmetric), B its int32 (int64) bias at s_in·s_Scale
  quant: { activations: 'int8+int16', weights: { port: 1, biasPort: 2, granularity: 'per-tensor' } },
  infer(ctx) {
    layerNormGeom(ctx.inputs[0], ctx.inputs[1], ctx.inputs[2], ctx.attrs, ctx.node.name);
    const x = ctx.inputs[0]!;
    return [{ dtype: x.dtype, shape: x.shape.slice() }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const [x, s, b] = ins;
    const { N } = layerNormGeom(x, s, b, attrs, node?.name, true);
    const eps = attrs.epsilon as number;
    const xd = x!.data;
    const sd = s!.data;
    const bd = b?.data;
    const out = allocArray(x!.dtype, xd.length);
    for (let base = 0; base < xd.length; base += N) {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += xd[base + i];
      const mean = sum / N;
      let sq = 0;
      for (let i = 0; i < N; i++) sq += (xd[base + i] - mean) ** 2;
      const inv = 1 / Math.sqrt(sq / N + eps);
      for (let i = 0; i < N; i++) {
        const g = sd.length === 1 ? sd[0] : sd[i];
        const c = bd ? (bd.length === 1 ? bd[0] : bd[i]) : 0;
        out[base + i] = (xd[base + i] - mean) * inv * g + c;
      }
    }
    return [{ dtype: x!.dtype, shape: x!.shape.slice(), data: out }];
  },
  // per element: the square for the variance and the scale multiply
  macs: (_ctx, outs) => 2 * shapeSize(outs[0].shape),
};
