// Training on the TF.js wasm backend: (a) the Fashion-MNIST recipe of examples/09-fashion-mnist-cnn.json on the
// full 60,000 training images of the Debian package dataset-fashion-mnist, tested on its 10,000 test images;
// (b) `espforge demo` (train + prune on the mnist package digits, int8, host-verified build): wall time and
// accuracy. Timings are wall-clock on whatever else the machine is doing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetSize, loadDataset } from '../src/data/index.js';
import { initBackend } from '../src/train/backend.js';
import { DEMO_EPOCHS, DEMO_PRUNE, runDemo } from '../src/train/demo.js';
import { buildModel, countMacs, parseSpec } from '../src/train/spec.js';
import { evaluate, trainModel } from '../src/train/train.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const SPEC = join(import.meta.dirname, '..', 'examples', '09-fashion-mnist-cnn.json');
const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);

async function fashion(): Promise<string> {
  if (!existsSync(FASHION)) return `not measured: ${FASHION} is missing (apt install dataset-fashion-mnist)\n`;
  const backend = await initBackend();
  const spec = parseSpec(JSON.parse(readFileSync(SPEC, 'utf8')), SPEC);
  const d = spec.train ?? {};
  const seed = d.seed ?? 0;
  const t0 = performance.now();
  const train = await loadDataset(FASHION, { split: 'train', inputShape: spec.input, seed });
  const test = await loadDataset(FASHION, { split: 'test', inputShape: spec.input, seed });
  const model = buildModel(spec, { seed });
  const r = await trainModel(model, train, {
    epochs: d.epochs,
    batchSize: d.batchSize,
    learningRate: d.learningRate,
    lrSchedule: d.lrSchedule,
    validationSplit: d.validationSplit ?? 0,
    seed,
  });
  const e = await evaluate(model, test);
  const wall = (performance.now() - t0) / 1000;
  const epochs = r.history.map((h) => h.seconds.toFixed(1)).join(', ');
  const rows = [
    '| model | parameters | MACs | train / test images | epochs × batch | learning rate | s / epoch (each) | total wall time | train accuracy (last epoch) | test accuracy |',
    '|---|---:|---:|---:|---|---|---|---:|---:|---:|',
    `| examples/09-fashion-mnist-cnn.json | ${model.countParams()} | ${countMacs(model)} | ${datasetSize(train)} / ${datasetSize(test)} | ${r.history.length} × ${d.batchSize} | Adam ${d.learningRate}, ${d.lrSchedule ?? 'constant'} | ${r.secondsPerEpoch.toFixed(1)} (${epochs}) | ${(wall / 60).toFixed(1)} min | ${pct(r.history[r.history.length - 1]?.accuracy)} | **${pct(e.accuracy)}** |`,
  ];
  return (
    `### Fashion-MNIST (backend ${backend}, one thread)\n\n${rows.join('\n')}\n\n` +
    `Target of the issue: ≤ 30k parameters, ≥ 89 % test accuracy, ≤ 15 min: ${model.countParams() <= 30000 && e.accuracy >= 0.89 && wall <= 900 ? 'met' : 'NOT met'}. ` +
    'Total wall time includes loading the IDX files and the test evaluation. Conv 3x3x16 → pool → conv 3x3x32 → pool → ' +
    'dropout 0.25 → dense 10, no batch norm: batch-norm training on wasm is ~5x slower per step (its gradient tiles ' +
    'per-channel factors to the full activation shape), which would not fit the time budget.\n'
  );
}

async function demo(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'espforge-bench-demo-'));
  try {
    const r = await runDemo({ out, force: true });
    const p = DEMO_PRUNE;
    const row = `| ${r.parameters} | ${r.trainSamples} / ${r.testSamples} | ${DEMO_EPOCHS} | ${r.secondsPerEpoch.toFixed(1)} | ${(100 * r.sparsity).toFixed(1)}% | ${pct(r.floatAccuracy)} | ${pct(r.int8Accuracy)} | ${pct(r.agreement)} | ${r.verified === undefined ? '-' : r.verified ? 'identical' : 'MISMATCH'} | ${r.seconds.toFixed(1)} s |`;
    return (
      `### \`espforge demo\` (builtin:mnist digits)\n\n` +
      '| parameters | train / test digits | epochs | s / epoch | weights pruned | float test accuracy | int8 test accuracy | float↔int8 agreement | host C vs simulator | total wall time |\n' +
      '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n' +
      row +
      `\n\nRecipe: Adam 3e-3 with cosine decay, batch 32, ±1 px shifts; magnitude pruning ${p.initial * 100}→${p.final * 100} % between ${p.begin * 100} % and ${p.end * 100} % of the steps ` +
      `(kernels under ${p.minWeights} weights stay dense), then fine-tuning under fixed masks; int8 minmax calibration on 300 training digits. ` +
      (r.stoppedAt ? `Stopped at: ${r.stoppedAt.stage}.` : '') +
      '\n'
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function trainBench(): Promise<string> {
  const parts = [await fashion(), await demo()];
  return parts.join('\n');
}
