// Shared MaxPool / AveragePool machinery (NHWC): attribute schema, ONNX output geometry (ceil_mode drops a
// last window that would start inside the end padding), and one float kernel that visits only the in-bounds
// taps of each window and reduces a contiguous run of channels per tap.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, type TypedArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import { FUSED_ACTIVATIONS, type AttrSpec, type InferCtx, type OpDef, type OpName, type OutputInfo, type Value } from './types.js';
import { input } from './util.js';
import { checkDims, checkOutputSize, clampBounds, intList, tapRange, windowExtent } from './window.js';

export interface PoolGeom {
  N: number;
  H: number;
  W: number;
  C: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
}

export function poolGeom(op: string, x: readonly number[], attrs: Attrs, node: string): PoolGeom {
  if (x.length !== 4) fail('EF1004', `${op} input X must be NHWC (rank 4), got [${x.join(',')}]`, { node });
  checkDims(op, 'input X', x, node, true);
  const kernel = intList(op, attrs, 'kernel', 2, 1, node);
  const strides = intList(op, attrs, 'strides', 2, 1, node);
  const dilations = intList(op, attrs, 'dilations', 2, 1, node);
  const pads = intList(op, attrs, 'pads', 4, 0, node);
  const ceil = attrs.ceil_mode;
  if (ceil !== 0 && ceil !== 1) fail('EF1006', `${op} attribute 'ceil_mode' must be 0 or 1, got ${JSON.stringify(ceil)}`, { node });
  for (let i = 0; i < 4; i++) {
    const ax = i % 2;
    const eff = (kernel[ax] - 1) * dilations[ax] + 1;
    if (pads[i] >= eff)
      fail('EF1006', `${op} pads [${pads.join(',')}] must each be smaller than the window extent (${eff} along ${ax ? 'width' : 'height'})`, {
        node,
      });
  }
  const [N, H, W, C] = x;
  const OH = windowExtent(op, node, 'height', H, kernel[0], strides[0], dilations[0], pads[0], pads[2], ceil === 1);
  const OW = windowExtent(op, node, 'width', W, kernel[1], strides[1], dilations[1], pads[1], pads[3], ceil === 1);
  checkOutputSize(op, [N, OH, OW, C], node);
  // `| 0`: dims read from model files are often boxed doubles; int32 values keep V8's index math in small ints
  return {
    N: N | 0, H: H | 0, W: W | 0, C: C | 0, KH: kernel[0] | 0, KW: kernel[1] | 0, OH: OH | 0, OW: OW | 0,
    sh: strides[0] | 0, sw: strides[1] | 0, dh: dilations[0] | 0, dw: dilations[1] | 0,
    pt: pads[0] | 0, pl: pads[1] | 0, pb: pads[2] | 0, pr: pads[3] | 0,
  };
}

/**
 * The pool kernel. max: maximum over in-bounds taps (padding never wins). avg: sum over in-bounds taps divided
 * by the in-bounds tap count, or with count_include_pad by the taps inside the padded extent [-pad_begin,
 * in+pad_end) (taps beyond it, created by ceil_mode, are not counted, as in ONNX). A window without any
 * in-bounds tap (only possible with dilation) yields 0.
 */
export function poolFloat(kind: 'max' | 'avg', x: TypedArray, g: PoolGeom, includePad: boolean, act: unknown, out: TypedArray): void {
  const { N, H, W, C, KH, KW, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr } = g;
  const [lo, hi] = clampBounds(act);
  const acc = new Float64Array(C);
  const isMax = kind === 'max';
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * sh - pt;
      const [ky0, ky1] = tapRange(ys, KH, dh, 0, H - 1);
      const [py0, py1] = tapRange(ys, KH, dh, -pt, H + pb - 1);
      for (let ox = 0; ox < OW; ox++) {
        const xs = ox * sw - pl;
        const [kx0, kx1] = tapRange(xs, KW, dw, 0, W - 1);
        const ob = ((n * OH + oy) * OW + ox) * C;
        const taps = Math.max(0, ky1 - ky0 + 1) * Math.max(0, kx1 - kx0 + 1);
        if (taps === 0) {
          for (let c = 0; c < C; c++) out[ob + c] = 0 < lo ? lo : 0 > hi ? hi : 0;
          continue;
        }
        acc.fill(isMax ? -Infinity : 0);
        for (let ky = ky0; ky <= ky1; ky++) {
          const rowBase = (n * H + ys + ky * dh) * W;
          for (let kx = kx0; kx <= kx1; kx++) {
            const xb = (rowBase + xs + kx * dw) * C;
            if (isMax) {
              for (let c = 0; c < C; c++) {
                const v = x[xb + c];
                if (v > acc[c] || v !== v) acc[c] = v;
              }
            } else {
              for (let c = 0; c < C; c++) acc[c] += x[xb + c];
            }
          }
        }
        let scale = 1;
        if (!isMax) {
          let count = taps;
          if (includePad) {
            const [px0, px1] = tapRange(xs, KW, dw, -pl, W + pr - 1);
            count = (py1 - py0 + 1) * (px1 - px0 + 1);
          }
          scale = 1 / count;
        }
        for (let c = 0; c < C; c++) {
          const v = isMax ? acc[c] : acc[c] * scale;
          out[ob + c] = v < lo ? lo : v > hi ? hi : v;
        }
      }
    }
  }
}

export function poolOp(name: OpName, doc: string, kind: 'max' | 'avg'): OpDef {
  const attrs: Record<string, AttrSpec> = {
    kernel: { type: 'ints', required: true, doc: '[kernel_h, kernel_w]' },
    strides: { type: 'ints', default: [1, 1], doc: '[stride_h, stride_w]' },
    pads: { type: 'ints', default: [0, 0, 0, 0], doc: '[top, left, bottom, right]' },
    dilations: { type: 'ints', default: [1, 1], doc: '[dilation_h, dilation_w]' },
    ceil_mode: { type: 'int', default: 0, doc: '1: output extent rounds up (ONNX rule)' },
  };
  if (kind === 'avg')
    attrs.count_include_pad = { type: 'int', default: 0, doc: '1: divide by taps inside the padded extent, 0: by in-bounds taps' };
  attrs.activation = { type: 'string', default: 'none', oneOf: FUSED_ACTIVATIONS, doc: 'fused activation' };
  return {
    name,
    doc,
    inputs: [{ name: 'X' }],
    outputs: ['Y'],
    attrs,
    infer(ctx: InferCtx): OutputInfo[] {
      const x = input(ctx, 0);
      const g = poolGeom(name, x.shape, ctx.attrs, ctx.node.name);
      if (kind === 'avg') checkIncludePad(name, ctx.attrs, ctx.node.name);
      return [{ dtype: x.dtype, shape: [g.N, g.OH, g.OW, g.C] }];
    },
    evalFloat(ins: (Value | undefined)[], a: Attrs, node): Value[] {
      const x = ins[0]!;
      const g = poolGeom(name, x.shape, a, node.name);
      const include = kind === 'avg' && checkIncludePad(name, a, node.name);
      const shape = [g.N, g.OH, g.OW, g.C];
      const out = allocArray(x.dtype, shapeSize(shape));
      poolFloat(kind, x.data, g, include, a.activation, out);
      return [{ dtype: x.dtype, shape, data: out }];
    },
    macs(ctx: InferCtx, outs: OutputInfo[]): number {
      // one accumulate (or compare) per window tap
      const k = ctx.attrs.kernel as number[];
      return shapeSize(outs[0].shape.map((d) => Math.max(d, 1))) * k[0] * k[1];
    },
  };
}

function checkIncludePad(op: string, a: Attrs, node: string): boolean {
  const v = a.count_include_pad;
  if (v !== 0 && v !== 1) fail('EF1006', `${op} attribute 'count_include_pad' must be 0 or 1, got ${JSON.stringify(v)}`, { node });
  return v === 1;
}
