// Post-training quantization: float graph + calibration data → TFLite-style quantized IR.
//
//   activations  int8 asymmetric per tensor: range always contains 0, scale = (max − min)/255 (float32),
//                zero point nudged to an integer in [−128, 127]   (int16 scheme: symmetric, zp = 0)
//   weights      int8 symmetric (zp = 0, values in [−127, 127]): per output channel (axis 0) for Conv and
//                depthwise Conv, per tensor for FullyConnected and ConvTranspose (TFLite's converter defaults)
//   bias         int32 (int16 scheme: int64), zp = 0, scale = s_in · s_w[c]
//   fused activations stay on the op: the integer kernels apply them as the output clamp
//   fixed output scales: Softmax and Sigmoid 1/256 zp −128, Tanh 1/128 zp 0, LogSoftmax 16/256 zp 127
//   pass-through ops (pools, Reshape, Transpose, Pad, Slice, Gather, ReduceMax, Resize, Concat, Max, Min) share one
//   scale/zero point between their data inputs and output, so the kernels never requantize there
//
// int16 scheme: ops whose integer kernels are int8-only (INT8_ONLY_OPS: LogSoftmax, HardSwish; TFLM has no int16
// version) run as int8 islands between QUANTIZE int16 → int8 and int8 → int16 nodes, so the model stays integer
// and builds.
//
// Mixed scheme (int8 with int16 islands): the model is quantized int8 first and its per-layer SQNR against the
// float model is measured on (part of) the calibration set; the computing layers below `mixedThresholdDb` (lowest
// first, at most `mixedMaxInt16Layers`) move to int16 activations (16x8: int8 weights, int64 bias). At the island
// boundaries TFLite QUANTIZE requantize nodes convert int8 → int16 and back (MBQM of s_in/s_out). Tensor names are
// kept for the moved layers' outputs; the boundary tensors get the suffixes _int16 / _int8.
//
// The graph inputs and outputs become int8 (int16) tensors with quantization records, as in TFLite full-integer
// conversion: the caller quantizes float input with the input's scale/zp and dequantizes the output.
// Quantization parameters are computed once here and stored on the tensors; prepareIntGraph (src/sim/int.ts)
// then derives node.qparams from them.

import { nonFiniteWeight } from '../import/validate.js';
import { fail } from '../diagnostics.js';
import { allocArray, type DType, type TypedArray } from '../ir/dtype.js';
import { pruneGraph, type Graph, type QuantParams, type Tensor } from '../ir/graph.js';
import { runPasses } from '../passes/index.js';
import { prepareIntGraph } from '../sim/int.js';
import { rha } from './fixedpoint.js';
import { INT_KERNELS } from '../sim/int/index.js';
import { calibrate, collectSamples, type CalibData, type CalibrateOptions } from './calibrate.js';
import type { CalibMethod, Range } from './observers.js';
import type { Value } from '../ops/types.js';
import { lowerGru } from './lower-gru.js';
import { lstmCellParams, lstmCellRanges, lstmSharedPairs, lstmWeightPorts, quantizeLstm } from './lstm.js';

export type QuantScheme = 'int8' | 'int16' | 'mixed';
export const QUANT_SCHEMES: readonly QuantScheme[] = ['int8', 'int16', 'mixed'];

export interface QuantizeOptions extends CalibrateOptions {
  scheme?: QuantScheme;
  method?: CalibMethod;
  /** Run the float pass pipeline first (default true). */
  passes?: boolean;
  /** Fill node.qparams with prepareIntGraph (default true). */
  prepare?: boolean;
  /** Mixed scheme: layers whose int8 SQNR (dB) is below this move to int16 (default 30). */
  mixedThresholdDb?: number;
  /** Mixed scheme: at most this many layers move to int16, the least accurate first (default 4). */
  mixedMaxInt16Layers?: number;
  /** Mixed scheme: calibration samples used to measure the per-layer error (default 64). */
  mixedSamples?: number;
}

/** One layer moved to int16 by the mixed scheme, with its SQNR (dB) against float before and after. */
export interface MixedLayer {
  node: string;
  op: string;
  tensor: string;
  int8SqnrDb: number;
  mixedSqnrDb: number;
}

export interface MixedReport {
  thresholdDb: number;
  maxLayers: number;
  samples: number;
  moved: MixedLayer[];
  /** Output-tensor SQNR of every layer of the int8 model (the ranking the choice was made on). */
  int8Layers: { node: string; op: string; tensor: string; sqnrDb: number }[];
}

export interface QuantizeResult {
  /** The quantized graph (tensor quantization records set, node.qparams filled unless prepare: false). */
  graph: Graph;
  /** The float graph that was calibrated (after the pass pipeline). Tensors correspond to `graph` by name. */
  floatGraph: Graph;
  /** Clip range per float tensor id of floatGraph. */
  ranges: Map<number, Range>;
  scheme: QuantScheme;
  method: CalibMethod;
  samples: number;
  /** Mixed scheme only: which layers moved to int16 and their before/after SQNR. */
  mixed?: MixedReport;
}

/** Ops whose integer kernels run int16 (16x8) activations, i.e. layers the mixed scheme may move to int16. */
export const INT16_OPS: ReadonlySet<string> = new Set([
  'Conv', 'FullyConnected', 'Add', 'Sub', 'Mul', 'AveragePool', 'MaxPool', 'ReduceMean', 'Softmax', 'Sigmoid', 'Tanh',
  'Relu', 'Clip', 'LeakyRelu', 'Concat', 'Pad',
]);

/**
 * Ops with an int8 integer kernel but no int16 one (TFLM has none): under the int16 scheme they run as int8 islands
 * (QUANTIZE int16 → int8, the op, QUANTIZE int8 → int16), so that every integer op of the model has a C kernel.
 */
export const INT8_ONLY_OPS: ReadonlySet<string> = new Set(['LogSoftmax', 'HardSwish', 'PRelu', 'Lstm']);

/** PRelu with a slope computed at run time stays float: its integer kernel takes a quantized slope tensor, which PTQ
 * derives (like weights, symmetric int8 per tensor) only for a constant slope. */
const ptqKeepsFloat = (n: Graph['nodes'][number], tensors: Tensor[]): boolean => n.op === 'PRelu' && !tensors[n.inputs[1]]?.data;

/** Round half away from zero (C round): the one definition lives with the fixed-point helpers. */
export { rha };

/** Asymmetric quantization of a range into [qmin, qmax] with TFLite's zero-point nudging; scale is float32. */
export function asymmetricParams(r: Range, qmin = -128, qmax = 127): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) fail('EF3004', `range [${r.min}, ${r.max}] is not finite`);
  let scale = (hi - lo) / (qmax - qmin);
  if (!(scale > 0)) return { scale: 1, zeroPoint: lo === 0 && hi === 0 ? 0 : qmin };
  scale = Math.fround(scale);
  if (scale === 0) scale = Math.fround(1e-30);
  const zpFromMin = qmin - lo / scale;
  const zeroPoint = zpFromMin <= qmin ? qmin : zpFromMin >= qmax ? qmax : rha(zpFromMin);
  return { scale, zeroPoint };
}

/** Symmetric (zp = 0) quantization of a range into [−qmax, qmax]. */
export function symmetricParams(r: Range, qmax: number): { scale: number; zeroPoint: number } {
  const m = Math.max(Math.abs(r.min), Math.abs(r.max));
  if (!Number.isFinite(m)) fail('EF3004', `range [${r.min}, ${r.max}] is not finite`);
  return { scale: m > 0 ? Math.fround(m / qmax) || Math.fround(1e-30) : 1, zeroPoint: 0 };
}

function rangeOf(d: ArrayLike<number>): Range {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    if (d[i] < lo) lo = d[i];
    if (d[i] > hi) hi = d[i];
  }
  return d.length ? { min: lo, max: hi } : { min: 0, max: 0 };
}

function quantizeData(d: ArrayLike<number>, q: QuantParams, dtype: DType, shape: number[]): TypedArray {
  const out = allocArray(dtype, d.length);
  const [qmin, qmax] = dtype === 'int8' ? [-128, 127] : dtype === 'int16' ? [-32768, 32767] : dtype === 'int32' ? [-2147483648, 2147483647] : [-(2 ** 53), 2 ** 53];
  const per = q.scale.length > 1;
  let inner = 1;
  for (let i = q.axis + 1; i < shape.length; i++) inner *= shape[i];
  const chans = per ? shape[q.axis] : 1;
  for (let i = 0; i < d.length; i++) {
    const c = per ? Math.floor(i / inner) % chans : 0;
    const v = rha(d[i] / q.scale[c]) + q.zeroPoint[c];
    out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return out;
}

/**
 * Degenerate weight ranges, as the TFLite converter handles them:
 * - a channel whose values span at most 1e-6 (all zero, or near-dead like 1e-30) gets its range widened to
 *   include [−5e-7, 5e-7] (MLIR quantizer, ExpandVerySmallRange: kNearZeroTolerance = 1e-6, half of it either side),
 *   so its scale is at least 5e-7/127 ≈ 3.9e-9 instead of ~1e-32 (or 0);
 * - when the int32 bias would not fit in the middle half of the int32 range (|b| ≥ ½·s_in·s_w·(2^31−1)), the weight
 *   scale grows to s_w = 2·|b| / (2^31−1) / s_in, so the bias quantizes to about ±2^30 (TOCO/MLIR
 *   AdjustWeightsForBiasScale; per tensor, with the largest |b|).
 */
export const WEIGHT_NEAR_ZERO_RANGE = 1e-6;
const INT32_MAX = 2147483647;

/**
 * Symmetric int8 weights, per channel along `axis` (or per tensor when axis is undefined). With `bias` (an int32
 * bias quantized with scale s_in · s_w), weight scales grow where the bias would not fit (see above).
 */
export function quantizeWeights(
  t: Tensor,
  axis: number | undefined,
  bias?: { data: ArrayLike<number>; inputScale: number },
): { data: TypedArray; quant: QuantParams } {
  const d = t.data!;
  const C = axis === undefined ? 1 : t.shape[axis];
  let inner = 1;
  if (axis !== undefined) for (let i = axis + 1; i < t.shape.length; i++) inner *= t.shape[i];
  const lo = new Float64Array(C).fill(Infinity);
  const hi = new Float64Array(C).fill(-Infinity);
  for (let i = 0; i < d.length; i++) {
    const c = axis === undefined ? 0 : Math.floor(i / inner) % C;
    if (d[i] < lo[c]) lo[c] = d[i];
    if (d[i] > hi[c]) hi[c] = d[i];
  }
  const scales = Array.from(lo, (mn, c) => {
    let mx = hi[c];
    if (!Number.isFinite(mn) || !Number.isFinite(mx)) {
      if (d.length) fail('EF3004', `weight '${t.name}' holds a value that is not finite`);
      mn = mx = 0;
    }
    if (!(mx - mn > WEIGHT_NEAR_ZERO_RANGE)) {
      mn = Math.min(mn, -WEIGHT_NEAR_ZERO_RANGE / 2);
      mx = Math.max(mx, WEIGHT_NEAR_ZERO_RANGE / 2);
    }
    return Math.fround(Math.max(Math.abs(mn), Math.abs(mx)) / 127);
  });
  if (bias && bias.inputScale > 0) {
    const sIn = bias.inputScale;
    const grow = (b: number, s: number) => (b >= 0.5 * sIn * s * INT32_MAX ? Math.fround(Math.fround(((2 * b) / INT32_MAX) * Math.fround(127 / sIn)) / 127) : s);
    if (C > 1 && bias.data.length === C) for (let c = 0; c < C; c++) scales[c] = grow(Math.abs(bias.data[c]), scales[c]);
    else if (C === 1) {
      let m = 0;
      for (let i = 0; i < bias.data.length; i++) m = Math.max(m, Math.abs(bias.data[i]));
      scales[0] = grow(m, scales[0]);
    }
  }
  const quant: QuantParams = { scale: scales, zeroPoint: scales.map(() => 0), axis: axis ?? 0 };
  const data = quantizeData(d, quant, 'int8', t.shape);
  // symmetric weights use [−127, 127]
  for (let i = 0; i < data.length; i++) if (data[i] < -127) data[i] = -127;
  return { data, quant };
}

/** Ops whose integer kernels do not requantize: data inputs and output share one scale/zero point. */
const SHARED: Record<string, number[] | 'all'> = {
  MaxPool: [0],
  AveragePool: [0],
  Reshape: [0],
  Transpose: [0],
  Pad: [0],
  Slice: [0],
  Gather: [0],
  ReduceMax: [0],
  Resize: [0],
  Identity: [0],
  Concat: 'all',
  // TFLite MAXIMUM / MINIMUM compare stored values: every operand and the output share one quantization
  Max: 'all',
  Min: 'all',
};

/** Weight (port 1) and bias (port 2) handling per op. */
const WEIGHTED: Record<string, 'per-channel' | 'per-tensor'> = {
  Conv: 'per-channel',
  FullyConnected: 'per-tensor',
  ConvTranspose: 'per-tensor',
  // the slope (alpha) of PRelu: an int8 tensor with its own scale, as TFLite's PRELU takes it
  PRelu: 'per-tensor',
};

function fixedOutput(op: string, act: DType): { scale: number; zeroPoint: number } | undefined {
  if (act === 'int8') {
    if (op === 'Softmax' || op === 'Sigmoid') return { scale: 1 / 256, zeroPoint: -128 };
    if (op === 'Tanh') return { scale: 1 / 128, zeroPoint: 0 };
    if (op === 'LogSoftmax') return { scale: 16 / 256, zeroPoint: 127 };
  } else {
    if (op === 'Softmax' || op === 'Sigmoid' || op === 'Tanh') return { scale: 1 / 32768, zeroPoint: 0 };
  }
  return undefined;
}

const isFloatT = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

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
  for (const n of fg.nodes) if (WEIGHTED[n.op] && !ptqKeepsFloat(n, fg.tensors)) [1, 2].forEach((k) => n.inputs[k] >= 0 && n.inputs[k] !== undefined && weightPort.add(`${n.inputs[k]}`));
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
    const sh = SHARED[n.op];
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
    const mode = WEIGHTED[n.op];
    if (!mode || ptqKeepsFloat(n, fg.tensors)) continue;
    const [x, w, b] = n.inputs;
    const wt = fg.tensors[w];
    if (!wt?.data) fail('EF2005', `${n.op} weight '${wt?.name}' is not constant`, { node: n.name });
    if (!isFloatT(fg.tensors[x])) fail('EF3003', `${n.op} input '${fg.tensors[x].name}' is not float`, { node: n.name });
    const bt = b !== undefined && b >= 0 ? fg.tensors[b] : undefined;
    if (bt && !bt.data) fail('EF2005', `${n.op} bias '${bt.name}' is not constant`, { node: n.name });
    const biasT: DType = dtOf(x) === 'int16' ? 'int64' : 'int32';
    const sIn = quantOf(x).scale[0];
    // an int32 bias must fit: the weight scale grows where it would not (TFLite's AdjustWeightsForBiasScale)
    const qw = quantizeWeights(wt, mode === 'per-channel' ? 0 : undefined, bt?.data && biasT === 'int32' ? { data: bt.data, inputScale: sIn } : undefined);
    n.inputs[1] = place(w, { name: wt.name, dtype: 'int8', shape: [...wt.shape], data: qw.data, quant: qw.quant });
    if (bt?.data && b !== undefined) {
      const C = bt.data.length;
      const bScales = qw.quant.scale.length > 1 ? qw.quant.scale : [qw.quant.scale[0]];
      const scale = bScales.map((s) => Math.fround(sIn * s));
      if (scale.length > 1 && scale.length !== C) fail('EF1004', `bias '${bt.name}' has ${C} values for ${scale.length} channels`, { node: n.name });
      const quant: QuantParams = { scale, zeroPoint: scale.map(() => 0), axis: 0 };
      const data = quantizeData(bt.data, quant, biasT, bt.shape);
      n.inputs[2] = place(b, { name: bt.name, dtype: biasT, shape: [...bt.shape], data, quant });
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
 * Island graph surgery on the float graph (mixed scheme: int16 islands in an int8 model; int16 scheme: int8
 * islands around int8-only ops): every activation input of a node in `names` that is not itself produced by such
 * a node goes through a boundary node (Identity here, a Quantize into the island's dtype after quantization), and
 * readers outside the island read the island's outputs through a boundary back. Constant operands of island
 * nodes are cloned so that they can be quantized in the island's dtype. Boundary tensors take the calibrated
 * range of the tensor they copy.
 */
function dtypeIslands(
  fg: Graph,
  ranges: Map<number, Range>,
  names: ReadonlySet<string>,
  dt: DType,
): { graph: Graph; ranges: Map<number, Range>; boundary: Set<string>; islandIds: Set<number> } {
  const inSuffix = dt === 'int16' ? 'int16' : 'int8';
  const outSuffix = dt === 'int16' ? 'int8' : 'int16';
  const moved = new Set<string>();
  for (const n of fg.nodes)
    if (names.has(n.name)) {
      if (dt === 'int16' && !INT16_OPS.has(n.op))
        fail('EF3002', `${n.op} has no int16 integer kernel and cannot move to int16`, { node: n.name, suggestion: 'keep this layer int8' });
      moved.add(n.name);
    }
  const tensors: Tensor[] = fg.tensors.map((t) => ({ ...t }));
  const r = new Map(ranges);
  const islandIds = new Set<number>();
  const boundary = new Set<string>();
  const add = (t: Omit<Tensor, 'id'>, range: Range | undefined): number => {
    const id = tensors.length;
    tensors.push({ ...t, id });
    if (range) r.set(id, range);
    return id;
  };
  const islandOut = new Set<number>();
  for (const n of fg.nodes) if (moved.has(n.name)) n.outputs.forEach((o) => islandOut.add(o));
  const toIsland = new Map<number, number>();
  const fromIsland = new Map<number, number>();
  const nodes: Graph['nodes'] = [];
  const cross = (id: number, suffix: string, memo: Map<number, number>): number => {
    let c = memo.get(id);
    if (c === undefined) {
      const t = tensors[id];
      c = add({ name: `${t.name}_${suffix}`, dtype: t.dtype, shape: [...t.shape] }, ranges.get(id));
      nodes.push({ op: 'Identity', name: `${t.name}_to_${suffix}`, inputs: [id], outputs: [c], attrs: {} });
      boundary.add(`${t.name}_to_${suffix}`);
      memo.set(id, c);
    }
    return c;
  };
  for (const n of fg.nodes) {
    if (moved.has(n.name)) {
      const inputs = n.inputs.map((id, k) => {
        if (id < 0 || id === undefined) return id;
        const t = fg.tensors[id];
        if ((WEIGHTED[n.op] && (k === 1 || k === 2)) || !isFloatT(t) || islandOut.has(id)) return id;
        if (t.data) {
          const c = add({ ...t, name: `${t.name}_${inSuffix}`, shape: [...t.shape] }, undefined);
          islandIds.add(c);
          return c;
        }
        const c = cross(id, inSuffix, toIsland);
        islandIds.add(c);
        return c;
      });
      n.outputs.forEach((o) => islandIds.add(o));
      nodes.push({ ...n, inputs, outputs: [...n.outputs], attrs: { ...n.attrs } });
    } else {
      const inputs = n.inputs.map((id) => (id >= 0 && islandOut.has(id) ? cross(id, outSuffix, fromIsland) : id));
      nodes.push({ ...n, inputs, outputs: [...n.outputs], attrs: { ...n.attrs } });
    }
  }
  return { graph: { ...fg, tensors, nodes }, ranges: r, boundary, islandIds };
}

/**
 * Ops without an integer kernel (e.g. Erf) stay float: their quantized inputs are dequantized
 * (Dequantize node), their outputs stay float32, and integer readers of those outputs get a Quantize node with
 * the output's calibrated parameters. A trailing float op therefore makes a float graph output.
 */
function floatIslands(fg: Graph, tensors: Tensor[], nodes: Graph['nodes'], act: DType): Graph['nodes'] {
  // an int8-only op still reading int16 activations (not moved to an int8 island) stays float, and so do ops whose
  // slope is not constant (ptqKeepsFloat)
  const isFloatNode = nodes.map((n) => !INT_KERNELS[n.op] || ptqKeepsFloat(n, tensors) || (INT8_ONLY_OPS.has(n.op) && tensors[n.inputs[0]]?.dtype === 'int16'));
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

/** Calibrate and quantize; returns the quantized graph with the float graph and ranges it came from. */
export async function quantizeModel(g: Graph, calib: CalibData, opts: QuantizeOptions = {}): Promise<QuantizeResult> {
  const scheme = opts.scheme ?? 'int8';
  const method = opts.method ?? 'minmax';
  const nf = nonFiniteWeight(g);
  if (nf)
    fail('EF2012', `weight '${nf.tensor.name}' holds ${nf.value}: a model with NaN or infinite weights cannot be quantized`, {
      file: g.meta.source,
      node: nf.node,
      suggestion: 'check the training run that produced these weights',
    });
  // TFLM has no GRU: quantization sees each Gru unrolled into integer-executable ops (src/quant/lower-gru.ts)
  const floatGraph = lowerGru(opts.passes === false ? g : runPasses(g));
  const samples = await collectSamples(calib, opts.limit ?? Infinity);
  const ranges = await calibrate(floatGraph, samples, { ...opts, method });
  lstmCellRanges(floatGraph, samples, ranges);
  if (scheme === 'mixed') {
    const r = await quantizeMixed(floatGraph, ranges, samples, opts);
    const graph = opts.prepare === false ? r.graph : r.prepared;
    return { graph, floatGraph, ranges, scheme, method, samples: samples.length, mixed: r.report };
  }
  let graph = quantizeWithRanges(floatGraph, ranges, scheme);
  if (opts.prepare !== false) graph = prepareIntGraph(graph);
  return { graph, floatGraph, ranges, scheme, method, samples: samples.length };
}

/** The mixed scheme: int8, per-layer SQNR, the worst layers (below the threshold, at most K) moved to int16. */
async function quantizeMixed(floatGraph: Graph, ranges: Map<number, Range>, samples: Value[][], opts: QuantizeOptions) {
  const thresholdDb = opts.mixedThresholdDb ?? 30;
  const maxLayers = opts.mixedMaxInt16Layers ?? 4;
  if (!(maxLayers >= 0) || !Number.isFinite(thresholdDb))
    fail('EF0006', `mixed scheme: threshold ${thresholdDb} dB and layer limit ${maxLayers} must be finite and >= 0`);
  const { layerErrors } = await import('./report.js');
  const probe = samples.slice(0, Math.max(1, opts.mixedSamples ?? 64));
  const q8 = prepareIntGraph(quantizeWithRanges(floatGraph, ranges, 'int8'));
  const before = await layerErrors(floatGraph, q8, probe);
  const shared = new Set(Object.keys(SHARED));
  const candidates = before.layers
    .filter((l) => INT16_OPS.has(l.op) && !shared.has(l.op) && l.sqnrDb < thresholdDb)
    .sort((a, b) => a.sqnrDb - b.sqnrDb)
    .slice(0, maxLayers);
  const names = new Set(candidates.map((l) => l.node));
  const graph = names.size ? quantizeWithRanges(floatGraph, ranges, 'int8', names) : quantizeWithRanges(floatGraph, ranges, 'int8');
  const prepared = names.size ? prepareIntGraph(graph) : q8;
  const after = names.size ? await layerErrors(floatGraph, prepared, probe) : before;
  const afterBy = new Map(after.layers.map((l) => [l.tensor, l.sqnrDb]));
  const report: MixedReport = {
    thresholdDb,
    maxLayers,
    samples: probe.length,
    moved: candidates.map((l) => ({ node: l.node, op: l.op, tensor: l.tensor, int8SqnrDb: l.sqnrDb, mixedSqnrDb: afterBy.get(l.tensor) ?? NaN })),
    int8Layers: before.layers.map((l) => ({ node: l.node, op: l.op, tensor: l.tensor, sqnrDb: l.sqnrDb })),
  };
  return { graph, prepared, report };
}

/** Calibrate and quantize; returns only the quantized graph. */
export async function quantizeGraph(g: Graph, calib: CalibData, opts: QuantizeOptions = {}): Promise<Graph> {
  return (await quantizeModel(g, calib, opts)).graph;
}
