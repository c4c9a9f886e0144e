// The graph walk: a float IR graph (what loadModel returns: NHWC, constants in place) applied to symbolic
// inputs as tfjs layers with the same weights (lower.ts per op), so an imported model can serve as a trainable
// base under a new head. An Add/Sub of a constant right after a bias-free-or-biased Conv/FullyConnected (how
// ONNX exports biases) folds into that layer's bias. Layers take the IR node names (sanitised), so reports and
// "freeze the first 30 % of the layers" read naturally.

import { fail } from '../../diagnostics.js';
import { consumers, producers, type Graph, type Node, type Tensor } from '../../ir/graph.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ElementwiseActivation } from './layers.js';
import { LOWERINGS, tfSamePads, type LowerCtx, type Sym } from './lower.js';

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
    const lower = LOWERINGS[n.op];
    if (!lower) return unsupported(n, 'no TF.js layer for this op');
    const ctx: LowerCtx = {
      T,
      inShape: n.inputs[0] >= 0 ? T(n.inputs[0]).shape : [],
      out,
      extraBias: extraBias.get(i),
      input: (k = 0) => input(n, k),
      constData: (k, what) => constData(n, k, what),
      set,
      ap,
      layerName,
      unsupported: (why) => unsupported(n, why),
      fusedAct: () => fusedAct(n),
      withAfter: (x, after) => withAfter(n, x, after),
      spatialPadding: (x, pads, k, s, d, allowZeroPad) => spatialPadding(n, x, pads, k, s, d, allowZeroPad),
    };
    lower(n, ctx);
  });
  const outputs = g.outputs.map((id) => {
    const s = sym.get(id);
    if (!s) fail('EF2008', `graph output '${T(id).name}' was not computed (is it a graph input or a constant?)`);
    return s!;
  });
  return { outputs, layers };
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
