// Resize: NHWC resize over H and W to the static `sizes` [N,H,W,C], ONNX Resize semantics: mode nearest or
// linear (bilinear), coordinate_transformation_mode and nearest_mode as in ONNX. The scale of each axis is
// out/in unless the optional `scales` attribute [N,H,W,C] carries the scales an ONNX model gave explicitly
// (ONNX maps coordinates with the given scale, which differs from out/in when in*scale is not an integer).
//
// Float kernel: per-axis tables of source indices and weights are computed once per call; linear mode clamps
// source coordinates to the input (ONNX's edge-replicating neighbourhood), nearest clamps the chosen index.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OpDef, OutputInfo, Value } from './types.js';
import { input } from './util.js';
import { rha } from '../arith/fixedpoint.js';
import { checkDims, checkOutputSize } from './window.js';

export const COORD_MODES = [
  'half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn',
  // TFLite RESIZE_NEAREST_NEIGHBOR (nearest only): the index map of TFLM's reference GetNearestNeighbor, computed in
  // float32 exactly as it does (no ONNX nearest_mode): plain, align_corners, half_pixel_centers.
  'tflite_asymmetric', 'tflite_align_corners', 'tflite_half_pixel',
] as const;
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;

interface ResizeGeom {
  N: number;
  H: number;
  W: number;
  C: number;
  OH: number;
  OW: number;
  scaleH: number;
  scaleW: number;
}

function resizeGeom(x: readonly number[], attrs: Attrs, node: string): ResizeGeom {
  const op = 'Resize';
  if (x.length !== 4) fail('EF1004', `Resize input X must be NHWC (rank 4), got [${x.join(',')}]`, { node });
  checkDims(op, 'input X', x, node, true);
  const sizes = attrs.sizes;
  if (!Array.isArray(sizes) || sizes.length !== 4 || !sizes.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1))
    fail('EF1006', `Resize attribute 'sizes' must be 4 positive integers [N,H,W,C], got ${JSON.stringify(sizes)}`, { node });
  const [sn, OH, OW, sc] = sizes as number[];
  const [N, H, W, C] = x;
  if ((N !== -1 && sn !== N) || sc !== C)
    fail('EF1006', `Resize only resizes H and W: sizes [${sizes.join(',')}] changes N or C of input [${x.join(',')}]`, { node });
  checkOutputSize(op, [N, OH, OW, C], node);
  let scaleH = OH / H;
  let scaleW = OW / W;
  const scales = attrs.scales;
  if (scales !== undefined) {
    if (!Array.isArray(scales) || scales.length !== 4 || !scales.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0))
      fail('EF1006', `Resize attribute 'scales' must be 4 positive numbers [N,H,W,C], got ${JSON.stringify(scales)}`, { node });
    scaleH = scales[1] as number;
    scaleW = scales[2] as number;
  }
  return { N, H, W, C, OH, OW, scaleH, scaleW };
}

/** Source coordinate of output coordinate `o` along one axis (ONNX coordinate_transformation_mode). */
function sourceCoord(mode: string, o: number, inSize: number, outSize: number, scale: number): number {
  switch (mode) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'half_pixel_symmetric': {
      const adjustment = outSize / (scale * inSize);
      const offset = (inSize / 2) * (1 - adjustment);
      return offset + (o + 0.5) / scale - 0.5;
    }
    case 'pytorch_half_pixel':
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize === 1 ? 0 : (o * (inSize - 1)) / (outSize - 1);
    case 'asymmetric':
      return o / scale;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
    default:
      return fail('EF1006', `Resize coordinate_transformation_mode '${mode}' is not supported`);
  }
}

function nearestIndex(mode: string, v: number): number {
  const f = Math.floor(v);
  const frac = v - f;
  switch (mode) {
    case 'round_prefer_floor':
      return frac <= 0.5 ? f : f + 1;
    case 'round_prefer_ceil':
      return frac < 0.5 ? f : f + 1;
    case 'floor':
      return f;
    case 'ceil':
      return frac === 0 ? f : f + 1;
    default:
      return fail('EF1006', `Resize nearest_mode '${mode}' is not supported`);
  }
}

interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float64Array;
}

/**
 * TFLite nearest-neighbour source index (TFLM reference resize_nearest_neighbor): float32 scale
 * (in-1)/(out-1) with align_corners (out > 1), else in/out; float32 (o + offset)·scale, offset 0.5 with
 * half_pixel_centers; rounded half away from zero with align_corners, floored otherwise; at most in-1, and at
 * least 0 with half_pixel_centers.
 */
function tfliteNearest(ctm: string, o: number, inSize: number, outSize: number): number {
  const f = Math.fround;
  const align = ctm === 'tflite_align_corners';
  const half = ctm === 'tflite_half_pixel';
  const scale = align && outSize > 1 ? f((inSize - 1) / (outSize - 1)) : f(inSize / outSize);
  const v = f(f(o + (half ? 0.5 : 0)) * scale);
  let k = Math.min(align ? rha(v) : Math.floor(v), inSize - 1);
  if (half) k = Math.max(0, k);
  return k;
}

function axisTable(linear: boolean, ctm: string, nearestMode: string, inSize: number, outSize: number, scale: number): AxisTable {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float64Array(outSize);
  if (ctm.startsWith('tflite_')) {
    if (linear) fail('EF1006', `Resize coordinate_transformation_mode '${ctm}' is for mode nearest only`);
    for (let o = 0; o < outSize; o++) i0[o] = i1[o] = tfliteNearest(ctm, o, inSize, outSize);
    return { i0, i1, w };
  }
  for (let o = 0; o < outSize; o++) {
    const s = sourceCoord(ctm, o, inSize, outSize, scale);
    if (linear) {
      const c = s < 0 ? 0 : s > inSize - 1 ? inSize - 1 : s;
      const f = Math.floor(c);
      i0[o] = f;
      i1[o] = Math.min(f + 1, inSize - 1);
      w[o] = c - f;
    } else {
      const k = nearestIndex(nearestMode, s);
      i0[o] = i1[o] = k < 0 ? 0 : k > inSize - 1 ? inSize - 1 : k;
    }
  }
  return { i0, i1, w };
}

export function resizeFloat(x: TypedArray, g: ResizeGeom, attrs: Attrs, out: TypedArray): void {
  const { N, H, W, C, OH, OW } = g;
  const linear = attrs.mode === 'linear';
  const ctm = attrs.coordinate_transformation_mode as string;
  const nm = attrs.nearest_mode as string;
  const ty = axisTable(linear, ctm, nm, H, OH, g.scaleH);
  const tx = axisTable(linear, ctm, nm, W, OW, g.scaleW);
  let p = 0;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = (n * H + ty.i0[oy]) * W;
      const r1 = (n * H + ty.i1[oy]) * W;
      const wy = ty.w[oy];
      for (let ox = 0; ox < OW; ox++) {
        if (!linear) {
          const b = (r0 + tx.i0[ox]) * C;
          for (let c = 0; c < C; c++) out[p++] = x[b + c];
          continue;
        }
        const wx = tx.w[ox];
        const a = (r0 + tx.i0[ox]) * C;
        const b = (r0 + tx.i1[ox]) * C;
        const cc = (r1 + tx.i0[ox]) * C;
        const d = (r1 + tx.i1[ox]) * C;
        for (let c = 0; c < C; c++) {
          const top = x[a + c] + (x[b + c] - x[a + c]) * wx;
          const bot = x[cc + c] + (x[d + c] - x[cc + c]) * wx;
          out[p++] = top + (bot - top) * wy;
        }
      }
    }
  }
}

export const def: OpDef = {
  name: 'Resize',
  quant: { activations: 'any', sharedPorts: [0] },
  layout: 'spatial',
  doc: 'NHWC resize of H and W to static sizes, nearest or bilinear, ONNX coordinate modes',
  inputs: [{ name: 'X' }],
  outputs: ['Y'],
  attrs: {
    mode: { type: 'string', default: 'nearest', oneOf: ['nearest', 'linear'], doc: 'nearest or bilinear (over H and W)' },
    coordinate_transformation_mode: { type: 'string', default: 'half_pixel', oneOf: COORD_MODES, doc: 'ONNX output→input coordinate map' },
    nearest_mode: { type: 'string', default: 'round_prefer_floor', oneOf: NEAREST_MODES, doc: 'rounding of nearest mode' },
    sizes: { type: 'ints', required: true, doc: 'static output shape [N,H,W,C]' },
    scales: { type: 'floats', doc: 'optional explicit scales [N,H,W,C] for the coordinate map (default: sizes/input)' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const x = input(ctx, 0);
    const g = resizeGeom(x.shape, ctx.attrs, ctx.node.name);
    return [{ dtype: x.dtype, shape: [g.N, g.OH, g.OW, g.C] }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node): Value[] {
    const x = ins[0]!;
    const g = resizeGeom(x.shape, attrs, node.name);
    const shape = [g.N, g.OH, g.OW, g.C];
    const out = allocArray(x.dtype, shapeSize(shape));
    resizeFloat(x.data, g, attrs, out);
    return [{ dtype: x.dtype, shape, data: out }];
  },
  // bilinear: 4 weighted taps per output element; nearest is data movement
  macs: (ctx: InferCtx, outs: OutputInfo[]) =>
    ctx.attrs.mode === 'linear' ? 4 * shapeSize(outs[0].shape.map((d) => Math.max(d, 1))) : 0,
};
