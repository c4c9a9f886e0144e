// Training, pruning, saving and IR conversion on small models and tiny generated / real data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/train/backend.js';
import { buildModel, countMacs, mobileNetV2, parseSpec, type ModelSpec } from '../../src/train/spec.js';
import { evaluate, trainModel } from '../../src/train/train.js';
import { MagnitudePruner, isUpdateStep, polynomialDecaySparsity, structuredPrune, type PruneSchedule } from '../../src/train/prune.js';
import { modelToIR } from '../../src/train/to-ir.js';
import { loadLayersModelFile, saveLayersModel } from '../../src/train/save.js';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { runFloat } from '../../src/sim/float.js';
import { inferGraph } from '../../src/ops/infer.js';
import { verifyGraph } from '../../src/ops/verify.js';
import { runPasses } from '../../src/passes/index.js';
import { EspforgeError } from '../../src/diagnostics.js';
import * as tfl from '@tensorflow/tfjs-layers';

const CNN: ModelSpec = {
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

function gen(n: number, shape: number[], classes: number, seed: number): Dataset {
  // class c: mean intensity (c+0.5)/classes plus noise — learnable by any of the ladder models
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < per; j++) x[i * per + j] = (y[i] + 0.5) / classes + (r() - 0.5) * 0.2;
  }
  return { x, y, shape, classes: Array.from({ length: classes }, (_, i) => String(i)), normalization: { scale: 1, offset: 0 }, source: 'generated' };
}

test('polynomial-decay schedule matches the TF-MOT formula at chosen steps', () => {
  const s: PruneSchedule = { initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 10, endStep: 110, frequency: 10, power: 3 };
  const formula = (t: number) => {
    const p = Math.min(1, Math.max(0, (t - 10) / 100));
    return 0.8 + (0.5 - 0.8) * (1 - p) ** 3;
  };
  for (const t of [0, 10, 35, 60, 109, 110, 500]) assert.ok(Math.abs(polynomialDecaySparsity(s, t) - formula(t)) < 1e-12, `step ${t}`);
  assert.equal(polynomialDecaySparsity(s, 60), 0.8 - 0.3 * 0.125); // hand value: p = 0.5
  assert.deepEqual([0, 10, 15, 20, 110, 120].map((t) => isUpdateStep(s, t)), [false, true, false, true, true, false]);
});

test('masks keep pruned weights at zero through optimizer steps (and do something)', async () => {
  await initBackend();
  const spec: ModelSpec = { input: [6], layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };
  const run = async (applyMasks: boolean) => {
    const m = buildModel(spec, { seed: 2 });
    const pr = new MagnitudePruner(m, { initialSparsity: 0.5, finalSparsity: 0.5, beginStep: 0, endStep: 0, frequency: 1, power: 3 });
    pr.beforeStep(0);
    const k0 = m.layers[0].getWeights()[0].dataSync().slice();
    const zeros = [...k0.keys()].filter((i) => k0[i] === 0);
    assert.equal(zeros.length, 24); // 50% of 6x8
    const opt = tf.train.adam(0.05);
    const x = tf.randomUniform([16, 6]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3);
    for (let i = 0; i < 5; i++) {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar);
      if (applyMasks) pr.apply();
    }
    const k1 = m.layers[0].getWeights()[0].dataSync();
    return zeros.filter((i) => k1[i] !== 0).length;
  };
  assert.equal(await run(true), 0);
  assert.ok((await run(false)) > 0, 'without re-applying masks Adam revives pruned weights');
});

test('train + prune the MNIST CNN on real digits: accuracy above chance, final sparsity reached', async () => {
  await initBackend();
  const tr = await loadDataset('builtin:mnist', { split: 'train', limit: 1200, seed: 1 });
  const te = await loadDataset('builtin:mnist', { split: 'test', limit: 400, seed: 1 });
  const m = buildModel(CNN, { seed: 1 });
  assert.equal(m.countParams(), 5258); // 80 + 1168 + 4010
  const steps = Math.ceil((1200 * 0.9) / 32) * 2;
  const progress: string[] = [];
  const r = await trainModel(m, tr, {
    epochs: 2,
    batchSize: 32,
    learningRate: 2e-3,
    validationSplit: 0.1,
    seed: 1,
    prune: { initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: Math.round(steps * 0.75), frequency: 5, power: 3 },
    onProgress: (p) => progress.push(p.phase),
  });
  assert.equal(r.history.length, 2);
  assert.ok(progress.filter((p) => p === 'batch').length === r.steps && progress.includes('epoch'));
  for (const l of r.sparsity!) assert.ok(l.sparsity >= 0.79 && l.sparsity < 0.81, `${l.layer} sparsity ${l.sparsity}`);
  const e = await evaluate(m, te);
  assert.ok(e.accuracy > 0.5, `test accuracy ${e.accuracy}`);
  // structured pruning: half the conv channels → fewer MACs, still runs, IR agrees
  const s = structuredPrune(m, CNN, 0.5, 1);
  assert.deepEqual(s.report.channels.map((c) => [c.before, c.after]), [[8, 4], [16, 8]]);
  assert.ok(countMacs(s.model) < countMacs(m) / 2, `${countMacs(s.model)} vs ${countMacs(m)}`);
  assert.ok(s.model.countParams() < m.countParams());
  const es = await evaluate(s.model, te);
  assert.ok(Number.isFinite(es.loss) && es.predictions.length === 400);
});

test('structured pruning keeps exactly the channels it claims (pruned model = original with channels dropped)', async () => {
  await initBackend();
  const spec: ModelSpec = { input: [9, 9, 2], layers: [{ type: 'conv2d', filters: 6, kernel: 3, activation: 'relu' }, { type: 'batchnorm' }, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] };
  const m = buildModel(spec, { seed: 4 });
  // make channels 1 and 4 tiny so they are the ones removed, and zero their contribution downstream
  const [k, b] = m.layers[0].getWeights();
  const kd = k.dataSync().slice();
  for (let i = 0; i < kd.length; i++) if (i % 6 === 1 || i % 6 === 4) kd[i] = 1e-6;
  const bd = b.dataSync().slice();
  bd[1] = bd[4] = -100; // relu → 0 whatever the input
  m.layers[0].setWeights([tf.tensor(kd, k.shape), tf.tensor(bd, b.shape)]);
  const bn = m.layers[1].getWeights();
  m.layers[1].setWeights(bn.map((t, i) => (i === 1 ? tf.zeros(t.shape) : t))); // beta 0: dropped channels output 0 after BN
  const s = structuredPrune(m, spec, 2 / 6, 4);
  assert.deepEqual(s.report.channels[0], { layer: 0, name: m.layers[0].name, before: 6, after: 4 });
  const x = tf.randomUniform([3, 9, 9, 2]);
  const a = (m.predict(x) as tf.Tensor).dataSync();
  const c = (s.model.predict(x) as tf.Tensor).dataSync();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) < 1e-5, `output ${i}: ${a[i]} vs ${c[i]}`);
});

async function irMatches(m: tfl.LayersModel, inputShape: number[], tol: number) {
  const x = tf.randomUniform([2, ...inputShape]);
  const want = (m.predict(x) as tf.Tensor).dataSync();
  const g = inferGraph(modelToIR(m, { batch: 2 }));
  assert.deepEqual(verifyGraph(g), []);
  const got = runFloat(g, [{ dtype: 'float32', shape: [2, ...inputShape], data: x.dataSync() as Float32Array }]).outputs[0].data;
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - got[i]) < tol, `output ${i}: tfjs ${want[i]} IR ${got[i]}`);
  return g;
}

test('to-IR: CNN with fused activations, relu6, same-padded stride-2 conv and avg pool equals tfjs', async () => {
  await initBackend();
  const spec: ModelSpec = {
    input: [15, 15, 3],
    layers: [
      { type: 'conv2d', filters: 8, kernel: 3, activation: 'relu' },
      { type: 'maxpool', pool: 2, padding: 'same' },
      { type: 'conv2d', filters: 6, kernel: 2, strides: 2, padding: 'same' },
      { type: 'activation', activation: 'relu6' },
      { type: 'depthwise', kernel: 3, strides: 1 },
      { type: 'avgpool', pool: 2, padding: 'same' },
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  };
  // the conversion is a plain translation; the fuse-activations pass then folds the relu/relu6 layers
  const g = runPasses(await irMatches(buildModel(spec, { seed: 5 }), spec.input, 1e-5), ['fuse-activations']);
  assert.deepEqual(
    g.nodes.map((n) => n.op + (n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : '')),
    ['Conv+relu', 'MaxPool', 'Conv+relu6', 'Conv', 'AveragePool', 'Reshape', 'FullyConnected', 'Softmax'],
  );
});

test('MobileNetV2 builder: structure, freezing, and IR conversion of base + head equals tfjs', async () => {
  await initBackend();
  const input = tfl.input({ shape: [32, 32, 3] });
  const { output, layers } = mobileNetV2(input, { alpha: 0.35 });
  assert.deepEqual(output.shape, [null, 1280]);
  assert.equal(layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').length, 17);
  assert.equal(layers.filter((l) => l.getClassName() === 'Add').length, 10);
  const spec = parseSpec({
    input: [32, 32, 3],
    base: { type: 'mobilenetv2', alpha: 0.35 },
    fineTune: 0.7,
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dropout', rate: 0.4 },
      { type: 'dense', units: 3, activation: 'softmax' },
    ],
  });
  const m = buildModel(spec, { seed: 6 });
  const frozen = m.layers.filter((l) => !l.trainable && l.getClassName() !== 'InputLayer').length;
  assert.equal(frozen, Math.round(0.3 * layers.length));
  assert.equal(m.layers[m.layers.length - 1].trainable, true);
  // random BN statistics so the BatchNormalization conversion is exercised
  for (const l of m.layers)
    if (l.getClassName() === 'BatchNormalization') l.setWeights(l.getWeights().map((w, i) => (i === 3 ? tf.add(tf.randomUniform(w.shape), 0.5) : tf.randomNormal(w.shape, 0, 0.3))));
  await irMatches(m, [32, 32, 3], 1e-5);
  // one training step through every gradient kernel of the base
  const r = await trainModel(m, gen(8, [32, 32, 3], 3, 1), { epochs: 1, batchSize: 4, seed: 1 });
  assert.ok(Number.isFinite(r.history[0].loss));
});

test('the small ladder models train for an epoch on generated data; the single neuron learns', async () => {
  await initBackend();
  const ladder: [ModelSpec, number][] = [
    [{ input: [1, 1, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 1, activation: 'sigmoid' }] }, 2],
    [{ input: [4], layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, 2],
    [{ input: [8, 8, 1], layers: [{ type: 'conv2d', filters: 4, kernel: 3, activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 2, activation: 'softmax' }] }, 2],
    [{ input: [15, 15, 1], layers: [{ type: 'conv2d', filters: 4, kernel: 3, activation: 'relu' }, { type: 'maxpool' }, { type: 'conv2d', filters: 8, kernel: 3, activation: 'relu' }, { type: 'maxpool' }, { type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] }, 10],
  ];
  for (const [spec, k] of ladder) {
    const m = buildModel(parseSpec(spec), { seed: 1 });
    const r = await trainModel(m, gen(64, spec.input, k, 3), { epochs: 1, batchSize: 16, seed: 1 });
    assert.ok(Number.isFinite(r.history[0].loss));
  }
  const neuron = buildModel(ladder[0][0], { seed: 1 });
  const d = gen(200, [1, 1, 1], 2, 9);
  await trainModel(neuron, d, { epochs: 40, batchSize: 20, learningRate: 0.05, seed: 1 });
  assert.ok((await evaluate(neuron, d)).accuracy > 0.95);
});

test('early stopping, class weights and bad input', async () => {
  await initBackend();
  const spec: ModelSpec = { input: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] };
  const m = buildModel(spec, { seed: 1 });
  const d = gen(60, [4], 3, 2);
  // lr 0: nothing improves, so training stops after `patience` epochs
  const r = await trainModel(m, d, { epochs: 10, learningRate: 0, earlyStopping: { patience: 2 }, classWeights: 'balanced' });
  assert.equal(r.history.length, 3);
  assert.ok(r.stoppedEarly);
  const code = async (f: () => Promise<unknown>) => f().then(() => 'none', (e) => (e instanceof EspforgeError ? e.diagnostics[0].code : String(e)));
  assert.equal(await code(() => trainModel(m, gen(10, [5], 3, 1))), 'EF5002');
  assert.equal(await code(() => trainModel(m, gen(10, [4], 5, 1))), 'EF5002');
  assert.equal(await code(async () => parseSpec({ input: [4], layers: [{ type: 'dense' }] })), 'EF5003');
  assert.equal(await code(async () => parseSpec({ input: [4], layers: [{ type: 'lstm' }] })), 'EF5003');
});

test('save as TF.js model.json + weights.bin and load back: identical predictions', async () => {
  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'ef-save-'));
  try {
    const m = buildModel(CNN, { seed: 8 });
    const saved = await saveLayersModel(m, dir, { classes: ['a'] });
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.equal(json.weightsManifest[0].paths[0], 'weights.bin');
    assert.equal(saved.bytes, 5258 * 4);
    const back = await loadLayersModelFile(dir);
    const x = tf.randomUniform([2, 28, 28, 1]);
    assert.deepEqual(Array.from((back.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cosine learning-rate schedule follows the half-cosine formula; constant is constant', async () => {
  const { learningRateAt } = await import('../../src/train/train.js');
  const o = { learningRate: 0.01, lrSchedule: 'cosine' as const, minLearningRate: 0.001 };
  for (const t of [0, 25, 50, 99, 100]) {
    const want = 0.001 + 0.009 * 0.5 * (1 + Math.cos((Math.PI * t) / 100));
    assert.ok(Math.abs(learningRateAt(t, 100, o) - want) < 1e-12, `step ${t}`);
  }
  assert.ok(Math.abs(learningRateAt(50, 100, o) - 0.0055) < 1e-12); // hand value: halfway = mean of the ends
  assert.equal(learningRateAt(70, 100, { learningRate: 0.01 }), 0.01);
  assert.ok(Math.abs(learningRateAt(1, 100, { ...o, warmupSteps: 4 }) - 0.005) < 1e-12); // warm-up: (1+1)/4 of lr
});

test('shift augmentation equals a naive per-pixel translation', async () => {
  const { shiftImage } = await import('../../src/train/train.js');
  const [h, w, c] = [5, 4, 2];
  const src = Float32Array.from({ length: h * w * c }, (_, i) => i + 1);
  for (const [dy, dx] of [[0, 0], [1, -1], [-2, 3], [4, 0], [0, -4], [-5, 1]]) {
    const got = new Float32Array(h * w * c);
    shiftImage(src, h, w, c, dy, dx, -1, got);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const sy = y - dy;
          const sx = x - dx;
          const want = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(sy * w + sx) * c + k] : -1;
          assert.equal(got[(y * w + x) * c + k], want, `shift ${dy},${dx} at ${y},${x},${k}`);
        }
  }
});

test('pruning schedule options: delayed begin, minWeights leaves small kernels dense', async () => {
  await initBackend();
  const { defaultSchedule } = await import('../../src/train/prune.js');
  const s = defaultSchedule(0.5, 0.8, 1000, { begin: 0.3, end: 0.6, updates: 15, minWeights: 256 });
  assert.equal(s.beginStep, 300);
  assert.equal(s.endStep, 600);
  assert.equal(s.frequency, 20);
  assert.equal(polynomialDecaySparsity(s, 299), 0.5); // before begin: schedule's initial value but no update step
  assert.equal(isUpdateStep(s, 299), false);
  const legacy = defaultSchedule(0.5, 0.8, 1000);
  assert.deepEqual([legacy.beginStep, legacy.endStep, legacy.frequency], [0, 750, 75]);
  const m = buildModel(CNN, { seed: 3 }); // conv1 has 72 weights, conv2 1152, dense 4000
  const pr = new MagnitudePruner(m, { ...s, beginStep: 0, endStep: 0, frequency: 1, initialSparsity: 0.8 });
  pr.beforeStep(0);
  pr.strip();
  const rep = Object.fromEntries(m.layers.filter((l) => l.getWeights().length).map((l) => [l.getClassName() + l.name, l.getWeights()[0].dataSync().filter((v) => v === 0).length / l.getWeights()[0].size]));
  const vals = Object.values(rep);
  assert.equal(vals[0], 0, 'first conv (72 weights < 256) stays dense');
  for (const v of vals.slice(1)) assert.ok(Math.abs(v - 0.8) < 0.001, `sparsity ${v}`);
});
