// Running a model on host-side inputs: the float reference or the integer simulator, with layout and
// quantization handled at the boundary. Used by `espforge run` and by tests.

import { fail } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { toSourceLayout } from './ir/layout.js';
import type { Value } from './ops/types.js';
import { runFloat } from './sim/float.js';
import { dequantize, quantizeInput } from './quant/report.js';

export function isQuantizedGraph(g: Graph): boolean {
  return g.inputs.some((i) => g.tensors[i].quant !== undefined) || g.nodes.some((n) => n.qparams !== undefined) ||
    g.tensors.some((t) => t.quant !== undefined && !t.data);
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
    const { isEspdlGraph, quantizeEspdlInput } = await import('./sim/espdl/index.js');
    const pg = prepareIntGraph(g);
    const ins = inputs.map((v, k) => (isEspdlGraph(pg) ? quantizeEspdlInput(v, pg, pg.inputs[k]) : quantizeInput(v, pg.tensors[pg.inputs[k]])));
    outs = runInt(pg, ins).outputs;
  } else {
    outs = runFloat(g, inputs).outputs;
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
