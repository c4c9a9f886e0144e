// `build` as one library call: model file → (import → passes → quantize → prepare when the model is float) →
// lower-io → plan → emit → fit, golden cases, optional verification → ESP-IDF project (+ report.html, zip).
// Returns the report and diagnostics as data; never prints. `espforge build`, the API and tests call it.

import { basename } from 'node:path';
import { fail, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { isQuantized } from '../ir/quantized.js';
import type { Value } from '../ops/types.js';
import type { InputKind } from '../quant/report.js';
import type { VerifyKind } from '../verify/compare.js';
import type { KernelChoice } from '../codegen/espnn/lower.js';
import { checkOutput } from '../codegen/espidf/project.js';
import { buildProject, type BuildResult } from './build.js';
import { importModel, modelWarnings, quantizeGraph, type QuantizeOptions } from './quantize.js';
import { loadSamples } from './samples.js';
import { Trace, type StageDump, type StageTiming } from './stages.js';

export interface BuildModelOptions {
  /** Chip id (or give `module`). */
  target?: string;
  module?: string;
  psram?: number;
  flashSize?: number;
  /** Output folder; nothing is written without it (or with `write: false`). */
  out?: string;
  write?: boolean;
  name?: string;
  force?: boolean;
  verify?: VerifyKind[];
  kernels?: KernelChoice;
  /** Calibration data for a float model (the calibration rule applies), with the quantization options. */
  calib?: string | Value[][];
  calibCount?: number;
  scheme?: QuantizeOptions['scheme'];
  method?: QuantizeOptions['method'];
  inputScale?: string;
  inputOffset?: string;
  /** Golden input files (one per model input, `NAME=FILE` or in order), read with the input rule. */
  input?: string[];
  inputKind?: InputKind;
  /** Real labelled samples to embed: `DATA[:N]`; default with a dataset as `calib`: 4 of its test split. */
  samples?: string;
  /** Also write a deployment zip here. */
  zip?: string;
  /** Measure the generated code with the RISC-V toolchain when installed (the CLI does; default false). */
  measureCode?: boolean;
  /** With verify rv32: instructions per layer (report.html). */
  profileLayers?: boolean;
  /** For the provenance banner (the CLI passes its own command line). */
  commandLine?: string;
  /** Stages (or float passes) whose output to keep in `dumps`. */
  dumpAfter?: string[];
  /** Row-band execution of layer pairs where it makes the arena smaller (build --row-bands). */
  rowBands?: boolean;
  onStage?: (stage: string) => void;
}

export interface BuildModelResult extends BuildResult {
  /** The graph the C was generated from (quantized). */
  graph?: Graph;
  /** The float graph it was quantized from, when quantized in this build. */
  floatGraph?: Graph;
  /** Per-stage wall time (not in any generated file). */
  stages: StageTiming[];
  dumps: StageDump[];
  zip?: string;
}

/** Build a model file into an ESP-IDF project. Failures come back as diagnostics (ok: false), not exceptions. */
export async function buildModel(source: string | Graph, o: BuildModelOptions = {}): Promise<BuildModelResult> {
  const model = typeof source === 'string' ? source : (source.meta.source ?? 'model');
  const modelFile = typeof source === 'string' ? source : undefined;
  let trace: Trace;
  try {
    trace = new Trace({ dumpAfter: o.dumpAfter, onStage: o.onStage });
  } catch (e) {
    return { ok: false, files: {}, diagnostics: toDiagnostics(e), stages: [], dumps: [] };
  }
  const done = (r: BuildResult, extra: Partial<BuildModelResult> = {}): BuildModelResult => ({ ...r, ...extra, stages: trace.timings, dumps: trace.dumps });
  try {
    if (!o.target && !o.module) fail('EF0006', 'give a target chip (--target) or a module preset (--module)');
    const write = o.out !== undefined && o.write !== false;
    const calibFile = typeof o.calib === 'string' ? o.calib : undefined;
    const inputFiles = [...(modelFile ? [modelFile] : []), ...(calibFile ? [calibFile] : [])];
    // the output folder is checked before the (possibly long) import, quantization and verification
    if (write) checkOutput(o.out!, { force: o.force, inputs: inputFiles });
    let g = typeof source === 'string' ? await importModel(source, { trace }) : source;
    let floatGraph: Graph | undefined;
    let calibSamples: Value[][] | undefined;
    if (!isQuantized(g)) {
      if (!o.calib) fail('EF3001', 'the model is not quantized: quantize it with --calib DATA (or espforge quantize first)', { file: model });
      const q = await quantizeGraph(g, { calib: o.calib, count: o.calibCount, scheme: o.scheme, method: o.method, inputScale: o.inputScale, inputOffset: o.inputOffset, trace });
      calibSamples = q.calibSamples;
      floatGraph = q.floatGraph;
      g = q.graph;
    }
    const golden = await goldenInputs(g, floatGraph, model, o);
    const r = buildProject(g, {
      target: o.target ?? '',
      module: o.module,
      psram: o.psram,
      flashSize: o.flashSize,
      out: o.out,
      name: o.name,
      force: o.force,
      verify: o.verify,
      modelFile,
      inputFiles,
      commandLine: o.commandLine,
      kernels: o.kernels,
      measureCode: o.measureCode,
      inputs: golden.inputs,
      samples: golden.samples,
      classes: golden.classes,
      // written below, so that report.html (rendered asynchronously) goes in with the rest
      dryRun: true,
      profileLayers: o.profileLayers,
      onStage: o.onStage,
      trace,
      ...(o.rowBands ? { rowBands: true } : {}),
    });
    r.diagnostics.unshift(...modelWarnings(g));
    if (!r.ok || !r.report) return done(r, { graph: g, floatGraph });
    const { buildReportHtml } = await import('../report/build-report.js');
    // float vs int8 per layer, when the float model is known (quantized in this build)
    let errs;
    const errSamples = [...(golden.embedded ?? []), ...(calibSamples ?? [])].slice(0, 30);
    if (floatGraph && errSamples.length) {
      const { layerErrors } = await import('../quant/report.js');
      errs = await layerErrors(floatGraph, g, errSamples);
    }
    r.files['report.html'] = await buildReportHtml(r.report, errs);
    if (write) {
      const { writeProject } = await import('../codegen/espidf/project.js');
      o.onStage?.('write');
      writeProject(o.out!, r.files, { force: o.force, inputs: inputFiles });
    }
    if (o.zip) {
      const { deploymentZip } = await import('../codegen/bundle.js');
      const { writeFileAtomic } = await import('../codegen/espidf/project.js');
      let tflite: Uint8Array | undefined;
      try {
        tflite = (await import('../import/tflite/writer.js')).exportTflite(g);
      } catch (e) {
        r.diagnostics.push(...toDiagnostics(e, { file: model }).map((d) => ({ ...d, severity: 'warning' as const, message: `the zip has no .tflite: ${d.message}` })));
      }
      const { VERSION } = await import('../version.js');
      const extra: Record<string, string> = {};
      if (r.files['report.html']) extra['report.html'] = r.files['report.html'];
      writeFileAtomic(o.zip, deploymentZip({ prefix: r.report.name, files: r.files, tflite, extra, version: VERSION }));
    }
    return done(r, { graph: g, floatGraph, zip: o.zip });
  } catch (e) {
    return done({ ok: false, files: {}, diagnostics: toDiagnostics(e, { file: model }) });
  }
}

/** Golden inputs for the app and the verification: --input files, --samples, or by default with a dataset as
 * calibration data a few of its test split (never used for calibration). */
async function goldenInputs(g: Graph, floatGraph: Graph | undefined, model: string, o: BuildModelOptions) {
  const calibFile = typeof o.calib === 'string' ? o.calib : undefined;
  let inputs: number[][][] | undefined;
  let samples: { labels?: number[]; floatOutputs?: number[][]; source?: string } | undefined;
  let classes: string[] | undefined;
  let embedded: Value[][] | undefined;
  if (o.input?.length) {
    // golden inputs from files, through the one input rule, converted for the C library's input tensors
    if (o.samples) fail('EF0006', '--input and --samples both give the golden inputs; use one');
    const { loadInputs } = await import('../cli/inputs.js');
    const loaded = await loadInputs(g, o.input, o.inputKind, model);
    const n = Math.max(...loaded.map((l) => l.samples.length));
    for (const l of loaded)
      if (l.samples.length !== n && l.samples.length !== 1) fail('EF1004', `input '${l.name}' has ${l.samples.length} samples; another input has ${n}`, { file: l.file });
    const { integerIO } = await import('../codegen/lower-io.js');
    const { quantizeInput } = await import('../quant/report.js');
    const ig = integerIO(g);
    inputs = Array.from({ length: n }, (_, k) =>
      loaded.map((l, j) => Array.from(quantizeInput(l.samples[l.samples.length === 1 ? 0 : k], ig.tensors[ig.inputs[j]], o.inputKind).data as ArrayLike<number>)),
    );
    samples = { source: loaded.map((l) => `${basename(l.file)}: ${l.kind === 'raw' ? 'raw quantized values' : 'real values'} (${l.reason})`).join('; ') };
  } else if (o.inputKind) fail('EF0006', '--input-kind needs --input');
  else if (o.samples || calibFile) {
    const { parseSamplesArg, embedSamples } = await import('../codegen/samples.js');
    const sa = o.samples ? parseSamplesArg(o.samples, calibFile) : { data: calibFile!, count: 4 };
    const data = await loadSamples(floatGraph ?? g, sa.data, { split: 'test', limit: sa.count, inputScale: o.inputScale, inputOffset: o.inputOffset });
    const e = embedSamples(g, floatGraph, data.samples, data.labels);
    embedded = data.samples;
    inputs = e.inputs;
    samples = { labels: e.labels, floatOutputs: e.floatOutputs, source: data.source };
    // names: the model's own, else the dataset's (image folder names) when they are not just indices
    if (!g.meta.classes?.length && data.classes.some((c, i) => c !== String(i))) classes = data.classes;
  }
  return { inputs, samples, classes, embedded };
}

export interface EspdlBuildModelOptions {
  target: string;
  out: string;
  name?: string;
  force?: boolean;
  /** Calibration data for a float model (the calibration rule applies). */
  calib?: string;
  calibCount?: number;
  inputScale?: string;
  inputOffset?: string;
  commandLine?: string;
}

/** An ESP-DL build: a float model is quantized by the ESP-DL exporter on samples from the calibration rule. */
export async function buildEspdlModel(model: string, o: EspdlBuildModelOptions): Promise<import('../codegen/espdl/project.js').EspdlBuildResult & { warnings: Diagnostic[] }> {
  const g = await importModel(model);
  const { isEspdlGraph } = await import('../sim/espdl/index.js');
  let samples;
  if (!isEspdlGraph(g)) {
    if (!o.calib) fail('EF3001', 'quantizing for ESP-DL needs calibration data: give --calib DATA', { file: model });
    const { calibrationSamples } = await import('./samples.js');
    samples = (await calibrationSamples(g, o.calib, { count: o.calibCount, inputScale: o.inputScale, inputOffset: o.inputOffset })).samples;
  }
  const { buildEspdl } = await import('../codegen/espdl/project.js');
  const r = await buildEspdl(g, { target: o.target, out: o.out, name: o.name, force: o.force, samples, modelFile: model, commandLine: o.commandLine });
  return { ...r, warnings: modelWarnings(g) };
}
