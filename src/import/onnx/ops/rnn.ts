// ONNX LSTM and GRU (the single-layer, one-direction forms PyTorch exports) → the registry's Lstm / Gru.
//
// Accepted: num_directions 1 (direction forward or reverse), default activations, no clip, LSTM without coupled
// input-forget gate and with zero (or absent) peepholes, sequence_lens absent or all equal to the sequence length,
// layout 0 or 1. The num_directions axes are dropped on the way in and restored on the way out (Y [T,1,B,H] or
// [B,T,1,H]; Y_h / Y_c [1,B,H] or [B,1,H]). LSTM weights are reordered from ONNX's gate order i,o,f,c to the
// registry's i,f,c,o and its two biases Wb + Rb are added into one. Constant all-zero initial states (PyTorch
// builds them from Expand / ConstantOfShape, which fold at import) are dropped: zero is the op's default.

import type { Value } from '../../../ops/types.js';
import { PLAIN, type OnnxContext } from '../context.js';
import type { ConvertArgs, OpEntry } from './helpers.js';

const RNN_ATTRS = ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'];

function f32(shape: number[], data: ArrayLike<number>): Value {
  return { dtype: 'float32', shape, data: Float32Array.from(data) };
}

function allZero(v: Value): boolean {
  for (let i = 0; i < v.data.length; i++) if (v.data[i] !== 0) return false;
  return true;
}

/** Rows of a [gates·H, K] matrix regrouped: out gate j = in gate order[j]. */
function regate(d: ArrayLike<number>, H: number, K: number, order: number[]): Float32Array {
  const out = new Float32Array(order.length * H * K);
  order.forEach((src, j) => {
    for (let i = 0; i < H * K; i++) out[j * H * K + i] = d[src * H * K + i];
  });
  return out;
}

function common(x: ConvertArgs, op: 'LSTM' | 'GRU', gates: number) {
  const { ctx, a, ins } = x;
  const direction = a.str('direction', 'forward')!;
  if (direction === 'bidirectional')
    ctx.err('EF2003', `${op} direction 'bidirectional' is not supported (one direction only)`,
      `export two one-direction ${op}s (forward, and reverse on the reversed sequence) and concatenate their outputs, or use bidirectional=False`);
  if (direction !== 'forward' && direction !== 'reverse') ctx.err('EF2003', `${op} direction '${direction}' is not valid`);
  const at = x.node.attribute?.find((t) => t.name === 'activations');
  const acts = at ? (at.strings ?? []).map((b) => new TextDecoder().decode(b)) : undefined;
  const want = op === 'LSTM' ? ['sigmoid', 'tanh', 'tanh'] : ['sigmoid', 'tanh'];
  if (acts && (acts.length !== want.length || acts.some((s, i) => s.toLowerCase() !== want[i])))
    ctx.err('EF2003', `${op} activations [${acts.join(', ')}] are not supported (only the default ${want.join(', ')})`);
  if (a.has('activation_alpha') || a.has('activation_beta')) ctx.err('EF2003', `${op} activation_alpha / activation_beta are not supported`);
  if (a.has('clip')) ctx.err('EF2003', `${op} clip is not supported`, 'export the model without a cell clip');
  const layout = a.int('layout', 0)!;
  if (layout !== 0 && layout !== 1) ctx.err('EF2003', `${op} layout ${layout} is not valid (0 or 1)`);
  const X = ctx.need(ins[0], 'X');
  const xs = ctx.shape(X);
  if (xs.length !== 3) ctx.err('EF1004', `${op} input X must be rank 3, got [${xs.join(',')}]`);
  const W = ctx.constValue(ins[1], 'W');
  const R = ctx.constValue(ins[2], 'R');
  if (W.shape.length !== 3 || W.shape[0] !== 1)
    ctx.err('EF2003', `${op} W [${W.shape.join(',')}] has num_directions ${W.shape[0]}: only one direction is supported`);
  const H = W.shape[1] / gates;
  if (!Number.isInteger(H) || H < 1) ctx.err('EF1004', `${op} W [${W.shape.join(',')}] is not [1, ${gates}·hidden, input]`);
  const hs = a.int('hidden_size');
  if (hs !== undefined && hs !== H) ctx.err('EF1004', `${op} hidden_size ${hs} does not match W [${W.shape.join(',')}] (hidden ${H})`);
  const I = W.shape[2];
  if (R.shape.length !== 3 || R.shape[0] !== 1 || R.shape[1] !== gates * H || R.shape[2] !== H)
    ctx.err('EF1004', `${op} R must be [1, ${gates * H}, ${H}], got [${R.shape.join(',')}]`);
  const T = layout ? xs[1] : xs[0];
  const Bn = layout ? xs[0] : xs[1];
  const seq = ctx.optConstValue(ins[4], 'sequence_lens');
  if (seq && Array.from(seq.data as ArrayLike<number>).some((v) => v !== T))
    ctx.err('EF2003', `${op} sequence_lens [${Array.from(seq.data as ArrayLike<number>).join(',')}] differ from the sequence length ${T}: variable-length batches are not supported`,
      'pad the sequences to one length, or run one sequence per call');
  const B = ctx.optConstValue(ins[3], 'B');
  if (B && (B.shape.length !== 2 || B.shape[0] !== 1 || B.shape[1] !== 2 * gates * H))
    ctx.err('EF1004', `${op} B must be [1, ${2 * gates * H}], got [${B.shape.join(',')}]`);
  return { X, W, R, B, H, I, T, Bn, layout, direction };
}

/** An initial state input: dropped when a constant zero, else reshaped from [1,B,H] / [B,1,H] to [B,H]. */
function state(ctx: OnnxContext, name: string | undefined, what: string, Bn: number, H: number, layout: number): number {
  const s = ctx.get(name);
  if (!s) return -1;
  const v = ctx.value(ctx.toPlain(s));
  if (v && allZero(v)) return -1;
  const sh = ctx.shape(s);
  const want = layout ? [Bn, 1, H] : [1, Bn, H];
  if (sh.length !== 3 || sh.some((d, i) => d !== want[i]))
    ctx.err('EF1004', `${what} must be [${want.join(',')}], got [${sh.join(',')}]`);
  return ctx.reshape(ctx.toPlain(s), [Bn, H]);
}

/** Bind the op's outputs to the ONNX output names with the num_directions axis restored. */
function outputs(ctx: OnnxContext, ids: number[], outs: string[], T: number, Bn: number, H: number, layout: number): void {
  const yShape = layout ? [Bn, T, 1, H] : [T, 1, Bn, H];
  const sShape = layout ? [Bn, 1, H] : [1, Bn, H];
  ids.forEach((id, k) => {
    if (!outs[k]) return;
    ctx.set(outs[k], { id: ctx.reshape(id, k === 0 ? yShape : sShape, outs[k]), layout: PLAIN });
  });
}

export const lstmEntry: OpEntry = {
  attrs: [...RNN_ATTRS, 'input_forget'],
  constInputs: () => [1, 2, 3, 4, 7],
  convert(x) {
    const { ctx, a, ins, outs } = x;
    const { X, W, R, B, H, I, T, Bn, layout, direction } = common(x, 'LSTM', 4);
    if (a.int('input_forget', 0) !== 0) ctx.err('EF2003', 'LSTM input_forget=1 (coupled input and forget gates) is not supported');
    const P = ctx.optConstValue(ins[7], 'P');
    if (P && !allZero(P)) ctx.err('EF2003', 'LSTM peephole weights P are not supported', 'export the LSTM without peepholes (PyTorch nn.LSTM has none)');
    // ONNX i,o,f,c → i,f,c,o
    const order = [0, 2, 3, 1];
    const w = ctx.constSym(`${ctx.node}_W`, f32([4 * H, I], regate(W.data as ArrayLike<number>, H, I, order)));
    const r = ctx.constSym(`${ctx.node}_R`, f32([4 * H, H], regate(R.data as ArrayLike<number>, H, H, order)));
    let b = -1;
    if (B) {
      const sum = new Float32Array(4 * H);
      for (let i = 0; i < 4 * H; i++) sum[i] = Math.fround(B.data[i] + B.data[4 * H + i]);
      b = ctx.constSym(`${ctx.node}_B`, f32([4 * H], regate(sum, H, 1, order))).id;
    }
    const h0 = state(ctx, ins[5], 'LSTM initial_h', Bn, H, layout);
    const c0 = state(ctx, ins[6], 'LSTM initial_c', Bn, H, layout);
    const inputs = [ctx.toPlain(X), w.id, r.id, b, h0, c0];
    while (inputs[inputs.length - 1] < 0) inputs.pop();
    const ids = ctx.emit('Lstm', inputs, { layout, direction }, [], 3);
    outputs(ctx, ids, outs, T, Bn, H, layout);
  },
};

export const gruEntry: OpEntry = {
  attrs: [...RNN_ATTRS, 'linear_before_reset'],
  constInputs: () => [1, 2, 3, 4],
  convert(x) {
    const { ctx, a, ins, outs } = x;
    const { X, W, R, B, H, I, T, Bn, layout, direction } = common(x, 'GRU', 3);
    const w = ctx.constSym(`${ctx.node}_W`, f32([3 * H, I], W.data as ArrayLike<number>));
    const r = ctx.constSym(`${ctx.node}_R`, f32([3 * H, H], R.data as ArrayLike<number>));
    const b = B ? ctx.constSym(`${ctx.node}_B`, f32([6 * H], B.data as ArrayLike<number>)).id : -1;
    const h0 = state(ctx, ins[5], 'GRU initial_h', Bn, H, layout);
    const inputs = [ctx.toPlain(X), w.id, r.id, b, h0];
    while (inputs[inputs.length - 1] < 0) inputs.pop();
    const ids = ctx.emit('Gru', inputs, { layout, direction, linear_before_reset: a.int('linear_before_reset', 0)! }, [], 2);
    outputs(ctx, ids, outs, T, Bn, H, layout);
  },
};

export const RNN_ENTRIES: Record<string, OpEntry> = { LSTM: lstmEntry, GRU: gruEntry };
