// Running a model on host-side inputs: the float reference or the integer simulator, with layout and
// quantization handled at the boundary. Used by `espforge run` and by tests.

import { fail } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { toSourceLayout } from './ir/layout.js';
import { isQuantized as isQuantizedGraph } from './ir/quantized.js';
import type { Value } from './ops/types.js';
import { runFloat } from './sim/float.js';
import { dequantize, interpretInput, quantizeInput, type InputKind } from './quant/report.js';

/** The one answer to "is this model quantized?" (src/ir/quantized.ts), under the name run and eval know. */
export { isQuantized as isQuantizedGraph } from './ir/quantized.js';

export interface RunResult {
  /** Outputs in the source model's layout, in the graph's output dtype. */
  outputs: Value[];
  /** Float view of the outputs (dequantized where integer). */
  floats: Value[];
  names: string[];
  engine: 'float' | 'int';
}

export interface RunOptions {
  /** Refuse a float model (the caller asked for the integer simulator). */
  quantized?: boolean;
  /** Per graph input: how its data is read (`interpretInput`); undefined = by the array's dtype. */
  kinds?: (InputKind | undefined)[];
}

/**
 * Run the graph on inputs already in the stored layout. Integer graphs run on the bit-exact simulator; their inputs
 * go through `quantizeInput` (raw quantized values pass through, real values are quantized).
 */
export async function runModel(g: Graph, inputs: Value[], opts: RunOptions = {}): Promise<RunResult> {
  return runSamples(g, inputs.map((v) => [v]), opts);
}

/**
 * Run the graph on N samples (`samples[k]` holds input k's samples; an input with one sample is reused for all)
 * and stack the outputs along the leading axis.
 */
export async function runSamples(g: Graph, samples: Value[][], opts: RunOptions = {}): Promise<RunResult> {
  const n = Math.max(1, ...samples.map((s) => s.length));
  for (const [k, s] of samples.entries())
    if (s.length !== n && s.length !== 1)
      fail('EF1004', `input '${g.tensors[g.inputs[k]]?.name}' has ${s.length} samples; another input has ${n}`);
  const runs: RunResult[] = [];
  for (let i = 0; i < n; i++) runs.push(await runOne(g, samples.map((s) => s[s.length === 1 ? 0 : i]), opts));
  if (n === 1) return runs[0];
  const stack = (vs: Value[]): Value => {
    const per = vs[0].data.length;
    const data = new (vs[0].data.constructor as { new (n: number): Value['data'] })(per * n);
    vs.forEach((v, i) => data.set(v.data as never, i * per));
    const sh = vs[0].shape;
    return { dtype: vs[0].dtype, shape: sh.length && sh[0] === 1 ? [n, ...sh.slice(1)] : [n * (sh[0] ?? 1), ...sh.slice(1)], data };
  };
  const r0 = runs[0];
  return { ...r0, outputs: r0.outputs.map((_, k) => stack(runs.map((r) => r.outputs[k]))), floats: r0.floats.map((_, k) => stack(runs.map((r) => r.floats[k]))) };
}

const prepared = new WeakMap<Graph, Graph>();

async function runOne(g: Graph, inputs: Value[], opts: RunOptions): Promise<RunResult> {
  const quant = isQuantizedGraph(g);
  if (opts.quantized && !quant)
    fail('EF3001', 'this is a float model; there is no quantized version to simulate', {
      suggestion: 'quantize it first: espforge quantize MODEL --calib DATA --out model_int8.tflite, then run that file',
    });
  let outs: Value[];
  if (quant) {
    const { prepareIntGraph, runInt } = await import('./sim/int.js');
    const { isEspdlGraph, quantizeEspdlInput } = await import('./sim/espdl/index.js');
    let pg = prepared.get(g);
    if (!pg) prepared.set(g, (pg = prepareIntGraph(g)));
    const espdl = isEspdlGraph(pg);
    const ins = inputs.map((v, k) => {
      const t = pg.tensors[pg.inputs[k]];
      // ESP-DL graphs quantize real values their own way (power-of-two exponents, chip rounding); the rule is the same
      if (espdl && interpretInput(v, t, opts.kinds?.[k]).kind === 'real')
        return quantizeEspdlInput(v.dtype === 'float32' ? v : { dtype: 'float32', shape: v.shape, data: Float32Array.from(v.data as ArrayLike<number>) }, pg, pg.inputs[k]);
      return quantizeInput(v, t, opts.kinds?.[k]);
    });
    outs = runInt(pg, ins).outputs;
  } else {
    outs = runFloat(g, inputs.map((v, k) => quantizeInput(v, g.tensors[g.inputs[k]], opts.kinds?.[k]))).outputs;
  }
  const outTensors = g.outputs.map((o) => g.tensors[o]);
  const outputs = outs.map((v, k) => toSourceLayout(v, outTensors[k]));
  return {
    outputs,
    floats: outputs.map((v, k) => ({ dtype: 'float32' as const, shape: v.shape, data: dequantize(v, outTensors[k]) })),
    names: outTensors.map((t) => t.name),
    engine: quant ? 'int' : 'float',
  };
}
