// Per-op lowerings of float IR nodes to tfjs layers. Layouts go back to TensorFlow's: Conv W OHWI → kernel
// HWIO; depthwise W [C·M,KH,KW,1] (output channel c·M + m) → [KH,KW,C,M]; FullyConnected W [N,K] → kernel
// [K,N]. Explicit pads become 'same' or 'valid' when they equal TensorFlow's rule for that input size, else a
// ZeroPadding2D precedes a 'valid' convolution. Each lowering gets its node and a context (graph.ts) bound to it.

import type { Node, Tensor } from '../../ir/graph.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConstantOp, ElementwiseActivation, inferenceWhenFrozen, type ConstOpKind } from './layers.js';

export type Sym = tfl.SymbolicTensor;

/** What a lowering may do, bound to the node being lowered. */
export interface LowerCtx {
  /** A tensor of the graph by id. */
  T(id: number): Tensor;
  /** Shape of the node's first input ([] when absent). */
  inShape: number[];
  /** Id of the node's first output. */
  out: number;
  /** A constant folded into this Conv / FullyConnected's bias (an Add/Sub of a constant after it). */
  extraBias?: Float32Array;
  /** The symbolic value of input k. */
  input(k?: number): Sym;
  /** Input k's constant data as float32 (EF2008 naming `what` otherwise). */
  constData(k: number, what: string): Float32Array;
  /** Record the node's output. */
  set(s: Sym): void;
  /** Apply a layer (recorded in graph order), then set its weights. */
  ap(l: tfl.layers.Layer, x: Sym | Sym[], weights?: { data: Float32Array; shape: number[] }[]): Sym;
  /** A unique layer name from a raw name (prefixed, sanitised). */
  layerName(raw: string): string;
  /** EF2008 naming the node. */
  unsupported(why: string): never;
  /** The fused activation attribute as a TF.js activation name, or a clip to apply after. */
  fusedAct(): { act: string; after?: { min: number; max: number } };
  /** `x`, followed by a clip layer when `after` is given. */
  withAfter(x: Sym, after?: { min: number; max: number }): Sym;
  /** TF padding for explicit pads, inserting a ZeroPadding2D when `allowZeroPad` and neither 'same' nor 'valid' fits. */
  spatialPadding(x: Sym, pads: number[], k: number[], s: number[], d: number[], allowZeroPad: boolean): { x: Sym; padding: 'same' | 'valid' };
}

export type Lowering = (n: Node, c: LowerCtx) => void;

/** TF's 'same' padding [top, left, bottom, right] for one input size. */
export function tfSamePads(inH: number, inW: number, k: number[], s: number[], d: number[]): number[] {
  const one = (n: number, kk: number, ss: number, dd: number) => {
    const out = Math.ceil(n / ss);
    const total = Math.max((out - 1) * ss + (kk - 1) * dd + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = one(inH, k[0], s[0], d[0]);
  const [l, r] = one(inW, k[1], s[1], d[1]);
  return [t, l, b, r];
}

function transpose(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const rank = shape.length;
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * inStrides[perm[i]];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

const isScalarLike = (shape: number[]) => shape.every((d) => d === 1);

const attrPair = (v: unknown, dflt: number): number[] => (Array.isArray(v) ? (v as number[]) : [dflt, dflt]);

function identity(_n: Node, c: LowerCtx): void {
  c.set(c.input());
}

function conv(n: Node, c: LowerCtx): void {
  if (c.inShape.length !== 4) c.unsupported(`input rank ${c.inShape.length} (NHWC 4-D expected)`);
  const wt = c.T(n.inputs[1]);
  const w = c.constData(1, 'weight');
  const [cout, kh, kw, cpg] = wt.shape;
  const cin = c.inShape[3];
  const group = (n.attrs.group as number | undefined) ?? 1;
  const strides = attrPair(n.attrs.strides, 1);
  const dil = attrPair(n.attrs.dilations, 1);
  const pads = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const depthwise = group > 1 && group === cin && cpg === 1;
  if (group !== 1 && !depthwise) c.unsupported(`grouped convolution (group ${group} of ${cin} channels)`);
  if ((strides[0] > 1 || strides[1] > 1) && (dil[0] > 1 || dil[1] > 1)) c.unsupported('strides and dilations > 1 together');
  let bias: Float32Array | undefined = n.inputs[2] >= 0 ? c.constData(2, 'bias').slice() : undefined;
  const extra = c.extraBias;
  if (extra) bias = bias ? bias.map((v, k) => v + extra[k]) : extra;
  const { x, padding } = c.spatialPadding(c.input(), pads, [kh, kw], strides, dil, true);
  const a = c.fusedAct();
  const common = { name: c.layerName(n.name), kernelSize: [kh, kw] as [number, number], strides: strides as [number, number], dilationRate: dil as [number, number], padding, useBias: !!bias, activation: a.act as 'linear' };
  let y: Sym;
  if (depthwise) {
    const mult = cout / cin;
    // [C·M,KH,KW,1] = [C,M,KH,KW] → [KH,KW,C,M]
    const k = transpose(w, [cin, mult, kh, kw], [2, 3, 0, 1]);
    y = c.ap(tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: mult }), x, [{ data: k, shape: [kh, kw, cin, mult] }, ...(bias ? [{ data: bias, shape: [cout] }] : [])]);
  } else {
    const k = transpose(w, [cout, kh, kw, cin], [1, 2, 3, 0]);
    y = c.ap(tfl.layers.conv2d({ ...common, filters: cout }), x, [{ data: k, shape: [kh, kw, cin, cout] }, ...(bias ? [{ data: bias, shape: [cout] }] : [])]);
  }
  c.set(c.withAfter(y, a.after));
}

function fullyConnected(n: Node, c: LowerCtx): void {
  const wt = c.T(n.inputs[1]);
  const w = c.constData(1, 'weight');
  const [N, K] = wt.shape;
  if (c.inShape.length < 2) c.unsupported('a rank-1 input has no batch axis');
  let bias: Float32Array | undefined = n.inputs[2] >= 0 ? c.constData(2, 'bias').slice() : undefined;
  const extra = c.extraBias;
  if (extra) bias = bias ? bias.map((v, k) => v + extra[k]) : extra;
  const a = c.fusedAct();
  const y = c.ap(tfl.layers.dense({ name: c.layerName(n.name), units: N, useBias: !!bias, activation: a.act as 'linear' }), c.input(), [
    { data: transpose(w, [N, K], [1, 0]), shape: [K, N] },
    ...(bias ? [{ data: bias, shape: [N] }] : []),
  ]);
  c.set(c.withAfter(y, a.after));
}

function batchNorm(n: Node, c: LowerCtx): void {
  const C = c.inShape[c.inShape.length - 1];
  const parts = [1, 2, 3, 4].map((k, j) => ({ data: c.constData(k, ['scale', 'bias', 'mean', 'variance'][j]), shape: [C] }));
  if (parts.some((p) => p.data.length !== C)) c.unsupported('parameters are not per channel of the last axis');
  const l = tfl.layers.batchNormalization({ name: c.layerName(n.name), axis: -1, epsilon: (n.attrs.epsilon as number | undefined) ?? 1e-5, momentum: 0.99 });
  inferenceWhenFrozen(l);
  c.set(c.ap(l, c.input(), parts));
}

function relu(n: Node, c: LowerCtx): void {
  c.set(c.ap(tfl.layers.reLU({ name: c.layerName(n.name) }), c.input()));
}

function clip(n: Node, c: LowerCtx): void {
  const lo = (n.attrs.min as number | undefined) ?? -Infinity;
  const hi = (n.attrs.max as number | undefined) ?? Infinity;
  if (lo === 0 && (hi === 6 || hi === Infinity)) c.set(c.ap(tfl.layers.reLU({ name: c.layerName(n.name), ...(hi === 6 ? { maxValue: 6 } : {}) }), c.input()));
  else c.set(c.ap(new ElementwiseActivation({ fn: 'clip', min: lo, max: hi, name: c.layerName(n.name) }), c.input()));
}

function leakyRelu(n: Node, c: LowerCtx): void {
  c.set(c.ap(tfl.layers.leakyReLU({ name: c.layerName(n.name), alpha: (n.attrs.alpha as number | undefined) ?? 0.01 }), c.input()));
}

function elu(n: Node, c: LowerCtx): void {
  c.set(c.ap(tfl.layers.elu({ name: c.layerName(n.name), alpha: (n.attrs.alpha as number | undefined) ?? 1 }), c.input()));
}

function sigmoidTanh(n: Node, c: LowerCtx): void {
  c.set(c.ap(tfl.layers.activation({ name: c.layerName(n.name), activation: n.op === 'Sigmoid' ? 'sigmoid' : 'tanh' }), c.input()));
}

function hardSwish(n: Node, c: LowerCtx): void {
  c.set(c.ap(new ElementwiseActivation({ fn: 'hardswish', name: c.layerName(n.name) }), c.input()));
}

function hardSigmoid(n: Node, c: LowerCtx): void {
  c.set(c.ap(new ElementwiseActivation({ fn: 'hardsigmoid', alpha: n.attrs.alpha as number | undefined, beta: n.attrs.beta as number | undefined, name: c.layerName(n.name) }), c.input()));
}

function softmax(n: Node, c: LowerCtx): void {
  const ax = (n.attrs.axis as number | undefined) ?? -1;
  if (ax !== -1 && ax !== c.inShape.length - 1) c.unsupported(`softmax over axis ${ax} (only the last axis)`);
  c.set(c.ap(tfl.layers.softmax({ name: c.layerName(n.name), axis: -1 }), c.input()));
}

function pool(n: Node, c: LowerCtx): void {
  if (c.inShape.length !== 4) c.unsupported(`input rank ${c.inShape.length} (NHWC 4-D expected)`);
  const k = attrPair(n.attrs.kernel, 1);
  const s = attrPair(n.attrs.strides, 1);
  const d = attrPair(n.attrs.dilations, 1);
  if (d[0] !== 1 || d[1] !== 1) c.unsupported('dilated pooling');
  const pads = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
  const avg = n.op === 'AveragePool';
  const includePad = avg && (n.attrs.count_include_pad as number | undefined) === 1;
  let x = c.input();
  let padding: 'same' | 'valid' = 'valid';
  if (pads.some((p) => p !== 0)) {
    const same = tfSamePads(c.inShape[1], c.inShape[2], k, s, [1, 1]);
    if (!includePad && same.every((v, j) => v === pads[j])) padding = 'same';
    else if (includePad) x = c.ap(tfl.layers.zeroPadding2d({ name: c.layerName(`${n.name}_pad`), padding: [[pads[0], pads[2]], [pads[1], pads[3]]] }), x);
    else c.unsupported(`padding [${pads}] is not TF 'same' [${same}]`);
  }
  const l = (avg ? tfl.layers.averagePooling2d : tfl.layers.maxPooling2d)({ name: c.layerName(n.name), poolSize: k as [number, number], strides: s as [number, number], padding });
  const y = c.ap(l, x);
  const want = c.T(c.out).shape;
  if (y.shape[1] !== want[1] || y.shape[2] !== want[2]) c.unsupported(`TF pooling gives ${y.shape[1]}x${y.shape[2]}, the graph ${want[1]}x${want[2]} (ceil_mode)`);
  const a = c.fusedAct();
  let z = y;
  if (a.act !== 'linear') z = c.ap(tfl.layers.reLU({ name: c.layerName(`${n.name}_${a.act}`), ...(a.act === 'relu6' ? { maxValue: 6 } : {}) }), y);
  c.set(c.withAfter(z, a.after));
}

function globalPool(n: Node, c: LowerCtx): void {
  const axes = ((n.attrs.axes as number[] | undefined) ?? []).map((a) => (a < 0 ? a + c.inShape.length : a)).sort();
  if (c.inShape.length !== 4 || axes.join() !== '1,2') c.unsupported(`reduction over axes [${axes}] (only global pooling over H, W of NHWC)`);
  const gl = n.op === 'ReduceMean' ? tfl.layers.globalAveragePooling2d({ name: c.layerName(n.name) }) : tfl.layers.globalMaxPooling2d({ name: c.layerName(n.name) });
  let y = c.ap(gl, c.input());
  if ((n.attrs.keepdims as number | undefined) ?? 1) y = c.ap(tfl.layers.reshape({ name: c.layerName(`${n.name}_keepdims`), targetShape: [1, 1, c.inShape[3]] }), y);
  c.set(y);
}

function reshape(n: Node, c: LowerCtx): void {
  const o = c.T(c.out).shape;
  if (o[0] !== c.inShape[0] || o.length < 2) c.unsupported(`the batch axis changes ([${c.inShape}] → [${o}])`);
  if (o.length === 2 && c.inShape.length > 2) c.set(c.ap(tfl.layers.flatten({ name: c.layerName(n.name) }), c.input()));
  else c.set(c.ap(tfl.layers.reshape({ name: c.layerName(n.name), targetShape: o.slice(1) }), c.input()));
}

function pad(n: Node, c: LowerCtx): void {
  const p = (n.attrs.pads as number[] | undefined) ?? [];
  const mode = (n.attrs.mode as string | undefined) ?? 'constant';
  const value = (n.attrs.value as number | undefined) ?? 0;
  if (n.inputs.length > 1 && n.inputs.slice(1).some((t) => t >= 0)) c.unsupported('pads given as an input');
  const r = c.inShape.length;
  if (mode !== 'constant' || value !== 0 || r !== 4 || p.length !== 8 || p[0] || p[3] || p[4] || p[7] || p.some((v) => v < 0))
    c.unsupported(`only zero padding of H and W is supported (mode ${mode}, value ${value}, pads [${p}])`);
  c.set(c.ap(tfl.layers.zeroPadding2d({ name: c.layerName(n.name), padding: [[p[1], p[5]], [p[2], p[6]]] }), c.input()));
}

function concat(n: Node, c: LowerCtx): void {
  const r = c.inShape.length;
  let ax = (n.attrs.axis as number | undefined) ?? -1;
  if (ax < 0) ax += r;
  if (ax === 0) c.unsupported('concatenation along the batch axis');
  const ins = n.inputs.map((t, k) => (c.T(t).data ? c.unsupported('a constant operand') : c.input(k)));
  c.set(c.ap(tfl.layers.concatenate({ name: c.layerName(n.name), axis: ax === r - 1 ? -1 : ax }), ins));
}

function binary(n: Node, c: LowerCtx): void {
  const [a, b] = n.inputs;
  const act = c.fusedAct();
  let y: Sym;
  const ca = c.T(a).data;
  const cb = c.T(b).data;
  if (ca && cb) c.unsupported('both operands are constants');
  if (ca || cb) {
    if (n.op === 'Max' || n.op === 'Min') c.unsupported('a constant operand');
    const cst = c.T(ca ? a : b);
    const other = c.T(ca ? b : a);
    const cs = cst.shape;
    const os = other.shape;
    // the constant must broadcast into the other operand without changing its shape
    const ok = cs.length <= os.length && cs.every((d, j) => d === 1 || d === os[os.length - cs.length + j]) && (cs.length < os.length || cs[0] === 1 || isScalarLike(cs));
    if (!ok) c.unsupported(`constant [${cs}] does not broadcast into [${os}]`);
    if (cst.data!.length > 65536) c.unsupported(`constant operand of ${cst.data!.length} values`);
    const kind = (n.op === 'Add' ? 'add' : n.op === 'Mul' ? 'mul' : n.op === 'Sub' ? (ca ? 'rsub' : 'sub') : ca ? 'rdiv' : 'div') as ConstOpKind;
    const values = Array.from(cst.data as ArrayLike<number>, Number);
    y = c.ap(new ConstantOp({ op: kind, values, constShape: cs.length ? cs : [1], name: c.layerName(n.name) }), c.input(ca ? 1 : 0));
  } else {
    const mk = { Add: tfl.layers.add, Mul: tfl.layers.multiply, Max: tfl.layers.maximum, Min: tfl.layers.minimum }[n.op as 'Add'];
    if (!mk) c.unsupported('two variable operands (only Add, Mul, Max, Min have TF.js layers)');
    y = c.ap(mk({ name: c.layerName(n.name) }), [c.input(0), c.input(1)]);
  }
  if (act.act !== 'linear') y = c.ap(tfl.layers.reLU({ name: c.layerName(`${n.name}_${act.act}`), ...(act.act === 'relu6' ? { maxValue: 6 } : {}) }), y);
  c.set(c.withAfter(y, act.after));
}

export const LOWERINGS: Record<string, Lowering> = {
  Identity: identity,
  Conv: conv,
  FullyConnected: fullyConnected,
  BatchNormalization: batchNorm,
  Relu: relu,
  Clip: clip,
  LeakyRelu: leakyRelu,
  Elu: elu,
  Sigmoid: sigmoidTanh,
  Tanh: sigmoidTanh,
  HardSwish: hardSwish,
  HardSigmoid: hardSigmoid,
  Softmax: softmax,
  MaxPool: pool,
  AveragePool: pool,
  ReduceMean: globalPool,
  ReduceMax: globalPool,
  Reshape: reshape,
  Pad: pad,
  Concat: concat,
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  Max: binary,
  Min: binary,
};
