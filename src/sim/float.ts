// The float reference interpreter: runs a graph node by node with the registry's float kernels, freeing each
// intermediate as soon as its last reader has run.

import { fail } from '../diagnostics.js';
import { castArray, shapeSize } from '../ir/dtype.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { getOp, normalizeAttrs } from '../ops/index.js';
import type { OpDef, Value } from '../ops/types.js';

export interface RunOptions {
  /** Keep every intermediate value (for per-layer comparison). */
  keepAll?: boolean;
  /** Called after each node with its outputs. */
  onNode?: (node: Node, index: number, outputs: Value[]) => void;
}

export interface PreparedGraph {
  graph: Graph;
  attrs: ReturnType<typeof normalizeAttrs>[];
  lastUse: number[];
  /** Per node: its op definition. */
  defs: OpDef[];
  /** Constant tensors as values, shapes coerced to int32 (dims parsed from model files are often boxed doubles,
   * which would push every kernel's index arithmetic off V8's small-integer path). */
  consts: (Value | undefined)[];
  /** Per node: tensors whose last reader it is (graph inputs excluded), freed after it runs. */
  frees: number[][];
}

/** Normalise attributes and resolve ops once so that repeated runs (datasets) do not redo it per image. */
export function prepareFloat(g: Graph): PreparedGraph {
  const attrs = g.nodes.map((n) => normalizeAttrs(getOp(n.op), n.attrs, n.name));
  const defs = g.nodes.map((n) => getOp(n.op));
  const lastUse = new Array<number>(g.tensors.length).fill(-1);
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t >= 0 && (lastUse[t] = i)));
  for (const o of g.outputs) lastUse[o] = Infinity;
  const consts = g.tensors.map((t): Value | undefined => (t.data ? { dtype: t.dtype, shape: t.shape.map((d) => d | 0), data: t.data } : undefined));
  const isInput = new Set(g.inputs);
  const frees = g.nodes.map((n, i) => [...new Set(n.inputs)].filter((t) => t >= 0 && lastUse[t] === i && !isInput.has(t)));
  return { graph: g, attrs, lastUse, defs, consts, frees };
}

/**
 * Check a value against graph input `t` (shape in the stored layout; -1 dims take the value's) and convert it
 * to the input's dtype. Shared by the float and integer interpreters.
 */
export function bindGraphInput(t: Tensor, v: Value): Value {
  const want = t.shape.map((d, i) => (d < 0 ? v.shape[i] : d));
  if (v.shape.length !== t.shape.length || want.some((d, i) => d !== v.shape[i]))
    fail('EF1004', `input '${t.name}' expects shape [${t.shape}] (in the stored layout), got [${v.shape}]`);
  if (shapeSize(v.shape) !== v.data.length) fail('EF1004', `input '${t.name}' data has ${v.data.length} values for shape [${v.shape}]`);
  return v.dtype === t.dtype ? v : { dtype: t.dtype, shape: v.shape, data: castArray(v.data, t.dtype) };
}

/** Run the graph on `inputs` (one per graph input, in the stored layout). Returns one value per graph output. */
export function runFloat(gp: Graph | PreparedGraph, inputs: Value[], opts: RunOptions = {}): { outputs: Value[]; values?: Map<number, Value> } {
  const p = 'lastUse' in gp ? gp : prepareFloat(gp);
  const g = p.graph;
  if (inputs.length !== g.inputs.length) fail('EF1009', `the model has ${g.inputs.length} inputs, ${inputs.length} given`);
  const vals = new Array<Value | undefined>(g.tensors.length);
  g.inputs.forEach((id, k) => (vals[id] = bindGraphInput(g.tensors[id], inputs[k])));
  const get = (id: number): Value | undefined => {
    if (id < 0) return undefined;
    const v = vals[id] ?? p.consts[id];
    if (v) return v;
    return fail('EF1009', `tensor '${g.tensors[id].name}' has no value`);
  };
  const kept = opts.keepAll ? new Map<number, Value>() : undefined;
  if (kept) for (const id of g.inputs) kept.set(id, vals[id]!);
  const nodes = g.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const ins = new Array<Value | undefined>(n.inputs.length);
    for (let k = 0; k < n.inputs.length; k++) ins[k] = get(n.inputs[k]);
    const outs = p.defs[i].evalFloat(ins, p.attrs[i], n);
    for (let k = 0; k < n.outputs.length; k++) {
      vals[n.outputs[k]] = outs[k];
      kept?.set(n.outputs[k], outs[k]);
    }
    opts.onNode?.(n, i, outs);
    if (!kept) for (const t of p.frees[i]) vals[t] = undefined;
  }
  return { outputs: g.outputs.map((o) => get(o)!), values: kept };
}
