// ESP-DL's quantization scheme (esp-ppq's EspdlQuantizer, as documented in ../shared/docs/TARGETS.md):
// symmetric, zero point 0, power-of-two scales, int8. A tensor's exponent comes from its calibrated range as
// scale = 2·max|x| / (qmax − qmin) rounded UP to a power of two; integers are round(x / 2^e) with the chip's
// rounding (half-even on P4, half-up on S3), then clamped to [-128, 127]. Biases sit at e_in + e_w (int32; 20-bit
// on the ESP32-S3). Conv/Gemm/Mul outputs keep e_out ≥ e_in + e_w (ESP-DL only shifts accumulators right).
// Data movement (Reshape, Transpose, Slice, Pad, MaxPool) keeps its input exponent; Concat inputs with another
// exponent get an explicit requantize (RequantizeLinear). Activations other than ReLU become 8-bit tables.
// Weights are per-tensor on every chip here (esp-ppq's P4 per-channel weights are not emitted).
//
// The result is an IR graph in ESP-DL arithmetic mode (meta.info.arithmetic = 'espdl') that maps one to one onto
// the .espdl nodes the writer emits, so the integer simulator's output is what the board computes.

import { fail } from '../../diagnostics.js';
import { shapeSize, type TypedArray } from '../../ir/dtype.js';
import { GraphBuilder, consumers, producers, type Graph, type Node, type QuantParams } from '../../ir/graph.js';
import { inferGraph } from '../../ops/infer.js';
import { runPasses } from '../../passes/index.js';
import type { Value } from '../../ops/types.js';
import { calibrate } from '../../quant/calibrate.js';
import type { Range } from '../../quant/observers.js';
import { chipRounding, roundChip, saturate } from '../../sim/espdl/arith.js';
import { espdlLut } from '../../sim/espdl/index.js';

export const ESPDL_EXPORT_CHIPS = ['esp32s3', 'esp32p4'] as const;

/** Ops the ESP-DL export maps onto ESP-DL operators. */
const MOVE = new Set(['Reshape', 'Transpose', 'Slice', 'Pad', 'MaxPool', 'Identity', 'Resize']);
const LUT = new Set(['Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Elu']);
const EXPORTABLE = new Set(['Conv', 'FullyConnected', 'Add', 'Sub', 'Mul', 'Relu', 'Clip', 'AveragePool', 'ReduceMean', 'Concat', ...MOVE, ...LUT]);
/** Fused activations ESP-DL's Conv/Gemm cannot fuse: the op runs Linear and a Clip follows (same exponent). */
const CLIPPED: Record<string, [number, number]> = { relu6: [0, 6], relu_n1_to_1: [-1, 1] };

export interface EspdlQuantResult {
  graph: Graph;
  notes: string[];
}

/** Exponent of a range under esp-ppq's minmax rule. */
export function rangeExponent(r: Range | undefined, bits = 8): number {
  const m = r ? Math.max(Math.abs(r.min), Math.abs(r.max)) : 0;
  if (!(m > 0) || !Number.isFinite(m)) return -(bits - 1);
  return Math.ceil(Math.log2((2 * m) / (2 ** bits - 1)));
}

function q(e: number): QuantParams {
  return { scale: [2 ** e], zeroPoint: [0], axis: 0 };
}

/** Quantize a float graph for ESP-DL on `chip` with calibration samples (graph-input layout). */
export async function quantizeEspdl(g: Graph, samples: Value[][], chip: string): Promise<EspdlQuantResult> {
  if (!(ESPDL_EXPORT_CHIPS as readonly string[]).includes(chip))
    fail('EF0006', `--format espdl supports --target ${ESPDL_EXPORT_CHIPS.join(' or ')}, not ${chip}`, {
      suggestion: 'ESP-DL files are chip-class specific; the C-target (esp32, C-series) layouts are not emitted',
    });
  const notes: string[] = [];
  let fg = runPasses(g);
  // a trailing Softmax stays float in ESP-DL; argmax does not need it
  const prod = producers(fg);
  const cons = consumers(fg);
  const dropped = new Set<Node>();
  const outs = fg.outputs.map((o) => {
    const p = prod.get(o);
    const n = p !== undefined ? fg.nodes[p] : undefined;
    if (n && (n.op === 'Softmax' || n.op === 'LogSoftmax') && (cons.get(o) ?? []).length === 0) {
      notes.push(`the final ${n.op} '${n.name}' is left out (ESP-DL outputs it in float; the logits keep the argmax)`);
      dropped.add(n);
      return n.inputs[0];
    }
    return o;
  });
  if (dropped.size) fg = { ...fg, outputs: outs, nodes: fg.nodes.filter((n) => !dropped.has(n)) };
  const bad = [...new Set(fg.nodes.filter((n) => !EXPORTABLE.has(n.op)).map((n) => n.op))];
  if (bad.length)
    fail('EF2002', `operators without an ESP-DL export: ${bad.join(', ')}`, {
      suggestion: `the ESP-DL export handles ${[...EXPORTABLE].join(', ')}`,
    });
  for (const n of fg.nodes) {
    const act = n.attrs.activation;
    if (act !== undefined && act !== 'none' && act !== 'relu' && !(typeof act === 'string' && act in CLIPPED))
      fail('EF2003', `${n.op} with a fused ${act} has no ESP-DL equivalent`, { node: n.name, suggestion: 'use ReLU or ReLU6 activations' });
    if (n.op === 'ReduceMean') {
      const axes = n.attrs.axes as number[] | undefined;
      if (!(fg.tensors[n.inputs[0]].shape.length === 4 && axes && axes.length === 2 && axes.includes(1) && axes.includes(2)))
        fail('EF2003', 'ESP-DL export: ReduceMean is exported only as a GlobalAveragePool (the spatial axes of NHWC)', { node: n.name });
    }
    if (n.op === 'Resize') {
      const xs = fg.tensors[n.inputs[0]].shape;
      const ys = fg.tensors[n.outputs[0]].shape;
      const ctm = n.attrs.coordinate_transformation_mode ?? 'half_pixel';
      const nm = n.attrs.nearest_mode ?? 'round_prefer_floor';
      // ESP-DL's Resize2D is nearest neighbour by integer factors: floor(o / k), which these ONNX modes equal
      const floorLike = (ctm === 'asymmetric' && nm === 'floor') || (ctm === 'half_pixel' && nm === 'round_prefer_floor');
      if ((n.attrs.mode ?? 'nearest') !== 'nearest' || !floorLike || ys[1] % xs[1] !== 0 || ys[2] % xs[2] !== 0)
        fail('EF2003', 'ESP-DL export: Resize must be nearest neighbour by integer factors', { node: n.name });
    }
    if (n.op === 'FullyConnected' && fg.tensors[n.inputs[0]].shape.length !== 2)
      fail('EF2003', `ESP-DL Gemm needs a 2-D input, got [${fg.tensors[n.inputs[0]].shape}]`, { node: n.name });
  }
  const ranges = await calibrate(fg, samples);
  const coarseLayers: string[] = [];
  const mode = chipRounding(chip);
  const exp = new Map<number, number>();
  const b = new GraphBuilder({ format: 'espdl', source: g.meta.source, producer: 'espforge', info: { arithmetic: 'espdl', chip } });
  const ids = new Map<number, number>();
  const copyAct = (id: number, e: number): number => {
    const t = fg.tensors[id];
    const nid = b.tensor({ name: t.name, dtype: 'int8', shape: t.shape.slice(), quant: q(e), sourcePerm: t.sourcePerm });
    ids.set(id, nid);
    exp.set(id, e);
    return nid;
  };
  const weightExp = (data: TypedArray): number => {
    let m = 0;
    for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
    return rangeExponent({ min: -m, max: m });
  };
  const clipBounds = (min: number | undefined, max: number | undefined, e: number) => ({
    clip_lo: min === undefined ? -128 : saturate(roundChip(min / 2 ** e, mode), -128, 127),
    clip_hi: max === undefined ? 127 : saturate(roundChip(max / 2 ** e, mode), -128, 127),
  });
  const quantize = (data: TypedArray, e: number, lo: number, hi: number, out: TypedArray): TypedArray => {
    for (let i = 0; i < data.length; i++) out[i] = saturate(roundChip(Math.fround(data[i] / 2 ** e), mode), lo, hi);
    return out;
  };
  const constId = (id: number): number => {
    const t = fg.tensors[id];
    if (ids.has(id)) return ids.get(id)!;
    let nid: number;
    if (t.dtype === 'float32') {
      const e = weightExp(t.data!);
      nid = b.tensor({ name: t.name, dtype: 'int8', shape: t.shape.slice(), data: quantize(t.data!, e, -128, 127, new Int8Array(t.data!.length)), quant: q(e) });
      exp.set(id, e);
    } else nid = b.tensor({ name: t.name, dtype: t.dtype, shape: t.shape.slice(), data: t.data, quant: t.quant });
    ids.set(id, nid);
    return nid;
  };
  const input = (id: number): number => {
    if (id < 0) return id;
    if (fg.tensors[id].data) return constId(id);
    const nid = ids.get(id);
    if (nid === undefined) fail('EF1009', `tensor '${fg.tensors[id].name}' is used before it is produced`);
    return nid;
  };
  for (const id of fg.inputs) {
    if (fg.tensors[id].dtype !== 'float32') fail('EF2003', `graph input '${fg.tensors[id].name}' must be float for the ESP-DL export`);
    b.inputs.push(copyAct(id, rangeExponent(ranges.get(id))));
  }
  for (const n of fg.nodes) {
    const y = n.outputs[0];
    let ins = n.inputs.map((i) => (i >= 0 && fg.tensors[i].data && (n.op === 'Conv' || n.op === 'FullyConnected') ? i : input(i)));
    let e = rangeExponent(ranges.get(y));
    const qp: Record<string, number | number[]> | undefined = undefined;
    let extra: Record<string, number | number[]> | undefined = qp;
    if (n.op === 'Conv' || n.op === 'FullyConnected') {
      const ein = exp.get(n.inputs[0])!;
      const wt = fg.tensors[n.inputs[1]];
      if (!wt.data || wt.dtype !== 'float32') fail('EF2003', `${n.op} weights must be float constants to quantize for ESP-DL`, { node: n.name });
      const ew = weightExp(wt.data);
      const wid = b.tensor({ name: wt.name, dtype: 'int8', shape: wt.shape.slice(), data: quantize(wt.data, ew, -128, 127, new Int8Array(wt.data.length)), quant: q(ew) });
      const cout = wt.shape[0];
      let bid = -1;
      const bi = n.inputs[2] ?? -1;
      if (bi >= 0) {
        const bt = fg.tensors[bi];
        const lim = chip === 'esp32s3' ? 2 ** 19 : 2 ** 31;
        bid = b.tensor({ name: bt.name, dtype: 'int32', shape: [cout], data: quantize(bt.data!, ein + ew, -lim, lim - 1, new Int32Array(cout)), quant: q(ein + ew) });
      }
      ins = bid >= 0 ? [ins[0], wid, bid] : [ins[0], wid];
      // per-tensor weights: channels far below the tensor's maximum keep few bits (BN-folded depthwise layers)
      const per = wt.data.length / cout;
      let coarse = 0;
      for (let c = 0; c < cout; c++) {
        let m = 0;
        for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(wt.data[c * per + i]));
        if (m < 8 * 2 ** ew) coarse++;
      }
      if (coarse > cout / 4) coarseLayers.push(`${n.name} (${coarse}/${cout})`);
      e = Math.max(e, ein + ew);
    } else if (n.op === 'Mul') {
      e = Math.max(e, exp.get(n.inputs[0])! + exp.get(n.inputs[1])!);
    } else if (MOVE.has(n.op)) {
      e = exp.get(n.inputs[0])!;
    } else if (n.op === 'Concat') {
      e = Math.max(...n.inputs.map((i) => exp.get(i)!));
      ins = n.inputs.map((i, k) => {
        if (exp.get(i) === e) return ins[k];
        const t = b.tensors[ins[k]];
        const r = b.tensor({ name: `${t.name}/requant`, dtype: 'int8', shape: t.shape.slice(), quant: q(e) });
        b.node({ op: 'Identity', name: `${n.name}/requant${k}`, inputs: [ins[k]], outputs: [r], attrs: {} });
        return r;
      });
    } else if (LUT.has(n.op)) {
      extra = { lut: espdlLut(n.op, exp.get(n.inputs[0])!, e, chip, n.attrs.alpha as number | undefined) };
    } else if (n.op === 'Clip') {
      e = exp.get(n.inputs[0])!;
      extra = clipBounds(n.attrs.min as number | undefined, n.attrs.max as number | undefined, e);
    }
    if (n.op === 'ReduceMean' && n.attrs.keepdims === 0) {
      // ESP-DL's GlobalAveragePool keeps the 1x1 spatial axes: pool, then a Reshape to [N, C]
      const t = fg.tensors[y];
      const xs = fg.tensors[n.inputs[0]].shape;
      const mid = b.tensor({ name: `${t.name}/pool`, dtype: 'int8', shape: [xs[0], 1, 1, xs[3]], quant: q(e) });
      b.node({ op: 'ReduceMean', name: n.name, inputs: ins, outputs: [mid], attrs: { ...n.attrs, keepdims: 1 } });
      b.node({ op: 'Reshape', name: `${n.name}/flatten`, inputs: [mid], outputs: [copyAct(y, e)], attrs: { shape: t.shape.slice() } });
      continue;
    }
    const act = n.attrs.activation;
    const clip = typeof act === 'string' ? CLIPPED[act] : undefined;
    if (clip) {
      // Conv/Gemm run Linear into a tensor at the output exponent, then a Clip at that exponent gives ReLU6 exactly
      const t = fg.tensors[y];
      const mid = b.tensor({ name: `${t.name}/linear`, dtype: 'int8', shape: t.shape.slice(), quant: q(e) });
      b.node({ op: n.op, name: n.name, inputs: ins, outputs: [mid], attrs: { ...n.attrs, activation: 'none' } });
      const nid = copyAct(y, e);
      b.node({ op: 'Clip', name: `${n.name}/${act}`, inputs: [mid], outputs: [nid], attrs: { min: clip[0], max: clip[1] }, qparams: clipBounds(clip[0], clip[1], e) });
      continue;
    }
    const nid = copyAct(y, e);
    const node: Node = { op: n.op, name: n.name, inputs: ins, outputs: [nid], attrs: { ...n.attrs } };
    if (extra) node.qparams = extra;
    b.node(node);
  }
  b.outputs = fg.outputs.map((o) => ids.get(o)!);
  if (coarseLayers.length)
    notes.push(
      `${coarseLayers.length} layer(s) have over a quarter of their output channels within 3 bits of int8 under per-tensor weight exponents (ESP-DL's scheme here), e.g. ${coarseLayers.slice(0, 3).join(', ')}: expect accuracy loss; the agreement figure below measures it`,
    );
  for (const t of b.tensors) if (shapeSize(t.shape) <= 0 && !t.data) fail('EF1008', `tensor '${t.name}' has no static shape`);
  return { graph: inferGraph(b.build()), notes };
}
