// Lstm: one unidirectional LSTM layer over a sequence (ONNX LSTM with num_directions 1, TFLite
// UNIDIRECTIONAL_SEQUENCE_LSTM without peepholes, projection or layer norm).
//
//   gates  W [4H, I], R [4H, H], B [4H] in the gate order i, f, c, o (TFLite's and PyTorch's order; the ONNX
//          importer reorders ONNX's i, o, f, c and adds ONNX's two biases Wb + Rb into one)
//   i = σ(x·Wiᵀ + h·Riᵀ + Bi)   f = σ(…f)   g = tanh(…c)   o = σ(…o)
//   c' = f ⊙ c + i ⊙ g           h' = o ⊙ tanh(c')
//
// Inputs X (see rnn.ts for the layout), W, R, optional B, optional initial states H0, C0 [B, H] (zeros when absent).
// Outputs Y (every step's h), Y_h (last h), Y_c (last c).
//
// Float kernel: gate sums in doubles per step, states kept in doubles between steps, rounded on store.

import { allocArray } from '../ir/dtype.js';
import type { Attrs } from '../ir/graph.js';
import type { InferCtx, OpDef, OutputInfo, TensorInfo, Value } from './types.js';
import { checkState, checkVec, isReverse, rnnDims, rnnDimsOf, rnnOutputs, rowOf, sigmoid, type RnnDims } from './rnn.js';

function check(ctx: { node: { name: string } }, d: RnnDims, ins: (TensorInfo | undefined)[]): void {
  const node = ctx.node.name;
  checkVec('Lstm', 'bias B', ins[3], 4 * d.H, node);
  checkState('Lstm', 'initial hidden state H0', ins[4], d, node);
  checkState('Lstm', 'initial cell state C0', ins[5], d, node);
}

/** Per-step observer used by calibration: the cell state after each step (length B·H). */
export type CellObserver = (c: Float64Array) => void;

export function lstmFloat(ins: (Value | undefined)[], d: RnnDims, reverse: boolean, onCell?: CellObserver): Value[] {
  const [x, w, r, b, h0, c0] = ins;
  const { T, B, I, H } = d;
  const dt = x!.dtype;
  const y = allocArray(dt, T * B * H);
  const h = new Float64Array(B * H);
  const c = new Float64Array(B * H);
  if (h0) for (let k = 0; k < B * H; k++) h[k] = h0.data[k];
  if (c0) for (let k = 0; k < B * H; k++) c[k] = c0.data[k];
  const xd = x!.data;
  const wd = w!.data;
  const rd = r!.data;
  const g = new Float64Array(4 * H);
  const hn = new Float64Array(H);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let bb = 0; bb < B; bb++) {
      const xo = rowOf(d, t, bb, I);
      const ho = bb * H;
      for (let n = 0; n < 4 * H; n++) {
        let acc = b ? b.data[n] : 0;
        for (let k = 0; k < I; k++) acc += xd[xo + k] * wd[n * I + k];
        for (let k = 0; k < H; k++) acc += h[ho + k] * rd[n * H + k];
        g[n] = acc;
      }
      for (let k = 0; k < H; k++) {
        const ig = sigmoid(g[k]);
        const fg = sigmoid(g[H + k]);
        const cg = Math.tanh(g[2 * H + k]);
        const og = sigmoid(g[3 * H + k]);
        const cn = fg * c[ho + k] + ig * cg;
        c[ho + k] = cn;
        hn[k] = og * Math.tanh(cn);
      }
      const yo = rowOf(d, t, bb, H);
      for (let k = 0; k < H; k++) {
        h[ho + k] = hn[k];
        y[yo + k] = hn[k];
      }
    }
    onCell?.(c);
  }
  const yh = allocArray(dt, B * H);
  const yc = allocArray(dt, B * H);
  for (let k = 0; k < B * H; k++) {
    yh[k] = h[k];
    yc[k] = c[k];
  }
  const ys = d.bm ? [B, T, H] : [T, B, H];
  return [
    { dtype: dt, shape: ys, data: y },
    { dtype: dt, shape: [B, H], data: yh },
    { dtype: dt, shape: [B, H], data: yc },
  ];
}

export function lstmDimsOfValues(ins: (Value | undefined)[], attrs: Attrs, node: string): RnnDims {
  const d = rnnDims('Lstm', ins[0]!.shape, ins[1]!.shape, ins[2]!.shape, attrs.layout as number, 4, node);
  check({ node: { name: node } }, d, ins);
  return d;
}

export const def: OpDef = {
  name: 'Lstm',
  doc: 'one unidirectional LSTM layer over a sequence: gates i,f,c,o; outputs Y, Y_h, Y_c',
  inputs: [
    { name: 'X' },
    { name: 'W', constant: true },
    { name: 'R', constant: true },
    { name: 'B', optional: true, constant: true },
    { name: 'H0', optional: true },
    { name: 'C0', optional: true },
  ],
  outputs: ['Y', 'Y_h', 'Y_c'],
  attrs: {
    layout: { type: 'int', default: 0, doc: '0: X [seq, batch, input]; 1: X [batch, seq, input]' },
    direction: { type: 'string', default: 'forward', oneOf: ['forward', 'reverse'], doc: 'walk the sequence forward or backward' },
  },
  infer(ctx: InferCtx): OutputInfo[] {
    const d = rnnDimsOf('Lstm', ctx, 4);
    check(ctx, d, ctx.inputs);
    const outs = rnnOutputs(d, ctx.inputs[0]!.dtype, 2);
    // quantized (TFLM's integer LSTM): the cell state is int16
    if (outs[0].dtype === 'int8') outs[2].dtype = 'int16';
    return outs;
  },
  evalFloat(ins, attrs, node): Value[] {
    return lstmFloat(ins, lstmDimsOfValues(ins, attrs, node.name), isReverse(attrs));
  },
  // TFLM's integer LSTM is int8 only (an int8 island under the int16 scheme); the weights, bias, shared hidden state
  // and int16 cell state are quantized by src/quant/lstm.ts
  quant: { activations: 'int8' },
  macs(ctx: InferCtx): number {
    const d = rnnDimsOf('Lstm', ctx, 4);
    // the two gate products per step, plus the three element-wise products of the state update
    return d.T * d.B * (4 * d.H * (d.I + d.H) + 3 * d.H);
  },
};
