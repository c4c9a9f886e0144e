// Conv (incl. grouped and depthwise) on integers: TFLM ConvPerChannel / DepthwiseConvPerChannel
// (INT8-ARITHMETIC.md §5, §6). int8/uint8 activations accumulate in int32 with the input zero point subtracted;
// int16 activations (16x8) accumulate without zero points, in int64 when the bias is int64 (int64 MBQM
// overload), in int32 otherwise, exactly as TFLM picks the template.

import { fail } from '../../diagnostics.js';
import type { TypedArray } from '../../ir/dtype.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { ConvParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, mbqm64 } from '../../arith/fixedpoint.js';
import { actDType, activationRangeQ, channelScales, qm, scaleZp } from './prepare.js';
import { attrOr, cached, int32Of, need, newOut, qa, qn } from './common.js';

/** Prepare shared by Conv and FullyConnected: per-output-channel (M, S) of s_in·s_w[c]/s_out, zero points, clamp. */
export function prepareWeighted(node: Node, g: Graph, cout: number): ConvParams {
  const [xId, wId] = node.inputs;
  const yId = node.outputs[0];
  const inDt = actDType(g, xId, node);
  const outDt = actDType(g, yId, node);
  const w = g.tensors[wId];
  if (!w?.data) fail('EF2005', `${node.op} weight must be a constant`, { node: node.name });
  if (w.dtype !== 'int8') fail('EF3002', `${node.op} integer kernel needs int8 weights, got ${w.dtype}`, { node: node.name });
  const x = scaleZp(g, xId, node, 'input');
  const y = scaleZp(g, yId, node, 'output');
  const sw = channelScales(g, wId, node, cout);
  const mult: number[] = [];
  const shift: number[] = [];
  for (let c = 0; c < cout; c++) {
    const [m, s] = qm((x.s * sw[c]) / y.s, node, 'output');
    mult.push(m);
    shift.push(s);
  }
  const [actMin, actMax] = activationRangeQ(attrOr(node, 'activation', 'none'), y.s, y.zp, outDt, node);
  const b = node.inputs[2] ?? -1;
  // TFLM's 16x8 conv and fully connected take the int64 accumulator (and the int64 MBQM overload) for an int64
  // bias AND when there is no bias at all; only an int32 bias selects the int32 path.
  const acc64 = inDt === 'int16' && (b < 0 || g.tensors[b].dtype === 'int64') ? 1 : 0;
  if (b >= 0 && !['int32', 'int64'].includes(g.tensors[b].dtype))
    fail('EF3002', `${node.op} integer kernel needs an int32 (or int64 for int16 activations) bias, got ${g.tensors[b].dtype}`, { node: node.name });
  // TFLM's int64 MultiplyByQuantizedMultiplier takes shifts in [-31, 7] (it rounds the multiplier to 16 bits and
  // shifts right by 15 - shift): a larger real multiplier (s_in·s_w / s_out >= 128) is outside the kernel
  if (acc64 && shift.some((v) => v > 7))
    fail('EF3004', `${node.op} 16x8: s_in·s_w/s_out = ${((x.s * sw[shift.findIndex((v) => v > 7)]) / y.s).toPrecision(4)} is >= 128, beyond TFLM's int64 requantization (shift <= 7)`, {
      node: node.name,
      suggestion: 'the output scale is far too small for this layer: recalibrate, or quantize this layer int8',
    });
  return {
    in_zp: x.zp,
    w_zp: w.quant?.zeroPoint[0] ?? 0,
    out_zp: y.zp,
    act_min: actMin,
    act_max: actMax,
    mult,
    shift,
    acc64,
  };
}

interface ConvPrep {
  mult: Int32Array;
  shift: Int32Array;
  bias: Float64Array;
  /** Depthwise: weights re-laid-out as [KH,KW,Cout]. */
  wT?: Int8Array;
  /** Weights widened to int32 (faster inner products). */
  wI: Int32Array;
}

export const kernel: IntKernel<ConvParams> = {
  prepare(node, g) {
    const w = g.tensors[node.inputs[1]];
    if (!w || w.shape.length !== 4) fail('EF1004', 'Conv weight must be [Cout,KH,KW,Cin/group]', { node: node.name });
    return prepareWeighted(node, g, w.shape[0]);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, Cin] = x.shape;
    const [, OH, OW, Cout] = out.shape;
    const [, KH, KW, Cig] = w.shape;
    const group = attrOr(node, 'group', 1) as number;
    const [sh, sw] = attrOr(node, 'strides', [1, 1]) as number[];
    const [dh, dw] = attrOr(node, 'dilations', [1, 1]) as number[];
    const pads = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
    const pt = pads[0];
    const pl = pads[1];
    if (Cig * group !== Cin || Cout % group !== 0)
      fail('EF1004', `Conv weight [${w.shape}] does not match input channels ${Cin} with group ${group}`, { node: node.name });
    const cpg = Cout / group;
    const int16 = x.dtype === 'int16';
    const inZp = int16 ? 0 : qn(node, 'in_zp');
    const outZp = int16 ? 0 : qn(node, 'out_zp');
    const actMin = qn(node, 'act_min');
    const actMax = qn(node, 'act_max');
    const acc64 = qn(node, 'acc64') === 1;
    const p = cached<ConvPrep>(node, () => {
      const bias = new Float64Array(Cout);
      const b = inputs[2];
      if (b) for (let c = 0; c < Cout; c++) bias[c] = b.data[c];
      const r: ConvPrep = { mult: int32Of(qa(node, 'mult')), shift: int32Of(qa(node, 'shift')), bias, wI: Int32Array.from(w.data) };
      if (Cig === 1 && group === Cin) {
        const wT = new Int8Array(KH * KW * Cout);
        for (let c = 0; c < Cout; c++) for (let k = 0; k < KH * KW; k++) wT[k * Cout + c] = w.data[c * KH * KW + k];
        r.wT = wT;
      }
      return r;
    });
    const xd = x.data;
    // zero-point-free input in int32 (padding taps are skipped, which equals padding with zp_in)
    const xs = new Int32Array(xd.length);
    for (let i = 0; i < xd.length; i++) xs[i] = xd[i] - inZp;
    const geo: Geo = { N, H, W, Cin, OH, OW, Cout, KH, KW, Cig, cpg, sh, sw, dh, dw, pt, pl };
    const rq: Rq = { mult: p.mult, shift: p.shift, bias: p.bias, outZp, actMin, actMax, acc64 };
    if (p.wT) depthwise(xs, p.wT, out.data, geo, rq);
    else if (KH === 1 && KW === 1 && group === 1 && pt === 0 && pl === 0) pointwise(xs, w.data as Int8Array, acc64 ? undefined : p.wI, out.data, geo, rq);
    else general(xs, w.data as Int8Array, out.data, geo, rq);
    return [out];
  },
};


interface Geo {
  N: number; H: number; W: number; Cin: number; OH: number; OW: number; Cout: number;
  KH: number; KW: number; Cig: number; cpg: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}
interface Rq {
  mult: Int32Array;
  shift: Int32Array;
  bias: Float64Array;
  outZp: number;
  actMin: number;
  actMax: number;
  acc64: boolean;
}

// The loops below are top-level functions with plain parameters so that V8 keeps every hot value in registers.

function requant(acc: Float64Array, yd: TypedArray, oBase: number, rq: Rq): void {
  const { mult, shift, bias, outZp, actMin, actMax } = rq;
  const n = acc.length;
  for (let c = 0; c < n; c++) {
    let v = rq.acc64 ? mbqm64(acc[c] + bias[c], mult[c], shift[c]) : mbqm((acc[c] + bias[c]) | 0, mult[c], shift[c]);
    v += outZp;
    yd[oBase + c] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
}

function depthwise(xs: Int32Array, wT: Int8Array, yd: TypedArray, g: Geo, rq: Rq): void {
  const { N, H, W, Cin, OH, OW, Cout, KH, KW, sh, sw, dh, dw, pt, pl } = g;
  const dm = Cout / Cin;
  const acc = new Float64Array(Cout);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= W) continue;
            const xb = ((n * H + iy) * W + ix) * Cin;
            const wb = (ky * KW + kx) * Cout;
            if (dm === 1) {
              for (let c = 0; c < Cout; c++) acc[c] += wT[wb + c] * xs[xb + c];
            } else {
              for (let c = 0; c < Cout; c++) acc[c] += wT[wb + c] * xs[xb + ((c / dm) | 0)];
            }
          }
        }
        requant(acc, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}

function pointwise(xs: Int32Array, wd: Int8Array, wi: Int32Array | undefined, yd: TypedArray, g: Geo, rq: Rq): void {
  const { N, H, W, Cin, OH, OW, Cout, sh, sw } = g;
  const acc = new Float64Array(Cout);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const xb = ((n * H + oy * sh) * W + ox * sw) * Cin;
        if (wi) {
          // int32 accumulation with C wrap-around (int8/uint8 activations)
          for (let c = 0; c < Cout; c++) {
            let a = 0;
            const wb = c * Cin;
            for (let i = 0; i < Cin; i++) a = (a + wi[wb + i] * xs[xb + i]) | 0;
            acc[c] = a;
          }
        } else {
          for (let c = 0; c < Cout; c++) {
            let a = 0;
            const wb = c * Cin;
            for (let i = 0; i < Cin; i++) a += wd[wb + i] * xs[xb + i];
            acc[c] = a;
          }
        }
        requant(acc, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}

function general(xs: Int32Array, wd: Int8Array, yd: TypedArray, g: Geo, rq: Rq): void {
  const { N, H, W, Cin, OH, OW, Cout, KH, KW, Cig, cpg, sh, sw, dh, dw, pt, pl } = g;
  const acc = new Float64Array(Cout);
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < Cout; c++) {
          const gi = ((c / cpg) | 0) * Cig;
          let a = 0;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= W) continue;
              const xb = ((n * H + iy) * W + ix) * Cin + gi;
              const wb = ((c * KH + ky) * KW + kx) * Cig;
              for (let i = 0; i < Cig; i++) a += wd[wb + i] * xs[xb + i];
            }
          }
          acc[c] = a;
        }
        requant(acc, yd, ((n * OH + oy) * OW + ox) * Cout, rq);
      }
}
