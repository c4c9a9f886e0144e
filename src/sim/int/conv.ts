// Conv (incl. grouped and depthwise) on integers: TFLM ConvPerChannel / DepthwiseConvPerChannel
// (INT8-ARITHMETIC.md §5, §6). int8/uint8 activations accumulate in int32 with the input zero point subtracted;
// int16 activations (16x8) accumulate without zero points, in int64 when the bias is int64 (int64 MBQM
// overload), in int32 otherwise, exactly as TFLM picks the template.

import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { ConvParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { actDType, activationRangeQ, channelScales, qm, scaleZp } from './prepare.js';
import { attrOr, cached, int32Of, need, newOut, qa, qn } from './common.js';
import { convPatches, depthwiseConv, type ConvGeometry, type Requant } from './loops.js';

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
  /** Weights widened to int32, [Cout,KH,KW,Cig]. */
  wI: Int32Array;
  depthwise: boolean;
  /** The zero-point-free input, reused from run to run (eval is synchronous; the buffer never leaves it). */
  xs?: Int32Array;
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
      return { mult: int32Of(qa(node, 'mult')), shift: int32Of(qa(node, 'shift')), bias, wI: Int32Array.from(w.data), depthwise: Cig === 1 && group === Cin };
    });
    const xd = x.data;
    // zero-point-free input in int32 (padding taps are skipped, which equals padding with zp_in)
    if (p.xs?.length !== xd.length) p.xs = new Int32Array(xd.length);
    const xs = p.xs;
    for (let i = 0; i < xd.length; i++) xs[i] = xd[i] - inZp;
    const geo: ConvGeometry = { N, H, W, Cin, OH, OW, Cout, KH, KW, Cig, cpg, sh, sw, dh, dw, pt, pl };
    const rq: Requant = { mult: p.mult, shift: p.shift, bias: p.bias, outZp, actMin, actMax, acc64 };
    if (p.depthwise) depthwiseConv(xs, p.wI, out.data, geo, rq);
    else convPatches(xs, p.wI, out.data, geo, rq);
    return [out];
  },
};

