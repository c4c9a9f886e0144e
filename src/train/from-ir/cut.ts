// Imported graphs as training bases: a float twin of a quantized graph, cutting at a named tensor (or at the
// classifier's input, 'auto'), another input size, and applying the cut graph under a spec model's head.

import { EspforgeError, fail } from '../../diagnostics.js';
import { inferGraph } from '../../ops/infer.js';
import { producers, pruneGraph, type Graph, type Node, type Tensor } from '../../ir/graph.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { applyGraph } from './graph.js';
import type { Sym } from './lower.js';

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
