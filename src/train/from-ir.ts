// A float IR graph (what loadModel returns: NHWC, constants in place) back into a tfjs-layers functional model
// with the same weights, so an imported model can serve as a trainable base under a new head.
//
// Layouts go back to TensorFlow's: Conv W OHWI → kernel HWIO; depthwise W [C·M,KH,KW,1] (output channel
// c·M + m) → [KH,KW,C,M]; FullyConnected W [N,K] → kernel [K,N]. Explicit pads become 'same' or 'valid' when
// they equal TensorFlow's rule for that input size, else a ZeroPadding2D precedes a 'valid' convolution. An
// Add/Sub of a constant right after a bias-free-or-biased Conv/FullyConnected (how ONNX exports biases) folds
// into that layer's bias. Ops TF.js has no layer for (HardSwish, HardSigmoid, a general Clip, arithmetic with a
// constant) become two small registered custom layers. Layers take the IR node names (sanitised), so reports and
// "freeze the first 30 % of the layers" read naturally.
//
// Also here: cutting an imported graph at a named tensor (or at the classifier's input, 'auto') and applying the
// cut graph as the base of a spec model.

import { EspforgeError, fail } from '../diagnostics.js';
import { inferGraph } from '../ops/infer.js';
import { consumers, producers, pruneGraph, type Graph, type Node, type Tensor } from '../ir/graph.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Sym = tfl.SymbolicTensor;

// ---------------------------------------------------------------------------------------------------------------
// custom layers

type ConstOpKind = 'add' | 'sub' | 'rsub' | 'mul' | 'div' | 'rdiv';

/** x (op) c with a constant c that broadcasts into x (numpy rules, batch axis included). */
export class ConstantOp extends tfl.layers.Layer {
  static className = 'EspforgeConstantOp';
  readonly op: ConstOpKind;
  readonly values: number[];
  readonly constShape: number[];
  private c?: tf.Tensor;
  constructor(args: { op: ConstOpKind; values: number[]; constShape: number[]; name?: string; trainable?: boolean }) {
    super({ name: args.name, trainable: args.trainable });
    this.op = args.op;
    this.values = args.values;
    this.constShape = args.constShape;
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!this.c) this.c = tf.keep(tf.tensor(this.values, this.constShape, 'float32'));
    const c = this.c;
    return tf.tidy(() => {
      switch (this.op) {
        case 'add':
          return tf.add(x, c);
        case 'sub':
          return tf.sub(x, c);
        case 'rsub':
          return tf.sub(c, x);
        case 'mul':
          return tf.mul(x, c);
        case 'div':
          return tf.div(x, c);
        case 'rdiv':
          return tf.div(c, x);
      }
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), op: this.op, values: this.values, constShape: this.constShape };
  }
}
tf.serialization.registerClass(ConstantOp);

type ActKind = 'clip' | 'hardswish' | 'hardsigmoid';

/** Elementwise activations TF.js has no layer for: clip(min, max), hard-swish, hard-sigmoid(alpha, beta). */
export class ElementwiseActivation extends tfl.layers.Layer {
  static className = 'EspforgeActivation';
  readonly fn: ActKind;
  readonly min: number;
  readonly max: number;
  readonly alpha: number;
  readonly beta: number;
  constructor(args: { fn: ActKind; min?: number; max?: number; alpha?: number; beta?: number; name?: string }) {
    super({ name: args.name });
    this.fn = args.fn;
    this.min = args.min ?? -Infinity;
    this.max = args.max ?? Infinity;
    this.alpha = args.alpha ?? 0.2;
    this.beta = args.beta ?? 0.5;
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      switch (this.fn) {
        case 'clip':
          return tf.minimum(tf.maximum(x, this.min), this.max);
        case 'hardsigmoid':
          return tf.clipByValue(tf.add(tf.mul(x, this.alpha), this.beta), 0, 1);
        case 'hardswish':
          return tf.mul(x, tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6));
      }
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    // ±Infinity is not JSON: absent bounds are left out
    const c: tf.serialization.ConfigDict = { ...super.getConfig(), fn: this.fn, alpha: this.alpha, beta: this.beta };
    if (Number.isFinite(this.min)) c.min = this.min;
    if (Number.isFinite(this.max)) c.max = this.max;
    return c;
  }
}
tf.serialization.registerClass(ElementwiseActivation);

// ---------------------------------------------------------------------------------------------------------------
// helpers

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

/** A valid, unique TF.js layer name from an IR node name (TFLite's fused names keep their first part). */
function namer(reserved: string[] = []): (raw: string) => string {
  const used = new Set<string>(reserved);
  return (raw: string) => {
    let s = (raw.split(';')[0] || 'layer').replace(/[^A-Za-z0-9._-]/g, '_');
    if (!/^[A-Za-z0-9]/.test(s)) s = 'n' + s;
    if (s.length > 64) s = s.slice(0, 64);
    let name = s;
    for (let k = 2; used.has(name); k++) name = `${s}_${k}`;
    used.add(name);
    return name;
  };
}

const isScalarLike = (shape: number[]) => shape.every((d) => d === 1);

export interface FromIrOptions {
  /** Prefix for every layer name (keeps names apart when a base meets a head). Default ''. */
  prefix?: string;
}

export interface AppliedGraph {
  outputs: Sym[];
  /** Every layer created, in graph order. */
  layers: tfl.layers.Layer[];
}

/**
 * Apply a float IR graph to symbolic inputs (one per graph input, shapes without the batch axis matching the
 * graph's). Unsupported ops fail with EF2008 naming the node.
 */
export function applyGraph(g: Graph, inputs: Sym[], opts: FromIrOptions = {}): AppliedGraph {
  const pfx = opts.prefix ?? '';
  const nameOf = namer(inputs.map((s) => s.sourceLayer?.name ?? ''));
  const layerName = (raw: string) => nameOf(pfx + raw);
  const T = (id: number): Tensor => g.tensors[id];
  const cons = consumers(g);
  const prod = producers(g);
  const sym = new Map<number, Sym>();
  const layers: tfl.layers.Layer[] = [];
  if (inputs.length !== g.inputs.length) fail('EF2008', `the graph has ${g.inputs.length} inputs, ${inputs.length} given`);
  g.inputs.forEach((id, k) => sym.set(id, inputs[k]));
  for (const t of g.tensors) {
    if (t.quant || (!t.data && t.dtype !== 'float32'))
      fail('EF2008', `tensor '${t.name}' is ${t.quant ? 'quantized' : t.dtype}; only float graphs convert to a trainable model`, {
        suggestion: 'dequantizeGraph(graph) first (cutGraph and file bases do it), or use the float version of the model',
      });
  }
  // Add/Sub-of-a-constant nodes whose constant was folded into the producing layer's bias
  const foldedInto = new Map<number, number>(); // node index → node index of the Conv/FC it folds into
  const extraBias = new Map<number, Float32Array>(); // Conv/FC node index → bias to add
  g.nodes.forEach((n, i) => {
    if (n.op !== 'Add' && n.op !== 'Sub') return;
    if ((n.attrs.activation ?? 'none') !== 'none' && (n.attrs.activation as string) !== 'relu' && (n.attrs.activation as string) !== 'relu6') return;
    const [a, b] = n.inputs;
    if (!T(b)?.data || T(a).data) return;
    const pi = prod.get(a);
    if (pi === undefined) return;
    const p = g.nodes[pi];
    if ((p.op !== 'Conv' && p.op !== 'FullyConnected') || (cons.get(a) ?? []).length !== 1 || g.outputs.includes(a)) return;
    if ((p.attrs.activation ?? 'none') !== 'none' || foldedInto.has(i)) return;
    const c = T(b);
    const cout = T(a).shape[T(a).shape.length - 1];
    if (c.shape.length > T(a).shape.length || !c.shape.slice(0, -1).every((d) => d === 1)) return;
    const last = c.shape.length ? c.shape[c.shape.length - 1] : 1;
    if (last !== cout && last !== 1) return;
    const v = new Float32Array(cout);
    for (let k = 0; k < cout; k++) v[k] = (n.op === 'Sub' ? -1 : 1) * Number(c.data![last === 1 ? 0 : k]);
    const prev = extraBias.get(pi);
    if (prev) for (let k = 0; k < cout; k++) v[k] += prev[k];
    extraBias.set(pi, v);
    foldedInto.set(i, pi);
  });

  const input = (n: Node, k = 0): Sym => {
    const id = n.inputs[k];
    const s = sym.get(id);
    if (!s) fail('EF2008', `node '${n.name}' (${n.op}) reads '${T(id)?.name ?? id}', which is not a computed value here`, { node: n.name });
    return s!;
  };
  const constData = (n: Node, k: number, what: string): Float32Array => {
    const t = T(n.inputs[k]);
    if (!t?.data) fail('EF2008', `${n.op} '${n.name}': the ${what} must be a constant`, { node: n.name });
    return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
  };
  const ap = (l: tfl.layers.Layer, x: Sym | Sym[], weights?: { data: Float32Array; shape: number[] }[]): Sym => {
    layers.push(l);
    const out = l.apply(x) as Sym;
    if (weights) {
      const ts = weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
      l.setWeights(ts);
      tf.dispose(ts);
    }
    return out;
  };
  const unsupported = (n: Node, why: string): never =>
    fail('EF2008', `${n.op} node '${n.name}' cannot become a TF.js layer: ${why}`, { node: n.name, suggestion: 'cut the base before this node ("cut": "<tensor name>")' });
  /** A fused activation attribute as a TF.js activation name, or a following layer. */
  const fusedAct = (n: Node): { act: string; after?: { min: number; max: number } } => {
    const a = (n.attrs.activation as string | undefined) ?? 'none';
    if (a === 'none') return { act: 'linear' };
    if (a === 'relu' || a === 'relu6') return { act: a };
    if (a === 'relu_n1_to_1') return { act: 'linear', after: { min: -1, max: 1 } };
    return unsupported(n, `fused activation '${a}'`);
  };
  const withAfter = (n: Node, x: Sym, after?: { min: number; max: number }): Sym =>
    after ? ap(new ElementwiseActivation({ fn: 'clip', ...after, name: layerName(`${n.name}_clip`) }), x) : x;
  const spatialPadding = (n: Node, x: Sym, pads: number[], k: number[], s: number[], d: number[], allowZeroPad: boolean): { x: Sym; padding: 'same' | 'valid' } => {
    const shape = T(n.inputs[0]).shape;
    if (pads.every((p) => p === 0)) return { x, padding: 'valid' };
    const same = tfSamePads(shape[1], shape[2], k, s, d);
    if (same.every((v, i) => v === pads[i])) return { x, padding: 'same' };
    if (!allowZeroPad || pads.some((p) => p < 0)) unsupported(n, `padding [${pads}] is neither TF 'same' [${same}] nor 'valid'`);
    const z = ap(tfl.layers.zeroPadding2d({ name: layerName(`${n.name}_pad`), padding: [[pads[0], pads[2]], [pads[1], pads[3]]] }), x);
    return { x: z, padding: 'valid' };
  };
  const attrPair = (v: unknown, dflt: number): number[] => (Array.isArray(v) ? (v as number[]) : [dflt, dflt]);

  g.nodes.forEach((n, i) => {
    const out = n.outputs[0];
    const set = (s: Sym) => sym.set(out, s);
    const folded = foldedInto.get(i);
    if (folded !== undefined) {
      // the constant went into the bias of the producing layer; only a fused activation remains
      const a = fusedAct(n);
      let x = input(n);
      if (a.act !== 'linear') x = ap(a.act === 'relu6' ? tfl.layers.reLU({ name: layerName(`${n.name}_relu6`), maxValue: 6 }) : tfl.layers.reLU({ name: layerName(`${n.name}_relu`) }), x);
      set(x);
      return;
    }
    const inShape = n.inputs[0] >= 0 ? T(n.inputs[0]).shape : [];
    switch (n.op) {
      case 'Identity':
        set(input(n));
        return;
      case 'Conv': {
        if (inShape.length !== 4) unsupported(n, `input rank ${inShape.length} (NHWC 4-D expected)`);
        const wt = T(n.inputs[1]);
        const w = constData(n, 1, 'weight');
        const [cout, kh, kw, cpg] = wt.shape;
        const cin = inShape[3];
        const group = (n.attrs.group as number | undefined) ?? 1;
        const strides = attrPair(n.attrs.strides, 1);
        const dil = attrPair(n.attrs.dilations, 1);
        const pads = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
        const depthwise = group > 1 && group === cin && cpg === 1;
        if (group !== 1 && !depthwise) unsupported(n, `grouped convolution (group ${group} of ${cin} channels)`);
        if ((strides[0] > 1 || strides[1] > 1) && (dil[0] > 1 || dil[1] > 1)) unsupported(n, 'strides and dilations > 1 together');
        let bias: Float32Array | undefined = n.inputs[2] >= 0 ? constData(n, 2, 'bias').slice() : undefined;
        const extra = extraBias.get(i);
        if (extra) bias = bias ? bias.map((v, k) => v + extra[k]) : extra;
        const { x, padding } = spatialPadding(n, input(n), pads, [kh, kw], strides, dil, true);
        const a = fusedAct(n);
        const common = { name: layerName(n.name), kernelSize: [kh, kw] as [number, number], strides: strides as [number, number], dilationRate: dil as [number, number], padding, useBias: !!bias, activation: a.act as 'linear' };
        let y: Sym;
        if (depthwise) {
          const mult = cout / cin;
          // [C·M,KH,KW,1] = [C,M,KH,KW] → [KH,KW,C,M]
          const k = transpose(w, [cin, mult, kh, kw], [2, 3, 0, 1]);
          y = ap(tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: mult }), x, [{ data: k, shape: [kh, kw, cin, mult] }, ...(bias ? [{ data: bias, shape: [cout] }] : [])]);
        } else {
          const k = transpose(w, [cout, kh, kw, cin], [1, 2, 3, 0]);
          y = ap(tfl.layers.conv2d({ ...common, filters: cout }), x, [{ data: k, shape: [kh, kw, cin, cout] }, ...(bias ? [{ data: bias, shape: [cout] }] : [])]);
        }
        set(withAfter(n, y, a.after));
        return;
      }
      case 'FullyConnected': {
        const wt = T(n.inputs[1]);
        const w = constData(n, 1, 'weight');
        const [N, K] = wt.shape;
        if (inShape.length < 2) unsupported(n, 'a rank-1 input has no batch axis');
        let bias: Float32Array | undefined = n.inputs[2] >= 0 ? constData(n, 2, 'bias').slice() : undefined;
        const extra = extraBias.get(i);
        if (extra) bias = bias ? bias.map((v, k) => v + extra[k]) : extra;
        const a = fusedAct(n);
        const y = ap(tfl.layers.dense({ name: layerName(n.name), units: N, useBias: !!bias, activation: a.act as 'linear' }), input(n), [
          { data: transpose(w, [N, K], [1, 0]), shape: [K, N] },
          ...(bias ? [{ data: bias, shape: [N] }] : []),
        ]);
        set(withAfter(n, y, a.after));
        return;
      }
      case 'BatchNormalization': {
        const C = inShape[inShape.length - 1];
        const parts = [1, 2, 3, 4].map((k, j) => ({ data: constData(n, k, ['scale', 'bias', 'mean', 'variance'][j]), shape: [C] }));
        if (parts.some((p) => p.data.length !== C)) unsupported(n, 'parameters are not per channel of the last axis');
        const l = tfl.layers.batchNormalization({ name: layerName(n.name), axis: -1, epsilon: (n.attrs.epsilon as number | undefined) ?? 1e-5, momentum: 0.99 });
        inferenceWhenFrozen(l);
        set(ap(l, input(n), parts));
        return;
      }
      case 'Relu':
        set(ap(tfl.layers.reLU({ name: layerName(n.name) }), input(n)));
        return;
      case 'Clip': {
        const lo = (n.attrs.min as number | undefined) ?? -Infinity;
        const hi = (n.attrs.max as number | undefined) ?? Infinity;
        if (lo === 0 && (hi === 6 || hi === Infinity)) set(ap(tfl.layers.reLU({ name: layerName(n.name), ...(hi === 6 ? { maxValue: 6 } : {}) }), input(n)));
        else set(ap(new ElementwiseActivation({ fn: 'clip', min: lo, max: hi, name: layerName(n.name) }), input(n)));
        return;
      }
      case 'LeakyRelu':
        set(ap(tfl.layers.leakyReLU({ name: layerName(n.name), alpha: (n.attrs.alpha as number | undefined) ?? 0.01 }), input(n)));
        return;
      case 'Elu':
        set(ap(tfl.layers.elu({ name: layerName(n.name), alpha: (n.attrs.alpha as number | undefined) ?? 1 }), input(n)));
        return;
      case 'Sigmoid':
      case 'Tanh':
        set(ap(tfl.layers.activation({ name: layerName(n.name), activation: n.op === 'Sigmoid' ? 'sigmoid' : 'tanh' }), input(n)));
        return;
      case 'HardSwish':
        set(ap(new ElementwiseActivation({ fn: 'hardswish', name: layerName(n.name) }), input(n)));
        return;
      case 'HardSigmoid':
        set(ap(new ElementwiseActivation({ fn: 'hardsigmoid', alpha: n.attrs.alpha as number | undefined, beta: n.attrs.beta as number | undefined, name: layerName(n.name) }), input(n)));
        return;
      case 'Softmax': {
        const ax = (n.attrs.axis as number | undefined) ?? -1;
        if (ax !== -1 && ax !== inShape.length - 1) unsupported(n, `softmax over axis ${ax} (only the last axis)`);
        set(ap(tfl.layers.softmax({ name: layerName(n.name), axis: -1 }), input(n)));
        return;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if (inShape.length !== 4) unsupported(n, `input rank ${inShape.length} (NHWC 4-D expected)`);
        const k = attrPair(n.attrs.kernel, 1);
        const s = attrPair(n.attrs.strides, 1);
        const d = attrPair(n.attrs.dilations, 1);
        if (d[0] !== 1 || d[1] !== 1) unsupported(n, 'dilated pooling');
        const pads = (n.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
        const avg = n.op === 'AveragePool';
        const includePad = avg && (n.attrs.count_include_pad as number | undefined) === 1;
        let x = input(n);
        let padding: 'same' | 'valid' = 'valid';
        if (pads.some((p) => p !== 0)) {
          const same = tfSamePads(inShape[1], inShape[2], k, s, [1, 1]);
          if (!includePad && same.every((v, j) => v === pads[j])) padding = 'same';
          else if (includePad) x = ap(tfl.layers.zeroPadding2d({ name: layerName(`${n.name}_pad`), padding: [[pads[0], pads[2]], [pads[1], pads[3]]] }), x);
          else unsupported(n, `padding [${pads}] is not TF 'same' [${same}]`);
        }
        const l = (avg ? tfl.layers.averagePooling2d : tfl.layers.maxPooling2d)({ name: layerName(n.name), poolSize: k as [number, number], strides: s as [number, number], padding });
        const y = ap(l, x);
        const want = T(out).shape;
        if (y.shape[1] !== want[1] || y.shape[2] !== want[2]) unsupported(n, `TF pooling gives ${y.shape[1]}x${y.shape[2]}, the graph ${want[1]}x${want[2]} (ceil_mode)`);
        const a = fusedAct(n);
        let z = y;
        if (a.act !== 'linear') z = ap(tfl.layers.reLU({ name: layerName(`${n.name}_${a.act}`), ...(a.act === 'relu6' ? { maxValue: 6 } : {}) }), y);
        set(withAfter(n, z, a.after));
        return;
      }
      case 'ReduceMean':
      case 'ReduceMax': {
        const axes = ((n.attrs.axes as number[] | undefined) ?? []).map((a) => (a < 0 ? a + inShape.length : a)).sort();
        if (inShape.length !== 4 || axes.join() !== '1,2') unsupported(n, `reduction over axes [${axes}] (only global pooling over H, W of NHWC)`);
        const gl = n.op === 'ReduceMean' ? tfl.layers.globalAveragePooling2d({ name: layerName(n.name) }) : tfl.layers.globalMaxPooling2d({ name: layerName(n.name) });
        let y = ap(gl, input(n));
        if ((n.attrs.keepdims as number | undefined) ?? 1) y = ap(tfl.layers.reshape({ name: layerName(`${n.name}_keepdims`), targetShape: [1, 1, inShape[3]] }), y);
        set(y);
        return;
      }
      case 'Reshape': {
        const o = T(out).shape;
        if (o[0] !== inShape[0] || o.length < 2) unsupported(n, `the batch axis changes ([${inShape}] → [${o}])`);
        if (o.length === 2 && inShape.length > 2) set(ap(tfl.layers.flatten({ name: layerName(n.name) }), input(n)));
        else set(ap(tfl.layers.reshape({ name: layerName(n.name), targetShape: o.slice(1) }), input(n)));
        return;
      }
      case 'Pad': {
        const p = (n.attrs.pads as number[] | undefined) ?? [];
        const mode = (n.attrs.mode as string | undefined) ?? 'constant';
        const value = (n.attrs.value as number | undefined) ?? 0;
        if (n.inputs.length > 1 && n.inputs.slice(1).some((t) => t >= 0)) unsupported(n, 'pads given as an input');
        const r = inShape.length;
        if (mode !== 'constant' || value !== 0 || r !== 4 || p.length !== 8 || p[0] || p[3] || p[4] || p[7] || p.some((v) => v < 0))
          unsupported(n, `only zero padding of H and W is supported (mode ${mode}, value ${value}, pads [${p}])`);
        set(ap(tfl.layers.zeroPadding2d({ name: layerName(n.name), padding: [[p[1], p[5]], [p[2], p[6]]] }), input(n)));
        return;
      }
      case 'Concat': {
        const r = inShape.length;
        let ax = (n.attrs.axis as number | undefined) ?? -1;
        if (ax < 0) ax += r;
        if (ax === 0) unsupported(n, 'concatenation along the batch axis');
        const ins = n.inputs.map((t, k) => (T(t).data ? unsupported(n, 'a constant operand') : input(n, k)));
        set(ap(tfl.layers.concatenate({ name: layerName(n.name), axis: ax === r - 1 ? -1 : ax }), ins));
        return;
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'Max':
      case 'Min': {
        const [a, b] = n.inputs;
        const act = fusedAct(n);
        let y: Sym;
        const ca = T(a).data;
        const cb = T(b).data;
        if (ca && cb) unsupported(n, 'both operands are constants');
        if (ca || cb) {
          if (n.op === 'Max' || n.op === 'Min') unsupported(n, 'a constant operand');
          const c = T(ca ? a : b);
          const other = T(ca ? b : a);
          const cs = c.shape;
          const os = other.shape;
          // the constant must broadcast into the other operand without changing its shape
          const ok = cs.length <= os.length && cs.every((d, j) => d === 1 || d === os[os.length - cs.length + j]) && (cs.length < os.length || cs[0] === 1 || isScalarLike(cs));
          if (!ok) unsupported(n, `constant [${cs}] does not broadcast into [${os}]`);
          if (c.data!.length > 65536) unsupported(n, `constant operand of ${c.data!.length} values`);
          const kind = (n.op === 'Add' ? 'add' : n.op === 'Mul' ? 'mul' : n.op === 'Sub' ? (ca ? 'rsub' : 'sub') : ca ? 'rdiv' : 'div') as ConstOpKind;
          const values = Array.from(c.data as ArrayLike<number>, Number);
          y = ap(new ConstantOp({ op: kind, values, constShape: cs.length ? cs : [1], name: layerName(n.name) }), sym.get(ca ? b : a) ?? input(n, ca ? 1 : 0));
        } else {
          const mk = { Add: tfl.layers.add, Mul: tfl.layers.multiply, Max: tfl.layers.maximum, Min: tfl.layers.minimum }[n.op as 'Add'];
          if (!mk) unsupported(n, 'two variable operands (only Add, Mul, Max, Min have TF.js layers)');
          y = ap(mk({ name: layerName(n.name) }), [input(n, 0), input(n, 1)]);
        }
        if (act.act !== 'linear') y = ap(tfl.layers.reLU({ name: layerName(`${n.name}_${act.act}`), ...(act.act === 'relu6' ? { maxValue: 6 } : {}) }), y);
        set(withAfter(n, y, act.after));
        return;
      }
      default:
        unsupported(n, 'no TF.js layer for this op');
    }
  });
  const outputs = g.outputs.map((id) => {
    const s = sym.get(id);
    if (!s) fail('EF2008', `graph output '${T(id).name}' was not computed (is it a graph input or a constant?)`);
    return s!;
  });
  return { outputs, layers };
}

/** Batch normalization that runs in inference mode (moving statistics, no updates) while its layer is frozen, as Keras does. */
export function inferenceWhenFrozen(l: tfl.layers.Layer): void {
  const orig = l.call.bind(l);
  (l as unknown as { call: typeof l.call }).call = (inputs, kwargs) => orig(inputs, l.trainable ? kwargs : { ...kwargs, training: false });
}

/** The whole graph as a tfjs-layers model (float graphs only; unsupported ops → EF2008). */
export function graphToLayersModel(g: Graph, opts: FromIrOptions & { name?: string } = {}): tfl.LayersModel {
  const nameOf = namer();
  const inputs = g.inputs.map((id) => {
    const t = g.tensors[id];
    if (t.shape.length < 1 || (t.shape[0] !== 1 && t.shape[0] !== -1)) fail('EF2008', `graph input '${t.name}' [${t.shape}] has no batch axis of 1`);
    return tfl.input({ shape: t.shape.slice(1), name: nameOf((opts.prefix ?? '') + t.name + '_input') });
  });
  const { outputs } = applyGraph(g, inputs, opts);
  return tfl.model({ inputs, outputs, name: opts.name ?? 'imported' });
}

// ---------------------------------------------------------------------------------------------------------------
// quantized models as bases

/**
 * A float twin of a quantized graph: every tensor with a quantization record becomes float32 (constants
 * dequantized, real = scale · (q − zero point), per channel along the record's axis), Quantize / Dequantize
 * become Identity and integer-execution parameters are dropped. The float graph takes and returns real values.
 * Float graphs come back unchanged.
 */
export function dequantizeGraph(g: Graph): Graph {
  if (!g.tensors.some((t) => t.quant) && !g.nodes.some((n) => n.op === 'Quantize' || n.op === 'Dequantize')) return g;
  const tensors = g.tensors.map((t): Tensor => {
    if (!t.quant) return { ...t };
    const { quant, sourcePerm, ...rest } = t;
    const out: Tensor = { ...rest, dtype: 'float32', ...(sourcePerm ? { sourcePerm } : {}) };
    if (t.data) {
      const d = new Float32Array(t.data.length);
      const axis = quant.scale.length > 1 ? (quant.axis < 0 ? quant.axis + t.shape.length : quant.axis) : -1;
      const inner = axis >= 0 ? t.shape.slice(axis + 1).reduce((a, b) => a * b, 1) : 1;
      const n = axis >= 0 ? t.shape[axis] : 1;
      for (let i = 0; i < d.length; i++) {
        const c = axis >= 0 ? Math.floor(i / inner) % n : 0;
        d[i] = quant.scale[c] * (Number(t.data[i]) - (quant.zeroPoint[c] ?? quant.zeroPoint[0] ?? 0));
      }
      out.data = d;
    }
    return out;
  });
  const nodes = g.nodes.map((n): Node => {
    const { qparams: _q, ...rest } = n;
    return n.op === 'Quantize' || n.op === 'Dequantize' ? { ...rest, op: 'Identity', attrs: {} } : { ...rest };
  });
  return { ...g, tensors, nodes };
}

// ---------------------------------------------------------------------------------------------------------------
// cutting a graph for use as a base

export interface CutResult {
  graph: Graph;
  /** Name of the tensor the base ends at. */
  tensor: string;
  /** 'auto' on a convolutional classifier (1x1 conv → global pool): the pool to put after the cut. */
  pool?: 'mean' | 'max';
}

const TAIL = new Set(['Softmax', 'LogSoftmax', 'Sigmoid', 'Identity', 'Reshape', 'Transpose', 'Dequantize', 'Quantize']);
const ACTS = new Set(['Relu', 'Clip', 'LeakyRelu', 'BatchNormalization', 'HardSwish', 'Sigmoid', 'Tanh', 'Elu']);

/**
 * Cut `g` so that it ends at tensor `cut` (a tensor name, or a node name meaning its first output), or with
 * 'auto' at the classifier's input: walking back from the output over Softmax / Reshape / FullyConnected /
 * constant (bias) Add·Mul, the base ends where that chain starts — a global-pool output in the usual models.
 * A convolutional classifier (1x1 conv → activation → global pool → softmax, as in MobileNet v1) is cut before
 * its 1x1 conv and `pool` says which global pool to add so the base still ends in a feature vector.
 * A quantized graph is dequantized first (dequantizeGraph).
 */
export function cutGraph(g0: Graph, cut: string, file?: string): CutResult {
  const g = dequantizeGraph(g0);
  if (g.outputs.length !== 1 || g.inputs.length !== 1) fail('EF5003', `a base model needs one input and one output (it has ${g.inputs.length} and ${g.outputs.length})`, { file });
  const prod = producers(g);
  let tid: number | undefined;
  let pool: 'mean' | 'max' | undefined;
  if (cut === 'auto') {
    let t = g.outputs[0];
    let sawFc = false;
    for (;;) {
      const pi = prod.get(t);
      if (pi === undefined) break;
      const n = g.nodes[pi];
      const constOperand = (n.op === 'Add' || n.op === 'Mul' || n.op === 'Sub' || n.op === 'Div') && n.inputs.some((x) => g.tensors[x]?.data);
      if (TAIL.has(n.op) || constOperand) t = n.inputs[0];
      else if (n.op === 'FullyConnected' || (n.op === 'MatMul' && g.tensors[n.inputs[1]]?.data)) {
        sawFc = true;
        t = n.inputs[0];
      } else break;
      if (g.tensors[t].data) break;
    }
    const pn = prod.get(t) !== undefined ? g.nodes[prod.get(t)!] : undefined;
    const shape = g.tensors[t].shape;
    const isGlobalPool = (n?: Node) =>
      !!n && ((n.op === 'ReduceMean' || n.op === 'ReduceMax') || ((n.op === 'AveragePool' || n.op === 'MaxPool') && shape.length === 4 && shape[1] === 1 && shape[2] === 1));
    if (sawFc) tid = t;
    else if (pn && isGlobalPool(pn)) {
      // convolutional classifier: activations / batch norm back to a 1x1 conv
      let u = pn.inputs[0];
      let conv: Node | undefined;
      for (let guard = 0; guard < 8; guard++) {
        const qi = prod.get(u);
        if (qi === undefined) break;
        const q = g.nodes[qi];
        if (ACTS.has(q.op)) u = q.inputs[0];
        else {
          if (q.op === 'Conv' && g.tensors[q.inputs[1]].shape[1] === 1 && g.tensors[q.inputs[1]].shape[2] === 1) conv = q;
          break;
        }
      }
      if (conv) {
        tid = conv.inputs[0];
        pool = pn.op === 'ReduceMax' || pn.op === 'MaxPool' ? 'max' : 'mean';
      } else tid = t;
    }
    if (tid === undefined || g.inputs.includes(tid))
      fail('EF5003', 'cannot find the classifier of the base model automatically', { file, suggestion: 'name the tensor to cut at: "cut": "<tensor or node name>"' });
  } else {
    const byTensor = g.tensors.findIndex((t) => t.name === cut && !t.data);
    if (byTensor >= 0) tid = byTensor;
    else {
      const n = g.nodes.find((x) => x.name === cut);
      if (n) tid = n.outputs[0];
    }
    if (tid === undefined) {
      const names = g.nodes.slice(-6).map((n) => g.tensors[n.outputs[0]].name);
      fail('EF5003', `the base model has no tensor or node named '${cut}'`, { file, suggestion: `use "auto" or one of the names, e.g. ${names.map((s) => `'${s}'`).join(', ')}` });
    }
    if (g.inputs.includes(tid!)) fail('EF5003', `'${cut}' is the model input; the base would be empty`, { file });
  }
  const graph = pruneGraph({ ...g, outputs: [tid!] });
  return { graph, tensor: g.tensors[tid!].name, pool };
}

/**
 * The cut base graph with another input size [H, W, C] (same channels): every activation shape is inferred
 * again, so a fully convolutional base (a MobileNet up to its global pool) runs at 96x96 or 128x128 as well.
 * A base whose shapes cannot follow (a fixed Reshape, a dense layer before the cut) is an EF5003.
 */
export function resizeBaseInput(g: Graph, input: number[], file?: string): Graph {
  const t = g.tensors[g.inputs[0]];
  const old = t.shape.slice(1);
  if (input.length !== old.length || input[input.length - 1] !== old[old.length - 1] || input.some((d) => !(Number.isInteger(d) && d > 0)))
    fail('EF5003', `"input" [${input}] does not fit the base model's input [${old}]: other sizes need the same rank and channel count`, { file });
  const tensors = g.tensors.map((x): Tensor => (x.id === t.id ? { ...x, shape: [t.shape[0] < 0 ? 1 : t.shape[0], ...input] } : x.data ? x : { ...x, shape: [] }));
  try {
    return inferGraph({ ...g, tensors });
  } catch (e) {
    if (!(e instanceof EspforgeError)) throw e;
    return fail('EF5003', `the base model cannot take input [${input}] (its input is [${old}]): ${e.diagnostics[0]?.message ?? ''}`, {
      file,
      node: e.diagnostics[0]?.node,
      suggestion: `use "input": [${old}], or cut the base before the layer that needs the original size`,
    });
  }
}

export interface FileBase {
  /** The cut graph (float IR). */
  graph: Graph;
  /** Tensor the base ends at. */
  tensor: string;
  pool?: 'mean' | 'max';
  /** Input shape without the batch axis. */
  input: number[];
}

/**
 * Apply a cut base graph to a symbolic input; returns its output and the layers created (graph order), plus
 * the global pool 'auto' asked for.
 */
export function applyFileBase(base: FileBase, input: Sym, prefix = ''): { output: Sym; layers: tfl.layers.Layer[] } {
  const { outputs, layers } = applyGraph(base.graph, [input], { prefix });
  let output = outputs[0];
  if (base.pool) {
    const name = `${prefix}${base.tensor.replace(/[^A-Za-z0-9._-]/g, '_')}_gap`.replace(/^[^A-Za-z0-9]/, 'n');
    const l = base.pool === 'max' ? tfl.layers.globalMaxPooling2d({ name }) : tfl.layers.globalAveragePooling2d({ name });
    layers.push(l);
    output = l.apply(output) as Sym;
  }
  const sh = output.shape;
  if (sh.length === 4 && sh[1] === 1 && sh[2] === 1) {
    // a global pool that kept its 1x1 spatial axes (ONNX keepdims, ESP-DL's GlobalAveragePool): a feature vector
    const l = tfl.layers.flatten({ name: `${prefix}${base.tensor.replace(/[^A-Za-z0-9._-]/g, '_')}_features`.replace(/^[^A-Za-z0-9]/, 'n') });
    layers.push(l);
    output = l.apply(output) as Sym;
  }
  return { output, layers };
}
