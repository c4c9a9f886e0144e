// The front half of the pipeline as library calls: import → passes → quantize → prepare. Commands, the API, the
// demo and bench call these; calibration samples come from the one rule (src/pipeline/samples.ts).

import { writeFileSync } from 'node:fs';
import { fail } from '../diagnostics.js';
import type { Diagnostic } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { loadModel as importFile, type ImportOptions } from '../import/index.js';
import type { Value } from '../ops/types.js';
import { tracePasses } from '../passes/index.js';
import type { CalibMethod, Range } from '../quant/observers.js';
import { quantizeModel as ptq, type MixedReport, type QuantScheme } from '../quant/ptq.js';
import { prepareIntGraph } from '../sim/int.js';
import { calibrationSamples, type CalibrationOptions } from './samples.js';
import { Trace, type StageDump, type StageTiming } from './stages.js';
import { exportTflite } from '../import/tflite/writer.js';
import { layerErrors, sqnrWarnings, type LayerReport } from '../quant/report.js';
import { buildWarnings } from '../codegen/c/emit.js';

/** Import a model file (the `import` stage). Importer notes and validation findings are in g.meta.warnings. */
export async function importModel(file: string, o: ImportOptions & { trace?: Trace } = {}): Promise<Graph> {
  const { trace, ...io } = o;
  return (trace ?? new Trace()).runAsync('import', () => importFile(file, io), (g) => g);
}

/** Warnings the model carries from import (importer notes, suspicious weights): every command shows them. */
export function modelWarnings(g: Graph): Diagnostic[] {
  return g.meta.warnings ?? [];
}

export interface QuantizeOptions extends CalibrationOptions {
  /** Calibration data: a dataset spec (read under the calibration rule) or the samples themselves. */
  calib: string | Value[][];
  scheme?: QuantScheme;
  method?: CalibMethod;
  percentile?: number;
  mixedThresholdDb?: number;
  mixedMaxInt16Layers?: number;
  /** Called after each calibration sample (per observer pass). */
  onProgress?: (done: number) => void;
  trace?: Trace;
}

export interface Quantized {
  /** The quantized graph, integer parameters prepared. */
  graph: Graph;
  /** The float graph after the float passes (what was calibrated). */
  floatGraph: Graph;
  ranges: Map<number, Range>;
  scheme: QuantScheme;
  method: CalibMethod;
  /** The calibration samples used. */
  calibSamples: Value[][];
  /** Where they came from (dataset and split), when read from a dataset. */
  calibSource?: string;
  mixed?: MixedReport;
}

/** Calibration samples for `g` from a dataset spec under the rule, or the given samples as they are. */
export async function calibrationData(g: Graph, o: QuantizeOptions): Promise<{ samples: Value[][]; source?: string }> {
  if (typeof o.calib !== 'string') return { samples: o.calib };
  const d = await calibrationSamples(g, o.calib, o);
  return { samples: d.samples, source: d.source };
}

/** passes → quantize → prepare, each a named stage of the trace. */
export async function quantizeGraph(g: Graph, o: QuantizeOptions): Promise<Quantized> {
  const trace = o.trace ?? new Trace();
  const data = await calibrationData(g, o);
  if (!data.samples.length) fail('EF3003', 'the calibration set is empty', { suggestion: 'give --calib a dataset with at least one sample' });
  const passes = trace.run('passes', () => tracePasses(g, undefined, { dumpAfter: trace.passDumps() }), (r) => r.graph);
  trace.passSteps(passes.steps);
  const q = await trace.runAsync(
    'quantize',
    () =>
      ptq(passes.graph, data.samples, {
        scheme: o.scheme ?? 'int8',
        method: o.method ?? 'minmax',
        percentile: o.percentile,
        mixedThresholdDb: o.mixedThresholdDb,
        mixedMaxInt16Layers: o.mixedMaxInt16Layers,
        onProgress: o.onProgress,
        passes: false,
        prepare: false,
      }),
    (r) => r.graph,
  );
  const graph = trace.run('prepare', () => prepareIntGraph(q.graph), (x) => x);
  return { graph, floatGraph: q.floatGraph, ranges: q.ranges, scheme: q.scheme, method: q.method, calibSamples: data.samples, calibSource: data.source, mixed: q.mixed };
}

export interface QuantizeFileOptions extends QuantizeOptions {
  /** Write the quantized model here as a full-integer .tflite. */
  out?: string;
  /** Samples for the per-layer error report (default 50, the first calibration samples). */
  reportCount?: number;
  /** Called with the number of calibration steps before they start (samples × observer passes). */
  onStart?: (steps: number) => void;
}

export interface QuantizeFileResult extends Quantized {
  /** The .tflite bytes (written to `out` when given). */
  tflite: Uint8Array;
  out?: string;
  /** Float vs quantized, per layer. */
  layers: LayerReport;
  /** What the C back end would refuse (the model is then not buildable). */
  warnings: Diagnostic[];
  /** Import warnings and layers without signal: reported, but the model stays buildable. */
  notices: Diagnostic[];
  stages: StageTiming[];
  dumps: StageDump[];
}

/** `espforge quantize` as a call: import, quantize under the calibration rule, export .tflite, per-layer errors. */
export async function quantizeFile(source: string | Graph, o: QuantizeFileOptions): Promise<QuantizeFileResult> {
  const trace = o.trace ?? new Trace();
  const g = typeof source === 'string' ? await importModel(source, { trace }) : source;
  const model = typeof source === 'string' ? source : source.meta.source;
  const data = await calibrationData(g, o);
  o.onStart?.(data.samples.length * ((o.method ?? 'minmax') === 'minmax' ? 1 : 2));
  const q = await quantizeGraph(g, { ...o, calib: data.samples, trace });
  q.calibSource = data.source;
  const tflite = exportTflite(q.graph);
  if (o.out) writeFileSync(o.out, tflite);
  const layers = await layerErrors(q.floatGraph, q.graph, q.calibSamples.slice(0, o.reportCount ?? 50));
  // quantize and build must agree: what the C back end would refuse is said now, not at build time
  const warnings = buildWarnings(q.graph, model);
  const notices = [...modelWarnings(g), ...sqnrWarnings(layers, model)];
  return { ...q, tflite, out: o.out, layers, warnings, notices, stages: trace.timings, dumps: trace.dumps };
}
