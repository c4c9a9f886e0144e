// PTQ of Lstm nodes as TFLite's converter quantizes UNIDIRECTIONAL_SEQUENCE_LSTM for TFLM's integer kernel:
//   input, output, hidden state   int8 asymmetric; the output, Y_h and H0 share one record (the output state)
//   weights                       int8 symmetric, one scale per gate (TFLite keeps one tensor per gate), W and R
//   bias                          int32, scale s_x·s_W per gate
//   cell state (Y_c, C0)          int16 symmetric with a power-of-two scale 2^(p−15): 2^p is the smallest power
//                                 of two >= max |c| over every step of the calibration set (p in [0, 10])
// The cell range comes from re-running the float recurrence on the calibration samples (lstmCellRanges): the Y_c
// output only shows the last step's cell state.

import { fail } from '../diagnostics.js';
import type { Graph, Node, QuantParams, Tensor } from '../ir/graph.js';
import { lstmDimsOfValues, lstmFloat } from '../ops/lstm.js';
import type { Value } from '../ops/types.js';
import { prepareFloat, runFloat } from '../sim/float.js';
import { rha } from '../arith/fixedpoint.js';
import type { Range } from './observers.js';
import { quantizeWeights } from './weights.js';

/** Constant ports of an Lstm node quantized here, not as activations: W, R, B and a constant C0. */
export function lstmWeightPorts(n: Node, tensors: Tensor[]): number[] {
  if (n.op !== 'Lstm') return [];
  return [1, 2, 3, 5].filter((k) => n.inputs[k] !== undefined && n.inputs[k] >= 0 && (k !== 5 || tensors[n.inputs[k]].data));
}

/** Tensors that must share the output's quantization: Y_h and H0 (TFLite's output state is the output). */
export function lstmSharedPairs(n: Node): [number, number][] {
  if (n.op !== 'Lstm') return [];
  const pairs: [number, number][] = [[n.outputs[0], n.outputs[1]]];
  if (n.inputs[4] !== undefined && n.inputs[4] >= 0) pairs.push([n.outputs[0], n.inputs[4]]);
  return pairs;
}

/** Power-of-two int16 cell quantization covering max |c|. */
export function cellQuant(r: Range | undefined): { scale: number; zeroPoint: number } {
  const m = r ? Math.max(Math.abs(r.min), Math.abs(r.max)) : 1;
  let p = 0;
  while (p < 10 && 2 ** p < m) p++;
  return { scale: 2 ** (p - 15), zeroPoint: 0 };
}

/**
 * The fixed int16 quantization of each Lstm node's cell state output (Y_c), for quantizeWithRanges: the tensors
 * that share Y_c's record (a Reshape of it, say) take it too.
 */
export function lstmCellParams(fg: Graph, ranges: Map<number, Range>): [number, { scale: number; zeroPoint: number }][] {
  return fg.nodes.filter((n) => n.op === 'Lstm').map((n) => [n.outputs[2], cellQuant(ranges.get(n.outputs[2]))]);
}

/**
 * Replace the range of each Lstm node's Y_c with the range of its cell state over every step of every sample (the
 * cell state the integer kernel has to hold).
 */
export function lstmCellRanges(fg: Graph, samples: Value[][], ranges: Map<number, Range>): void {
  const lstms = fg.nodes.filter((n) => n.op === 'Lstm');
  if (!lstms.length) return;
  const p = prepareFloat(fg);
  const lo = new Map<Node, number>();
  const hi = new Map<Node, number>();
  for (const s of samples) {
    const vals = runFloat(p, s, { keepAll: true }).values!;
    for (const n of lstms) {
      const ins = n.inputs.map((id) => (id < 0 ? undefined : (vals.get(id) ?? p.consts[id])));
      const d = lstmDimsOfValues(ins, p.attrs[fg.nodes.indexOf(n)], n.name);
      lstmFloat(ins, d, n.attrs.direction === 'reverse', (c) => {
        for (let i = 0; i < c.length; i++) {
          if (!(c[i] >= (lo.get(n) ?? Infinity))) lo.set(n, c[i]);
          if (!(c[i] <= (hi.get(n) ?? -Infinity))) hi.set(n, c[i]);
        }
      });
    }
  }
  for (const n of lstms) if (lo.has(n)) ranges.set(n.outputs[2], { min: lo.get(n)!, max: hi.get(n)! });
}

/**
 * Quantize one Lstm node's weights, bias and constant initial cell state in place of the float ones (called by
 * quantizeWithRanges after the activations, Y_c included, have their records). `place` stores a tensor (a new one when the original is shared).
 */
export function quantizeLstm(
  n: Node,
  fg: Graph,
  tensors: Tensor[],
  place: (orig: number, t: Omit<Tensor, 'id'>) => number,
): void {
  const [x, w, r, b = -1, , c0 = -1] = n.inputs;
  const xq = tensors[x].quant;
  if (!xq || tensors[x].dtype !== 'int8')
    fail('EF3002', `Lstm has an integer kernel for int8 activations only (its input is ${tensors[x].dtype})`, {
      node: n.name,
      suggestion: 'quantize the model with the int8 scheme',
    });
  const sIn = xq.scale[0];
  const wt = fg.tensors[w];
  const rt = fg.tensors[r];
  const bt = b >= 0 ? fg.tensors[b] : undefined;
  if (!wt.data || !rt.data || (bt && !bt.data)) fail('EF2005', 'Lstm weights and bias must be constants', { node: n.name });
  const H = wt.shape[0] / 4;
  const perGate = (t: Tensor, K: number, bias?: ArrayLike<number>) => {
    const data = new Int8Array(4 * H * K);
    const scale: number[] = [];
    for (let gi = 0; gi < 4; gi++) {
      const sub: Tensor = { ...t, shape: [H, K], data: t.data!.slice(gi * H * K, (gi + 1) * H * K) };
      const q = quantizeWeights(sub, undefined, bias ? { data: Array.prototype.slice.call(bias, gi * H, (gi + 1) * H), inputScale: sIn } : undefined);
      data.set(q.data as Int8Array, gi * H * K);
      for (let k = 0; k < H; k++) scale.push(q.quant.scale[0]);
    }
    return { data, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } };
  };
  const qw = perGate(wt, wt.shape[1], bt?.data);
  n.inputs[1] = place(w, { name: wt.name, dtype: 'int8', shape: [...wt.shape], data: qw.data, quant: qw.quant });
  const qr = perGate(rt, H);
  n.inputs[2] = place(r, { name: rt.name, dtype: 'int8', shape: [...rt.shape], data: qr.data, quant: qr.quant });
  if (bt) {
    const scale = qw.quant.scale.map((s) => Math.fround(sIn * s));
    const data = new Int32Array(4 * H);
    for (let k = 0; k < 4 * H; k++) data[k] = Math.max(-2147483648, Math.min(2147483647, rha(bt.data![k] / scale[k])));
    n.inputs[3] = place(b, { name: bt.name, dtype: 'int32', shape: [...bt.shape], data, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } });
  }
  const cq: QuantParams = tensors[n.outputs[2]].quant!;
  if (c0 >= 0) {
    const ct = fg.tensors[c0];
    if (!ct.data)
      fail('EF3002', 'Lstm with an initial cell state computed at run time has no integer form here', {
        node: n.name,
        suggestion: 'start from a zero (or constant) cell state, or keep the model float',
      });
    const data = new Int16Array(ct.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Math.max(-32768, Math.min(32767, rha(ct.data[i] / cq.scale[0])));
    n.inputs[5] = place(c0, { name: ct.name, dtype: 'int16', shape: [...ct.shape], data, quant: cq });
  }
}
