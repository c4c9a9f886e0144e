// The PTQ graph rewrite: float graph + per-tensor ranges → quantized graph. Shared-quantization groups, fixed
// output parameters, weights and biases per node, requantize nodes for operands kept apart, and float islands
// around ops without an integer kernel.

import { fail } from '../diagnostics.js';
import type { DType } from '../ir/dtype.js';
import { pruneGraph, type Graph, type QuantParams, type Tensor } from '../ir/graph.js';
import { hasOp, getOp } from '../ops/index.js';
import { dtypeIslands } from './islands.js';
import type { Range } from './observers.js';
import { asymmetricParams, rangeOf, symmetricParams } from './params.js';
import { fixedOutput, INT8_ONLY_OPS, ptqKeepsFloat, sharedPorts, weightPorts } from './policy.js';
import { quantizeData, quantizeWeights } from './weights.js';
import { lstmCellParams, lstmSharedPairs, lstmWeightPorts, quantizeLstm } from './lstm.js';

export const isFloatT = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/**
 * Build the quantized graph from a float graph and per-tensor ranges. Pure: no calibration, no qparams.
 * Tensor names are kept, so float and quantized tensors correspond by name.
 */
export function quantizeWithRanges(fg: Graph, ranges: Map<number, Range>, scheme: 'int8' | 'int16' = 'int8', int16Nodes?: ReadonlySet<string>): Graph {
  const act: DType = scheme === 'int16' ? 'int16' : 'int8';
  let boundary = new Set<string>();
  // island tensors: int16 ones in an int8 model (mixed scheme), int8 ones around int8-only ops in an int16 model
  const islandIds = new Set<number>();
  const islandDt: DType = scheme === 'int16' ? 'int8' : 'int16';
  const islandNodes =
    scheme === 'int16'
      ? new Set(fg.nodes.filter((n) => INT8_ONLY_OPS.has(n.op) && n.inputs.some((id) => id >= 0 && isFloatT(fg.tensors[id]) && !fg.tensors[id].data)).map((n) => n.name))
      : int16Nodes;
  if (islandNodes && islandNodes.size) {
    const r = dtypeIslands(fg, ranges, islandNodes, islandDt);
    fg = r.graph;
    ranges = r.ranges;
    boundary = r.boundary;
    for (const id of r.islandIds) islandIds.add(id);
  }
  const actParams = (r: Range, dt: DType) => (dt === 'int8' ? asymmetricParams(r) : symmetricParams(r, 32767));
  const tensors: Tensor[] = fg.tensors.map((t) => ({ ...t }));
  if (!fg.inputs.some((i) => isFloatT(fg.tensors[i])) && !fg.nodes.length)
    fail('EF3003', 'the model has no float input to quantize');
  for (const i of fg.inputs)
    if (!isFloatT(fg.tensors[i]))
      fail('EF3003', `input '${fg.tensors[i].name}' is ${fg.tensors[i].dtype}: the model is already quantized or takes integer input`, {
        suggestion: 'quantize the float version of the model',
      });

  // which constant ports are weights/biases (quantized per op below) — the rest are activation-like operands
  const weightPort = new Set<string>();
  for (const n of fg.nodes) {
    const wp = weightPorts(n.op);
    if (wp && !ptqKeepsFloat(n, fg.tensors))
      for (const k of [wp.port, wp.biasPort]) if (k !== undefined && n.inputs[k] >= 0 && n.inputs[k] !== undefined) weightPort.add(`${n.inputs[k]}`);
  }
  for (const n of fg.nodes) for (const k of lstmWeightPorts(n, fg.tensors)) weightPort.add(`${n.inputs[k]}`);

  // union-find over tensors that must share quantization
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  const fixed = new Map<number, { scale: number; zeroPoint: number }>();
  for (const [id, f] of lstmCellParams(fg, ranges)) fixed.set(id, f);
  const fixedGroup = (id: number) => [...fixed.keys()].some((f) => find(f) === find(id));
  // operands of multi-input shared ops (Concat, Max, Min) that carry a fixed quantization (a Softmax, Sigmoid or
  // Tanh output) are not merged into the group: two different fixed parameters cannot share one, and the other
  // operands should not be squeezed into [0, 1]. Concat requantizes them; Max / Min get a requantize node below.
  const apart: [number, number][] = [];
  for (const n of fg.nodes) {
    const out = n.outputs[0];
    if (!isFloatT(fg.tensors[out])) continue;
    const f = fixedOutput(n.op, islandIds.has(out) ? islandDt : act);
    if (f) fixed.set(out, f);
    if (boundary.has(n.name)) continue;
    const sh = sharedPorts(n.op);
    if (!sh) continue;
    const ports = sh === 'all' ? n.inputs.map((_, k) => k) : sh;
    for (const k of ports) {
      const id = n.inputs[k];
      if (!(id >= 0 && isFloatT(fg.tensors[id]) && !weightPort.has(`${id}`))) continue;
      if (sh === 'all' && ports.length > 1 && fixedGroup(id)) apart.push([out, id]);
      else union(out, id);
    }
  }
  for (const n of fg.nodes) for (const [a, b] of lstmSharedPairs(n)) union(a, b);
  // group ranges (union of members; constants contribute their own values)
  const groupRange = new Map<number, Range>();
  const activationIds = new Set<number>();
  const addRange = (id: number, r: Range) => {
    const g = find(id);
    const cur = groupRange.get(g);
    groupRange.set(g, cur ? { min: Math.min(cur.min, r.min), max: Math.max(cur.max, r.max) } : { ...r });
  };
  for (const n of fg.nodes)
    for (const id of [...n.inputs, ...n.outputs]) {
      if (id < 0 || !isFloatT(fg.tensors[id]) || weightPort.has(`${id}`)) continue;
      activationIds.add(id);
    }
  for (const id of fg.inputs) activationIds.add(id);
  for (const id of activationIds) {
    const t = fg.tensors[id];
    const r = t.data ? rangeOf(t.data) : ranges.get(id);
    if (!r) fail('EF3001', `no calibration range for tensor '${t.name}'`);
    addRange(id, r);
  }
  // the shared group still covers the values of the operands kept apart
  for (const [out, id] of apart) {
    const r = ranges.get(id);
    if (r) addRange(out, r);
  }
  const groupFixed = new Map<number, { scale: number; zeroPoint: number }>();
  for (const [id, f] of fixed) {
    const g = find(id);
    if (!groupFixed.has(g)) groupFixed.set(g, f);
  }
  // activation dtype per group: the scheme's, or the island's where an island tensor is a member
  const groupDt = new Map<number, DType>();
  for (const id of islandIds) groupDt.set(find(id), islandDt);
  for (const [id] of lstmCellParams(fg, ranges)) groupDt.set(find(id), 'int16');
  const dtOf = (id: number): DType => groupDt.get(find(id)) ?? act;
  const groupQuant = new Map<number, QuantParams>();
  const quantOf = (id: number): QuantParams => {
    const g = find(id);
    let q = groupQuant.get(g);
    if (!q) {
      const p = groupFixed.get(g) ?? actParams(groupRange.get(g)!, dtOf(id));
      q = { scale: [p.scale], zeroPoint: [p.zeroPoint], axis: 0 };
      groupQuant.set(g, q);
    }
    return q;
  };
  for (const id of activationIds) {
    const t = tensors[id];
    const quant = quantOf(id);
    const dt = dtOf(id);
    tensors[id] = t.data
      ? { ...t, dtype: dt, quant, data: quantizeData(t.data, quant, dt, t.shape) }
      : { ...t, dtype: dt, quant };
  }

  // weights and biases, per node (a bias depends on the node's input scale, so it gets its own tensor when shared)
  const nodes = fg.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } }));
  const written = new Set<number>();
  const place = (orig: number, t: Omit<Tensor, 'id'>): number => {
    if (!written.has(orig)) {
      written.add(orig);
      tensors[orig] = { ...t, id: orig };
      return orig;
    }
    const id = tensors.length;
    tensors.push({ ...t, name: `${t.name}_${id}`, id });
    return id;
  };
  for (const n of nodes) {
    if (n.op === 'Lstm') {
      quantizeLstm(n, fg, tensors, place);
      continue;
    }
    const wp = weightPorts(n.op);
    if (!wp || ptqKeepsFloat(n, fg.tensors)) continue;
    const x = n.inputs[0];
    const w = n.inputs[wp.port];
    const b = wp.biasPort === undefined ? undefined : n.inputs[wp.biasPort];
    const wt = fg.tensors[w];
    if (!wt?.data) fail('EF2005', `${n.op} weight '${wt?.name}' is not constant`, { node: n.name });
    if (!isFloatT(fg.tensors[x])) fail('EF3003', `${n.op} input '${fg.tensors[x].name}' is not float`, { node: n.name });
    const bt = b !== undefined && b >= 0 ? fg.tensors[b] : undefined;
    if (bt && !bt.data) fail('EF2005', `${n.op} bias '${bt.name}' is not constant`, { node: n.name });
    const biasT: DType = dtOf(x) === 'int16' ? 'int64' : 'int32';
    const sIn = quantOf(x).scale[0];
    // an int32 bias must fit: the weight scale grows where it would not (TFLite's AdjustWeightsForBiasScale)
    const qw = quantizeWeights(wt, wp.granularity === 'per-channel' ? wp.axis ?? 0 : undefined, bt?.data && biasT === 'int32' ? { data: bt.data, inputScale: sIn } : undefined);
    n.inputs[wp.port] = place(w, { name: wt.name, dtype: 'int8', shape: [...wt.shape], data: qw.data, quant: qw.quant });
    if (bt?.data && b !== undefined) {
      const C = bt.data.length;
      const bScales = qw.quant.scale.length > 1 ? qw.quant.scale : [qw.quant.scale[0]];
      const scale = bScales.map((s) => Math.fround(sIn * s));
      if (scale.length > 1 && scale.length !== C) fail('EF1004', `bias '${bt.name}' has ${C} values for ${scale.length} channels`, { node: n.name });
      const quant: QuantParams = { scale, zeroPoint: scale.map(() => 0), axis: 0 };
      const data = quantizeData(bt.data, quant, biasT, bt.shape);
      n.inputs[wp.biasPort!] = place(b, { name: bt.name, dtype: biasT, shape: [...bt.shape], data, quant });
    }
  }
  // mixed-scheme boundaries become TFLite QUANTIZE requantize nodes (int8 ↔ int16)
  for (const n of nodes)
    if (boundary.has(n.name)) {
      const q = tensors[n.outputs[0]].quant!;
      n.op = 'Quantize';
      n.attrs = { scale: q.scale, zero_point: q.zeroPoint, axis: q.axis, to: tensors[n.outputs[0]].dtype };
    }
  const info = { ...(fg.meta.info ?? {}), quantization: boundary.size && scheme === 'int8' ? 'mixed' : scheme };
  const islands = floatIslands(fg, tensors, requantizeApart(nodes, tensors, apart), act);
  return pruneGraph({ tensors, nodes: islands, inputs: [...fg.inputs], outputs: [...fg.outputs], meta: { ...fg.meta, info } });
}

/**
 * Max / Min compare stored values, so an operand kept apart from the shared quantization (see `apart`) is
 * requantized to the output's parameters by a QUANTIZE node in front of the reader. Concat needs none: its kernel
 * requantizes inputs whose parameters differ.
 */
function requantizeApart(nodes: Graph['nodes'], tensors: Tensor[], apart: [number, number][]): Graph['nodes'] {
  if (!apart.length) return nodes;
  const out: Graph['nodes'] = [];
  const same = (a: QuantParams | undefined, b: QuantParams | undefined) =>
    !!a && !!b && a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0];
  for (const n of nodes) {
    if (n.op === 'Max' || n.op === 'Min') {
      const y = tensors[n.outputs[0]];
      n.inputs = n.inputs.map((id) => {
        if (id < 0 || !apart.some(([o, i]) => o === n.outputs[0] && i === id) || same(tensors[id].quant, y.quant)) return id;
        const t = tensors[id];
        const rid = tensors.length;
        tensors.push({ name: `${t.name}_requantized_${rid}`, dtype: y.dtype, shape: [...t.shape], quant: y.quant, id: rid });
        out.push({ op: 'Quantize', name: `${t.name}_requantize_${rid}`, inputs: [id], outputs: [rid], attrs: { scale: y.quant!.scale, zero_point: y.quant!.zeroPoint, axis: y.quant!.axis, to: y.dtype } });
        return rid;
      });
    }
    out.push(n);
  }
  return out;
}

/**
 * Ops without an integer kernel (e.g. Erf) stay float: their quantized inputs are dequantized
 * (Dequantize node), their outputs stay float32, and integer readers of those outputs get a Quantize node with
 * the output's calibrated parameters. A trailing float op therefore makes a float graph output.
 */
function floatIslands(fg: Graph, tensors: Tensor[], nodes: Graph['nodes'], act: DType): Graph['nodes'] {
  // an int8-only op still reading int16 activations (not moved to an int8 island) stays float, and so do ops whose
  // slope is not constant (ptqKeepsFloat)
  const isFloatNode = nodes.map((n) => !(hasOp(n.op) && getOp(n.op).int) || ptqKeepsFloat(n, tensors) || (INT8_ONLY_OPS.has(n.op) && tensors[n.inputs[0]]?.dtype === 'int16'));
  if (!isFloatNode.some(Boolean)) return nodes;
  const floatProduced = new Set<number>();
  nodes.forEach((n, i) => isFloatNode[i] && n.outputs.forEach((o) => floatProduced.add(o)));
  // float-produced tensors get their float type back (their quant record stays known for the Quantize below)
  const intQuant = new Map<number, QuantParams>();
  const intDt = new Map<number, DType>();
  for (const id of floatProduced) {
    const q = tensors[id].quant;
    if (q) intQuant.set(id, q);
    intDt.set(id, tensors[id].dtype === 'int16' ? 'int16' : act);
    tensors[id] = { ...tensors[id], dtype: fg.tensors[id].dtype, quant: undefined };
  }
  const deq = new Map<number, number>();
  const quan = new Map<number, number>();
  const out: Graph['nodes'] = [];
  const add = (t: Omit<Tensor, 'id'>) => {
    const id = tensors.length;
    tensors.push({ ...t, id });
    return id;
  };
  nodes.forEach((n, i) => {
    if (isFloatNode[i]) {
      const inputs = n.inputs.map((id) => {
        if (id < 0) return id;
        const t = tensors[id];
        if (t.data && t.quant) {
          // a constant operand of a float op keeps its float values
          return add({ name: `${t.name}_float`, dtype: 'float32', shape: [...t.shape], data: Float32Array.from(fg.tensors[id].data!) });
        }
        if (!t.quant || floatProduced.has(id)) return id;
        let d = deq.get(id);
        if (d === undefined) {
          d = add({ name: `${t.name}_dequantized`, dtype: 'float32', shape: [...t.shape] });
          out.push({ op: 'Dequantize', name: `${t.name}_dequantize`, inputs: [id], outputs: [d], attrs: { scale: t.quant.scale, zero_point: t.quant.zeroPoint, axis: t.quant.axis } });
          deq.set(id, d);
        }
        return d;
      });
      out.push({ ...n, inputs });
      return;
    }
    const inputs = n.inputs.map((id) => {
      if (id < 0 || !floatProduced.has(id)) return id;
      let q = quan.get(id);
      if (q === undefined) {
        const qp = intQuant.get(id);
        if (!qp) fail('EF3001', `no quantization parameters for '${tensors[id].name}'`, { node: n.name });
        const dt = intDt.get(id) ?? act;
        q = add({ name: `${tensors[id].name}_quantized`, dtype: dt, shape: [...tensors[id].shape], quant: qp });
        out.push({ op: 'Quantize', name: `${tensors[id].name}_quantize`, inputs: [id], outputs: [q], attrs: { scale: qp.scale, zero_point: qp.zeroPoint, axis: qp.axis, to: dt } });
        quan.set(id, q);
      }
      return q;
    });
    out.push({ ...n, inputs });
  });
  return out;
}
