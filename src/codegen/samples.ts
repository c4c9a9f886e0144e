// Real labelled samples for the generated app (build --samples DATA[:N]): each float sample is quantized the way
// the header's NAME_quantize_input wrapper does it (round half away from zero, clamp), and the float model's
// output 0 is recorded next to it so that `espforge compare` can show float, simulated and device predictions.

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../ops/types.js';
import { quantizeInput } from '../quant/report.js';
import { runFloat } from '../sim/float.js';
import { integerIO } from './lower-io.js';

export interface EmbeddedSamples {
  /** Per case, per graph input: the quantized values the app feeds the model. */
  inputs: number[][][];
  labels?: number[];
  /** Per case: output 0 of the float model (when it is known). */
  floatOutputs?: number[][];
}

/** Parse `DATA[:N]` or `N` (then DATA is `fallback`, e.g. the calibration data). */
export function parseSamplesArg(arg: string, fallback: string | undefined, dflt = 10): { data: string; count: number } {
  let data = arg;
  let count = dflt;
  const m = /^(.*?):(\d+)$/.exec(arg);
  if (/^\d+$/.test(arg)) {
    data = '';
    count = Number(arg);
  } else if (m && m[1] !== '' && !/^[A-Za-z]$/.test(m[1])) {
    data = m[1];
    count = Number(m[2]);
  }
  if (!data) {
    if (!fallback) fail('EF0006', `--samples ${arg}: name the data (--samples DATA[:N]) or give --calib DATA`);
    data = fallback!;
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) fail('EF0006', `--samples: N must be 1..1000, got ${count}`);
  return { data, count };
}

/** Quantize float samples (one Value per graph input) for the int graph `qGraph` and run the float model on them. */
export function embedSamples(qGraph: Graph, floatGraph: Graph | undefined, samples: Value[][], labels?: ArrayLike<number>): EmbeddedSamples {
  const ig = integerIO(qGraph);
  const inputs = samples.map((s) =>
    s.map((v, k) => {
      const t = ig.tensors[ig.inputs[k]];
      if (!t.quant && t.dtype !== 'float32' && v.dtype === 'float32')
        fail('EF3001', `input '${t.name}' is ${t.dtype} without quantization parameters; samples cannot be converted`);
      return Array.from(quantizeInput(v, t).data as ArrayLike<number>);
    }),
  );
  const floatOutputs = floatGraph ? samples.map((s) => Array.from(runFloat(floatGraph, s).outputs[0].data as ArrayLike<number>)) : undefined;
  return { inputs, labels: labels ? Array.from(labels).slice(0, samples.length) : undefined, floatOutputs };
}
