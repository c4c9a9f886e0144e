// Running a model on host-side inputs: the float reference or the integer simulator, with layout and
// quantization handled at the boundary. Used by `espforge run` and by tests.

import { fail } from './diagnostics.js';
import { allocArray, dtypeRange } from './ir/dtype.js';
import type { Graph, Tensor } from './ir/graph.js';
import { toSourceLayout } from './ir/layout.js';
import type { Value } from './ops/types.js';
import { runFloat } from './sim/float.js';

export function isQuantizedGraph(g: Graph): boolean {
  return g.inputs.some((i) => g.tensors[i].quant !== undefined) || g.nodes.some((n) => n.qparams !== undefined) ||
    g.tensors.some((t) => t.quant !== undefined && !t.data);
}

/** Round half away from zero (C `round`). */
export function rha(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Quantize float data for an integer graph input with its quantization record (TFLite QUANTIZE semantics). */
export function quantizeFor(v: Value, t: Tensor): Value {
  if (v.dtype === t.dtype) return v;
  if (!t.quant) fail('EF3001', `input '${t.name}' is ${t.dtype} but has no quantization parameters`);
  const s = t.quant.scale[0];
  const zp = t.quant.zeroPoint[0];
  const [lo, hi] = dtypeRange(t.dtype);
  const out = allocArray(t.dtype, v.data.length);
  for (let i = 0; i < out.length; i++) {
    const q = rha(Math.fround(v.data[i] / s)) + zp;
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return { dtype: t.dtype, shape: v.shape, data: out };
}

/** Dequantize an integer output with its record; float outputs pass through. */
export function dequantize(v: Value, t: Tensor): Value {
  if (!t.quant || v.dtype === 'float32') return v;
  const s = t.quant.scale[0];
  const zp = t.quant.zeroPoint[0];
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (v.data[i] - zp) * s;
  return { dtype: 'float32', shape: v.shape, data: out };
}

export interface RunResult {
  /** Outputs in the source model's layout, in the graph's output dtype. */
  outputs: Value[];
  /** Float view of the outputs (dequantized where integer). */
  floats: Value[];
  names: string[];
  engine: 'float' | 'int';
}

/** Run the graph on inputs already in the stored layout. Integer graphs run on the bit-exact simulator. */
export async function runModel(g: Graph, inputs: Value[], opts: { quantized?: boolean } = {}): Promise<RunResult> {
  const quant = isQuantizedGraph(g);
  if (opts.quantized && !quant)
    fail('EF3001', 'this is a float model; there is no quantized version to simulate', {
      suggestion: 'quantize it first: espforge quantize MODEL --calib DATA --out model_int8.tflite, then run that file',
    });
  let outs: Value[];
  if (quant) {
    const { prepareIntGraph, runInt } = await import('./sim/int.js');
    const pg = prepareIntGraph(g);
    const ins = inputs.map((v, k) => quantizeFor(v, pg.tensors[pg.inputs[k]]));
    outs = runInt(pg, ins).outputs;
  } else {
    outs = runFloat(g, inputs).outputs;
  }
  const outTensors = g.outputs.map((o) => g.tensors[o]);
  const outputs = outs.map((v, k) => toSourceLayout(v, outTensors[k]));
  return {
    outputs,
    floats: outputs.map((v, k) => dequantize(v, outTensors[k])),
    names: outTensors.map((t) => t.name),
    engine: quant ? 'int' : 'float',
  };
}
