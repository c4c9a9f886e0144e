// espforge as a typed library: `import { loadModel, quantize, build } from 'espforge'`. The CLI, the demo, bench
// and tests call the same functions (src/pipeline); commands only parse flags, call one of these and render.
//
//   loadModel   model file → IR graph (importer notes and import warnings in graph.meta.warnings)
//   inspect     layers, shapes, parameters, MACs
//   quantize    post-training quantization under the one calibration rule (training split, CALIB_COUNT samples)
//   simulate    run a model: the float reference, or the bit-exact integer simulator for a quantized model
//   build       ESP-IDF project + C library; returns the report as data (and writes it when `out` is given)
//   verify      re-run a generated project's golden vectors through its C (host, rv32 under QEMU)
//   train       train a model from a JSON layer spec on a dataset
//   evaluate    accuracy of a model on the test split of a dataset (float and, quantized, int8 with agreement)
//
// Functions that read files take paths; bad input throws an EspforgeError carrying coded diagnostics, except
// `build` and `verify`, which return ok: false with the diagnostics (a failed build still has a report to show).

import type { Diagnostic } from './diagnostics.js';
import type { ImportOptions } from './import/index.js';
import type { Graph } from './ir/graph.js';
import { isQuantized } from './ir/quantized.js';
import type { Value } from './ops/types.js';
import { inspectGraph, type ModelReport } from './inspect.js';
import { importModel, modelWarnings, quantizeFile, quantizeGraph, type QuantizeFileOptions, type QuantizeFileResult } from './pipeline/quantize.js';
import { buildModel, type BuildModelOptions, type BuildModelResult } from './pipeline/deploy.js';
import { loadSamples, CALIB_COUNT, CALIB_SPLIT } from './pipeline/samples.js';
import { trainFromSpec, type TrainOptions, type TrainSummary } from './pipeline/train.js';
import type { AccuracyReport, InputKind } from './quant/report.js';
import type { RunResult } from './run.js';
import type { VerifyProjectResult } from './verify/project.js';

export { EspforgeError, type Diagnostic } from './diagnostics.js';
export type { Graph } from './ir/graph.js';
export type { Value } from './ops/types.js';
export type { BuildModelOptions as BuildOptions, BuildModelResult as BuildResult } from './pipeline/deploy.js';
export type { BuildReport } from './pipeline/build.js';
export type { QuantizeFileOptions as QuantizeOptions, QuantizeFileResult as QuantizeResult } from './pipeline/quantize.js';
export type { TrainOptions, TrainSummary } from './pipeline/train.js';
export type { StageDump, StageTiming } from './pipeline/stages.js';
export { STAGES } from './pipeline/stages.js';
export { CALIB_COUNT, CALIB_SPLIT, isQuantized };
export { VERSION } from './version.js';

type ModelArg = string | Graph;

async function graphOf(m: ModelArg, o?: ImportOptions): Promise<Graph> {
  return typeof m === 'string' ? importModel(m, o) : m;
}

/** Import a model file (ONNX, TFLite, Keras .h5/.keras, TF.js model.json, ESP-DL .espdl) into the IR. */
export async function loadModel(file: string, options: ImportOptions = {}): Promise<Graph> {
  return importModel(file, options);
}

/** Warnings a loaded model carries (importer notes such as "only subgraph 0 is imported", suspicious weights). */
export function warnings(g: Graph): Diagnostic[] {
  return modelWarnings(g);
}

/** Layers, shapes, parameters and MACs, with the model's import warnings. */
export async function inspect(model: ModelArg): Promise<ModelReport & { diagnostics: Diagnostic[] }> {
  const g = await graphOf(model);
  return { ...inspectGraph(g), diagnostics: modelWarnings(g) };
}

/**
 * Quantize a float model. `calib` is a dataset (builtin:mnist, .npz/.npy, IDX or image folder: its training split,
 * at most `count` = CALIB_COUNT samples) or the calibration samples themselves. Writes a full-integer .tflite to
 * `out` when given; the quantized graph, its .tflite bytes and the per-layer error report are returned.
 */
export async function quantize(model: ModelArg, o: QuantizeFileOptions): Promise<QuantizeFileResult> {
  return quantizeFile(model, o);
}

/**
 * Run a model on one sample (one Value per model input, stored layout) or on several (an array of such). A
 * quantized model runs on the bit-exact integer simulator; `quantized: true` refuses a float model.
 */
export async function simulate(model: ModelArg, inputs: Value[] | Value[][], o: { quantized?: boolean; kinds?: (InputKind | undefined)[] } = {}): Promise<RunResult[]> {
  const g = await graphOf(model);
  const { runModel } = await import('./run.js');
  const cases = inputs.length && Array.isArray(inputs[0]) ? (inputs as Value[][]) : [inputs as Value[]];
  const out: RunResult[] = [];
  for (const c of cases) out.push(await runModel(g, c, o));
  return out;
}

/**
 * Build a model into an ESP-IDF project for a chip: a float model is quantized first from `calib` (the same rule
 * as `quantize`, so quantize + build and build with calib give the same C). Returns the report as data; writes
 * the project when `out` is given (unless `write: false`).
 */
export async function build(model: ModelArg, o: BuildModelOptions): Promise<BuildModelResult> {
  return buildModel(model, o);
}

/** Compile a generated project's C on the host (and rv32 under QEMU) and check its golden vectors. */
export async function verify(dir: string, o: { rv32?: boolean; onStage?: (stage: string) => void } = {}): Promise<VerifyProjectResult> {
  const { verifyProject } = await import('./verify/project.js');
  return verifyProject(dir, o);
}

/** Train a model from a JSON layer spec file on a dataset; writes model.json + weights.bin to `out`. */
export async function train(specFile: string, o: TrainOptions): Promise<TrainSummary> {
  return trainFromSpec(specFile, o);
}

export interface EvaluateOptions {
  /** Also quantize a float model (calibrated on the training split of `calib`, default of the data) and compare. */
  quantized?: boolean;
  calib?: string;
  calibCount?: number;
  /** Evaluate at most this many test samples. */
  limit?: number;
  inputScale?: string;
  inputOffset?: string;
  kind?: InputKind;
}

/** Accuracy on the test split of a labelled dataset: float, quantized (int8 simulator) and their agreement. */
export async function evaluate(model: ModelArg, data: string, o: EvaluateOptions = {}): Promise<AccuracyReport> {
  const g = await graphOf(model);
  const { evaluate: evalGraphs } = await import('./quant/report.js');
  const test = await loadSamples(g, data, { split: 'test', limit: o.limit, inputScale: o.inputScale, inputOffset: o.inputOffset, kind: o.kind });
  if (isQuantized(g)) {
    const { prepareIntGraph } = await import('./sim/int.js');
    return evalGraphs(undefined, prepareIntGraph(g), test.samples, { labels: test.labels });
  }
  if (!o.quantized) return evalGraphs(g, undefined, test.samples, { labels: test.labels });
  const q = await quantizeGraph(g, { calib: o.calib ?? data, count: o.calibCount ?? CALIB_COUNT, inputScale: o.inputScale, inputOffset: o.inputOffset });
  return evalGraphs(q.floatGraph, q.graph, test.samples, { labels: test.labels });
}
