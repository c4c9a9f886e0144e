// Lstm ↔ TFLite UNIDIRECTIONAL_SEQUENCE_LSTM (the 24-input form TFLM runs: no peepholes, projection or layer norm).
//
//   inputs  0 input, 1-4 input→{input, forget, cell, output} weights [H, I], 5-8 recurrent weights [H, H],
//           9-11 peepholes (absent), 12-15 gate biases [H], 16-17 projection (absent), 18 output (hidden) state and
//           19 cell state (variable tensors [B, H]), 20-23 layer norm (absent)
//   output  the sequence only (TFLite has no Y_h / Y_c outputs); options: TANH, no clips, time_major
//
// Y_h, the last step's hidden state, is the sequence's last step: a Y_h the model reads is written as STRIDED_SLICE
// of that step (shrinking the time axis), which the importer takes back as the Lstm's Y_h (the slice is exact: Y_h
// and Y share one quantization record, as TFLite's output state and output do).
// The registry's W [4H, I] / R [4H, H] / B [4H] (gate order i, f, c, o) split into the per-gate tensors and back.
// Quantized, each gate tensor keeps its one scale; the output state takes the output's record and the cell state
// carries the int16 cell record (on the import side it becomes Y_c's). Both states start at zero in TFLite (TFLM
// resets an int8 variable to its zero point), so an Lstm with H0 / C0 inputs, a reverse direction, or a Y_c that
// something reads (the cell state stays in its variable tensor) has no TFLite form.

import { fail } from '../../diagnostics.js';
import type { DType, TypedArray } from '../../ir/dtype.js';
import type { Graph, Node, QuantParams, Tensor } from '../../ir/graph.js';
import { ActivationFunctionType as ACT, BuiltinOperator as OP, BuiltinOptions as OPT, FIELD as F } from './generated/schema.js';

export interface LstmWriterHost {
  g: Graph;
  /** The file's tensors, IR tensors first (same ids). */
  tensors: { variable?: boolean }[];
  aux(name: string, dtype: DType, shape: number[], data?: TypedArray, quant?: QuantParams, variable?: boolean): number;
  op(code: number, inputs: number[], outputs: number[], optType: number, opts: { id: number; kind: 'i8' | 'i32' | 'f32' | 'bool'; value: number }[]): void;
}

const sameQuant = (a?: QuantParams, b?: QuantParams) => (!a && !b) || (!!a && !!b && a.scale.length === 1 && b.scale.length === 1 && a.scale[0] === b.scale[0] && (a.zeroPoint[0] ?? 0) === (b.zeroPoint[0] ?? 0));

/** Whether something reads tensor `id` (a node input or a graph output). */
const isRead = (g: Graph, id: number) => g.outputs.includes(id) || g.nodes.some((m) => m.inputs.includes(id));

const gateQuant = (q: QuantParams | undefined, g: number, H: number): QuantParams | undefined =>
  q ? { scale: [q.scale[Math.min(g * H, q.scale.length - 1)]], zeroPoint: [q.zeroPoint[Math.min(g * H, q.zeroPoint.length - 1)] ?? 0], axis: 0 } : undefined;

function slice(t: Tensor, g: number, rows: number, cols: number): TypedArray {
  return t.data!.slice(g * rows * cols, (g + 1) * rows * cols);
}

/** Why this Lstm node has no TFLite form, or undefined. */
function refusal(g: Graph, n: Node): string | undefined {
  if ((n.inputs[4] ?? -1) >= 0 || (n.inputs[5] ?? -1) >= 0) return 'initial states (TFLite starts from zero state)';
  if (n.attrs.direction === 'reverse') return 'direction reverse (UNIDIRECTIONAL_SEQUENCE_LSTM runs forward)';
  if (isRead(g, n.outputs[2])) return 'Y_c read by the model (TFLite keeps the cell state in a variable tensor; it outputs the sequence, whose last step is Y_h)';
  const [y, yh] = [g.tensors[n.outputs[0]], g.tensors[n.outputs[1]]];
  if (isRead(g, n.outputs[1]) && (yh.dtype !== y.dtype || !sameQuant(yh.quant, y.quant)))
    return 'Y_h quantized differently from Y (TFLite outputs Y_h as the last step of Y)';
  return undefined;
}

export function writeLstm(w: LstmWriterHost, n: Node): void {
  const why = refusal(w.g, n);
  if (why) fail('EF2003', `Lstm with ${why} has no TFLite form`, { node: n.name, suggestion: 'write the model as ONNX or C instead' });
  const T = (id: number) => w.g.tensors[id];
  const [x, wi, ri, bi = -1] = n.inputs;
  const W = T(wi);
  const R = T(ri);
  if (!W.data || !R.data) fail('EF2005', 'Lstm weights must be constant', { node: n.name });
  const H = W.shape[0] / 4;
  const I = W.shape[1];
  const X = T(x);
  const Y = T(n.outputs[0]);
  const timeMajor = n.attrs.layout !== 1;
  const B = timeMajor ? X.shape[1] : X.shape[0];
  const gates = ['input', 'forget', 'cell', 'output'];
  const ins: number[] = [x];
  gates.forEach((gn, g) => ins.push(w.aux(`${n.name}/input_to_${gn}_weights`, W.dtype, [H, I], slice(W, g, H, I), gateQuant(W.quant, g, H))));
  gates.forEach((gn, g) => ins.push(w.aux(`${n.name}/recurrent_to_${gn}_weights`, R.dtype, [H, H], slice(R, g, H, H), gateQuant(R.quant, g, H))));
  ins.push(-1, -1, -1);
  const Bt = bi >= 0 ? T(bi) : undefined;
  const bdt: DType = Bt?.dtype ?? (W.dtype === 'int8' ? 'int32' : 'float32');
  gates.forEach((gn, g) => {
    const data = Bt?.data ? slice(Bt, g, H, 1) : bdt === 'int32' ? new Int32Array(H) : new Float32Array(H);
    const q = Bt?.quant ? gateQuant(Bt.quant, g, H) : W.quant ? { scale: [Math.fround((X.quant?.scale[0] ?? 1) * W.quant.scale[g * H])], zeroPoint: [0], axis: 0 } : undefined;
    ins.push(w.aux(`${n.name}/${gn}_gate_bias`, bdt, [H], data, q));
  });
  ins.push(-1, -1);
  ins.push(w.aux(`${n.name}/output_state`, Y.dtype, [B, H], undefined, Y.quant, true));
  // the cell state variable is the IR's Y_c tensor itself ([B, H], the int16 cell record): the importer names Y_c
  // after it, so the twin keeps the source's tensor name
  w.tensors[n.outputs[2]].variable = true;
  ins.push(n.outputs[2]);
  ins.push(-1, -1, -1, -1);
  const f = F.UnidirectionalSequenceLSTMOptions;
  w.op(OP.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, [n.outputs[0]], OPT.UnidirectionalSequenceLSTMOptions, [
    { id: f.fused_activation_function, kind: 'i8', value: ACT.TANH },
    { id: f.cell_clip, kind: 'f32', value: 0 },
    { id: f.proj_clip, kind: 'f32', value: 0 },
    { id: f.time_major, kind: 'bool', value: timeMajor ? 1 : 0 },
  ]);
  if (!isRead(w.g, n.outputs[1])) return;
  // Y_h = Y's last step: STRIDED_SLICE [T−1, T) on the time axis, shrunk away
  const t = timeMajor ? 0 : 1;
  const begin = [0, 0, 0];
  begin[t] = Y.shape[t] - 1;
  const i32 = (what: string, v: number[]) => w.aux(`${n.name}/Y_h_${what}`, 'int32', [3], Int32Array.from(v));
  const ss = F.StridedSliceOptions;
  w.op(OP.STRIDED_SLICE, [n.outputs[0], i32('begin', begin), i32('end', Y.shape), i32('strides', [1, 1, 1])], [n.outputs[1]], OPT.StridedSliceOptions, [
    { id: ss.shrink_axis_mask, kind: 'i32', value: 1 << t },
  ]);
}

/** What the importer needs from a TFLite LSTM's inputs: per-gate tensors as IR values. */
export interface LstmGateTensors {
  dtype: DType;
  shape: number[];
  data?: TypedArray;
  quant?: QuantParams;
}

/** Concatenate four per-gate tensors [H, K] (or [H]) into the registry's [4H, K] (or [4H]) with per-row scales. */
export function joinGates(parts: LstmGateTensors[], what: string, node: string): { dtype: DType; shape: number[]; data: TypedArray; quant?: QuantParams } {
  const [p0] = parts;
  if (parts.some((p) => !p.data)) fail('EF2005', `UNIDIRECTIONAL_SEQUENCE_LSTM ${what} must be constant`, { node });
  if (parts.some((p) => p.dtype !== p0.dtype || p.shape.join() !== p0.shape.join()))
    fail('EF1004', `UNIDIRECTIONAL_SEQUENCE_LSTM ${what} tensors differ in type or shape`, { node });
  const H = p0.shape[0];
  const per = p0.data!.length;
  const data = new (p0.data!.constructor as { new (n: number): TypedArray })(4 * per);
  parts.forEach((p, g) => data.set(p.data!, g * per));
  let quant: QuantParams | undefined;
  if (parts.some((p) => p.quant)) {
    if (parts.some((p) => !p.quant || p.quant.scale.length !== 1))
      fail('EF3001', `UNIDIRECTIONAL_SEQUENCE_LSTM ${what}: one per-tensor quantization record per gate expected`, { node });
    const scale = parts.flatMap((p) => new Array<number>(H).fill(p.quant!.scale[0]));
    const zeroPoint = parts.flatMap((p) => new Array<number>(H).fill(p.quant!.zeroPoint[0] ?? 0));
    quant = { scale, zeroPoint, axis: 0 };
  }
  return { dtype: p0.dtype, shape: [4 * H, ...p0.shape.slice(1)], data, quant };
}
