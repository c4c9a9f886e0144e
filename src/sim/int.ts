// The bit-exact integer interpreter. prepareIntGraph computes node.qparams ONCE for every node through the
// integer kernels' prepare (src/sim/int/); runInt executes the graph node by node reading only those qparams,
// reproducing TensorFlow Lite Micro's reference kernels byte for byte (docs: INT8-ARITHMETIC.md).
//
// Nodes that are entirely float (no integer non-constant input or output) run the registry's float kernel, so a
// graph may keep float pre/post-processing around Quantize/Dequantize.

import { checkPrepared } from './int/prepare.js';
import { fail } from '../diagnostics.js';
import { isIntegerDType } from '../ir/dtype.js';
import type { Graph, Node } from '../ir/graph.js';
import { getOp, noIntegerKernelAdvice, normalizeAttrs } from '../ops/index.js';
import type { Value } from '../ops/types.js';
import { intKernel } from './int/index.js';
import { espdlKernel, isEspdlGraph } from './espdl/index.js';
import { bindGraphInput } from './float.js';

export interface IntRunOptions {
  /** Keep every intermediate value (for per-layer comparison). */
  keepAll?: boolean;
  /** Called after each node with its outputs. */
  onNode?: (node: Node, index: number, outputs: Value[]) => void;
}

/** Marker in qparams of nodes executed by the float kernel. */
const FLOAT_NODE = 'float_node';

function isFloatNode(g: Graph, n: Node): boolean {
  const ids = [...n.inputs.filter((i) => i >= 0 && g.tensors[i].data === undefined), ...n.outputs];
  return ids.every((i) => !isIntegerDType(g.tensors[i].dtype) && !g.tensors[i].quant);
}

/**
 * Return a copy of the graph whose nodes carry their integer-execution parameters (node.qparams), computed once
 * from the tensors' quantization records. Errors of all nodes are reported together.
 */
export function prepareIntGraph(g: Graph): Graph {
  const nodes = g.nodes.map((n) => {
    if (isFloatNode(g, n)) return { ...n, qparams: { [FLOAT_NODE]: 1 } };
    const k = isEspdlGraph(g) ? espdlKernel(n.op) : intKernel(n.op);
    if (!k)
      fail('EF3002', `operator ${n.op} has no integer kernel`, {
        node: n.name,
        suggestion: noIntegerKernelAdvice(n.op),
      });
    const qp = k.prepare(n, g);
    checkPrepared(n, qp, g);
    return { ...n, qparams: qp };
  });
  return { ...g, nodes };
}

interface Plan {
  lastUse: number[];
  isInput: Set<number>;
}
const plans = new WeakMap<Graph, Plan>();

function planOf(g: Graph): Plan {
  let p = plans.get(g);
  if (!p) {
    const lastUse = new Array<number>(g.tensors.length).fill(-1);
    g.nodes.forEach((n, i) => n.inputs.forEach((t) => t >= 0 && (lastUse[t] = i)));
    for (const o of g.outputs) lastUse[o] = Infinity;
    p = { lastUse, isInput: new Set(g.inputs) };
    plans.set(g, p);
  }
  return p;
}

const floatAttrs = new WeakMap<Node, ReturnType<typeof normalizeAttrs>>();

/** Run a prepared graph (prepareIntGraph) on `inputs`, one per graph input in the stored layout. */
export function runInt(g: Graph, inputs: Value[], opts: IntRunOptions = {}): { outputs: Value[]; values?: Map<number, Value> } {
  if (inputs.length !== g.inputs.length) fail('EF1009', `the model has ${g.inputs.length} inputs, ${inputs.length} given`);
  const p = planOf(g);
  const vals = new Map<number, Value>();
  g.inputs.forEach((id, k) => {
    const t = g.tensors[id];
    const v = inputs[k];
    if (v.dtype !== t.dtype && isIntegerDType(t.dtype) && !isIntegerDType(v.dtype))
      fail('EF1005', `input '${t.name}' is ${t.dtype} (quantized); got ${v.dtype} data`, {
        suggestion: 'quantize the input with the input tensor scale and zero point first',
      });
    vals.set(id, bindGraphInput(t, v));
  });
  const get = (id: number): Value | undefined => {
    if (id < 0) return undefined;
    const v = vals.get(id);
    if (v) return v;
    const t = g.tensors[id];
    if (t.data) return { dtype: t.dtype, shape: t.shape, data: t.data };
    return fail('EF1009', `tensor '${t.name}' has no value`);
  };
  g.nodes.forEach((n, i) => {
    if (!n.qparams) fail('EF3001', `node has no integer parameters; call prepareIntGraph first`, { node: n.name });
    const ins = n.inputs.map(get);
    let outs: Value[];
    if (n.qparams[FLOAT_NODE] === 1) {
      const def = getOp(n.op);
      let a = floatAttrs.get(n);
      if (!a) {
        a = normalizeAttrs(def, n.attrs, n.name);
        floatAttrs.set(n, a);
      }
      outs = def.evalFloat(ins, a, n);
    } else {
      const k = isEspdlGraph(g) ? espdlKernel(n.op) : intKernel(n.op);
      if (!k) return fail('EF3002', `operator ${n.op} has no integer kernel`, { node: n.name });
      outs = k.eval(ins, n, g, n.qparams);
    }
    n.outputs.forEach((o, k) => vals.set(o, outs[k]));
    opts.onNode?.(n, i, outs);
    if (!opts.keepAll) for (const t of n.inputs) if (t >= 0 && p.lastUse[t] === i && !p.isInput.has(t)) vals.delete(t);
  });
  return { outputs: g.outputs.map((o) => get(o)!), values: opts.keepAll ? vals : undefined };
}
