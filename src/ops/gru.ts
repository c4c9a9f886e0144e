// Gru: one unidirectional GRU layer over a sequence (ONNX GRU with num_directions 1, PyTorch nn.GRU).
//
//   gates  W [3H, I], R [3H, H], B [6H] = [Wb | Rb], gate order z, r, h (ONNX's)
//   z = σ(x·Wzᵀ + h·Rzᵀ + Wbz + Rbz)    r = σ(…r)
//   linear_before_reset 0:  n = tanh(x·Whᵀ + (r ⊙ h)·Rhᵀ + Rbh + Wbh)
//   linear_before_reset 1:  n = tanh(x·Whᵀ + r ⊙ (h·Rhᵀ + Rbh) + Wbh)      (PyTorch's form)
//   h' = (1 − z) ⊙ n + z ⊙ h
//
// Inputs X (layout: see rnn.ts), W, R, optional B, optional initial state H0 [B, H]. Outputs Y, Y_h.
// There is no integer kernel (TFLite Micro has no GRU operator): PTQ unrolls a Gru into integer-executable ops per
// time step (src/quant/lower-gru.ts).

import { allocArray } from '../ir/dtype.js';
import type { InferCtx, OpDef, OutputInfo, Value } from './types.js';
import { checkState, checkVec, isReverse, rnnDims, rnnDimsOf, rnnOutputs, rowOf, sigmoid } from './rnn.js';

export const def: OpDef = {
  name: 'Gru',
  doc: 'one unidirectional GRU layer over a sequence: gates z,r,h; outputs Y, Y_h',
  inputs: [
    { name: 'X' },
    { name: 'W', constant: true },
    { name: 'R', constant: true },
    { name: 'B', optional: true, constant: true },
    { name: 'H0', optional: true },
  ],
  outputs: ['Y', 'Y_h'],
  attrs: {
    layout: { type: 'int', default: 0, doc: '0: X [seq, batch, input]; 1: X [batch, seq, input]' },
    direction: { type: 'string', default: 'forward', oneOf: ['forward', 'reverse'], doc: 'walk the sequence forward or backward' },
    linear_before_reset: { type: 'int', default: 0, doc: '1: apply the reset gate after the recurrent product (PyTorch)' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const d = rnnDimsOf('Gru', ctx, 3);
    checkVec('Gru', 'bias B', ctx.inputs[3], 6 * d.H, ctx.node.name);
    checkState('Gru', 'initial hidden state H0', ctx.inputs[4], d, ctx.node.name);
    return rnnOutputs(d, ctx.inputs[0]!.dtype, 1);
  },
  evalFloat(ins, attrs, node): Value[] {
    const [x, w, r, b, h0] = ins;
    const d = rnnDims('Gru', x!.shape, w!.shape, r!.shape, attrs.layout as number, 3, node.name);
    checkVec('Gru', 'bias B', b, 6 * d.H, node.name);
    checkState('Gru', 'initial hidden state H0', h0, d, node.name);
    const { T, B, I, H } = d;
    const lbr = attrs.linear_before_reset !== 0;
    const reverse = isReverse(attrs);
    const dt = x!.dtype;
    const y = allocArray(dt, T * B * H);
    const h = new Float64Array(B * H);
    if (h0) for (let k = 0; k < B * H; k++) h[k] = h0.data[k];
    const xd = x!.data;
    const wd = w!.data;
    const rd = r!.data;
    const bias = (k: number) => (b ? b.data[k] : 0);
    const gx = new Float64Array(3 * H);
    const gh = new Float64Array(3 * H);
    const rh = new Float64Array(H);
    const hn = new Float64Array(H);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      for (let bb = 0; bb < B; bb++) {
        const xo = rowOf(d, t, bb, I);
        const ho = bb * H;
        for (let n = 0; n < 3 * H; n++) {
          let acc = bias(n);
          for (let k = 0; k < I; k++) acc += xd[xo + k] * wd[n * I + k];
          gx[n] = acc;
        }
        // z and r recurrent parts; the h gate's depends on linear_before_reset
        for (let n = 0; n < 2 * H; n++) {
          let acc = bias(3 * H + n);
          for (let k = 0; k < H; k++) acc += h[ho + k] * rd[n * H + k];
          gh[n] = acc;
        }
        const rg = new Float64Array(H);
        for (let k = 0; k < H; k++) rg[k] = sigmoid(gx[H + k] + gh[H + k]);
        if (lbr) {
          for (let n = 2 * H; n < 3 * H; n++) {
            let acc = bias(3 * H + n);
            for (let k = 0; k < H; k++) acc += h[ho + k] * rd[n * H + k];
            gh[n] = rg[n - 2 * H] * acc;
          }
        } else {
          for (let k = 0; k < H; k++) rh[k] = rg[k] * h[ho + k];
          for (let n = 2 * H; n < 3 * H; n++) {
            let acc = bias(3 * H + n);
            for (let k = 0; k < H; k++) acc += rh[k] * rd[n * H + k];
            gh[n] = acc;
          }
        }
        for (let k = 0; k < H; k++) {
          const z = sigmoid(gx[k] + gh[k]);
          const nn = Math.tanh(gx[2 * H + k] + gh[2 * H + k]);
          hn[k] = (1 - z) * nn + z * h[ho + k];
        }
        const yo = rowOf(d, t, bb, H);
        for (let k = 0; k < H; k++) {
          h[ho + k] = hn[k];
          y[yo + k] = hn[k];
        }
      }
    }
    const yh = allocArray(dt, B * H);
    for (let k = 0; k < B * H; k++) yh[k] = h[k];
    return [
      { dtype: dt, shape: d.bm ? [B, T, H] : [T, B, H], data: y },
      { dtype: dt, shape: [B, H], data: yh },
    ];
  },
  macs(ctx: InferCtx): number {
    const d = rnnDimsOf('Gru', ctx, 3);
    return d.T * d.B * (3 * d.H * (d.I + d.H) + 3 * d.H);
  },
  noIntAdvice:
    'Gru has no integer kernel of its own (TensorFlow Lite Micro has no GRU operator): quantize the float model with espforge (`quantize`, or `build --calib`), which unrolls it into integer layers per time step, or use an LSTM (nn.LSTM), which quantizes to TFLite UNIDIRECTIONAL_SEQUENCE_LSTM',
};
