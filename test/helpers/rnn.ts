// Independent references and model builders for the LSTM / GRU tests: the ONNX operator spec's equations as naive
// loops on the ONNX-form tensors (gate order i,o,f,c for LSTM and z,r,h for GRU, separate Wb / Rb), and small
// models in the shapes PyTorch exports. Nothing here uses espforge's kernels.
import type { Value } from '../../src/ops/types.js';
import { onnxModel } from './onnx.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** x: [T][B][I] (time major), w: [G·H][I], r: [G·H][H], wb/rb: [G·H]; ONNX gate order. */
export interface Seq {
  x: number[][][];
  w: number[][];
  r: number[][];
  wb: number[];
  rb: number[];
  h0: number[][];
  c0: number[][];
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** ONNX LSTM, forward or reverse: returns Y [T][B][H], Yh, Yc [B][H]. */
export function lstmSpec(s: Seq, H: number, reverse: boolean, onCell?: (c: number[][]) => void): { y: number[][][]; h: number[][]; c: number[][] } {
  const T = s.x.length;
  const B = s.x[0].length;
  let h = s.h0.map((r) => r.slice());
  let c = s.c0.map((r) => r.slice());
  const y: number[][][] = new Array(T);
  for (let step = 0; step < T; step++) {
    const t = reverse ? T - 1 - step : step;
    const hn: number[][] = [];
    const cn: number[][] = [];
    for (let b = 0; b < B; b++) {
      const pre = (g: number, k: number) => dot(s.x[t][b], s.w[g * H + k]) + dot(h[b], s.r[g * H + k]) + s.wb[g * H + k] + s.rb[g * H + k];
      hn.push([]);
      cn.push([]);
      for (let k = 0; k < H; k++) {
        // ONNX order: 0 i, 1 o, 2 f, 3 c
        const i = sig(pre(0, k));
        const o = sig(pre(1, k));
        const f = sig(pre(2, k));
        const g = Math.tanh(pre(3, k));
        const cc = f * c[b][k] + i * g;
        cn[b].push(cc);
        hn[b].push(o * Math.tanh(cc));
      }
    }
    h = hn;
    c = cn;
    onCell?.(c);
    y[t] = h;
  }
  return { y, h, c };
}

/** ONNX GRU: returns Y [T][B][H], Yh [B][H]. */
export function gruSpec(s: Seq, H: number, reverse: boolean, lbr: boolean): { y: number[][][]; h: number[][] } {
  const T = s.x.length;
  const B = s.x[0].length;
  let h = s.h0.map((r) => r.slice());
  const y: number[][][] = new Array(T);
  for (let step = 0; step < T; step++) {
    const t = reverse ? T - 1 - step : step;
    const hn: number[][] = [];
    for (let b = 0; b < B; b++) {
      const xw = (g: number, k: number) => dot(s.x[t][b], s.w[g * H + k]) + s.wb[g * H + k];
      const z = new Array(H).fill(0).map((_, k) => sig(xw(0, k) + dot(h[b], s.r[k]) + s.rb[k]));
      const r = new Array(H).fill(0).map((_, k) => sig(xw(1, k) + dot(h[b], s.r[H + k]) + s.rb[H + k]));
      const rh = h[b].map((v, k) => r[k] * v);
      hn.push([]);
      for (let k = 0; k < H; k++) {
        const n = lbr
          ? Math.tanh(xw(2, k) + r[k] * (dot(h[b], s.r[2 * H + k]) + s.rb[2 * H + k]))
          : Math.tanh(xw(2, k) + dot(rh, s.r[2 * H + k]) + s.rb[2 * H + k]);
        hn[b].push((1 - z[k]) * n + z[k] * h[b][k]);
      }
    }
    h = hn;
    y[t] = h;
  }
  return { y, h };
}

export const f32 = (shape: number[], d: number[]): Value => ({ dtype: 'float32', shape, data: Float32Array.from(d) });
const i64 = (d: number[]): Value => ({ dtype: 'int64', shape: [d.length], data: Float64Array.from(d) });

export function randSeq(r: () => number, T: number, B: number, I: number, H: number, G: number, states: boolean): Seq {
  const u = (a: number) => Math.fround((r() * 2 - 1) * a);
  const m = (rows: number, cols: number, a: number) => new Array(rows).fill(0).map(() => new Array(cols).fill(0).map(() => u(a)));
  return {
    x: new Array(T).fill(0).map(() => m(B, I, 2)),
    w: m(G * H, I, 0.8),
    r: m(G * H, H, 0.8),
    wb: m(1, G * H, 0.5)[0],
    rb: m(1, G * H, 0.5)[0],
    h0: states ? m(B, H, 1) : m(B, H, 0).map((row) => row.map(() => 0)),
    c0: states ? m(B, H, 1) : m(B, H, 0).map((row) => row.map(() => 0)),
  };
}

/** X in the model's layout (0: [T,B,I], 1: [B,T,I]). */
export function xValue(s: Seq, layout: number): Value {
  const T = s.x.length;
  const B = s.x[0].length;
  const I = s.x[0][0].length;
  const d: number[] = [];
  if (layout === 0) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) d.push(...s.x[t][b]);
  else for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) d.push(...s.x[t][b]);
  return f32(layout ? [B, T, I] : [T, B, I], d);
}

/** Y from [T][B][H] in the ONNX output layout (0: [T,1,B,H], 1: [B,T,1,H]) flattened. */
export function yFlat(y: number[][][], layout: number): number[] {
  const T = y.length;
  const B = y[0].length;
  const out: number[] = [];
  if (layout === 0) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.push(...y[t][b]);
  else for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.push(...y[t][b]);
  return out;
}

/**
 * nn.LSTM / nn.GRU(batch_first=True) as torch 1.13 exports them (opset 13): X [B,T,I] → Transpose → LSTM (layout
 * 0) with initial states Expand-ed from zeros → Squeeze(axis 1) → Transpose back → [B,T,H]; plus Y_h.
 */
export function pytorchStyleModel(op: 'LSTM' | 'GRU', s: Seq, B: number, T: number, I: number, H: number): Uint8Array {
  const G = op === 'LSTM' ? 4 : 3;
  const ins = ['xt', 'W', 'R', 'B', '', 'h0'];
  if (op === 'LSTM') ins.push('h0');
  return onnxModel({
    nodes: [
      { op: 'Transpose', ins: ['x'], outs: ['xt'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
      { op: 'Expand', ins: ['zeros', 'hshape'], outs: ['h0'] },
      { op, ins, outs: op === 'LSTM' ? ['y4', 'hn', 'cn'] : ['y4', 'hn'], attrs: [{ name: 'hidden_size', i: H }, ...(op === 'GRU' ? [{ name: 'linear_before_reset', i: 1 }] : [])], name: `/${op.toLowerCase()}/${op}` },
      { op: 'Squeeze', ins: ['y4', 'ax1'], outs: ['y3'] },
      { op: 'Transpose', ins: ['y3'], outs: ['y'], attrs: [{ name: 'perm', ints: [1, 0, 2] }] },
    ],
    inits: [
      { name: 'W', v: f32([1, G * H, I], s.w.flat()) },
      { name: 'R', v: f32([1, G * H, H], s.r.flat()) },
      { name: 'B', v: f32([1, 2 * G * H], [...s.wb, ...s.rb]) },
      { name: 'zeros', v: f32([1, 1, H], new Array(H).fill(0)) },
      { name: 'hshape', v: i64([1, B, H]) },
      { name: 'ax1', v: i64([1]) },
    ],
    inputs: [{ name: 'x', dims: [B, T, I] }],
    outputs: [{ name: 'y', dims: [B, T, H] }],
  });
}

