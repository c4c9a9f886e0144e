// IR → tfjs-layers conversion (src/train/from-ir/) checked against the float interpreter on real imported
// models (Keras, ONNX, TFLite) and a synthetic graph covering the remaining ops; cutting a graph; a spec whose
// base comes from a model file, trained, frozen in part, converted back, quantized and run in the simulator.
//
// Tolerance: |tfjs − runFloat| <= 1e-5 · max(1, max|runFloat|) per output (float32 kernels summing in a different
// order; measured at most 7.6e-7 on these models).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { writeNpz } from '../../src/io/npy.js';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { initBackend, tf } from '../../src/train/backend.js';
import { applyGraph, cutGraph, dequantizeGraph, graphToLayersModel } from '../../src/train/from-ir/index.js';
import { modelToIR } from '../../src/train/to-ir.js';
import { buildModel, describeBase, loadSpecBase, parseSpec } from '../../src/train/spec.js';
import { evaluate, trainModel } from '../../src/train/train.js';
import type { Dataset } from '../../src/data/index.js';
import { loadModel } from '../../src/import/index.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ops/infer.js';
import { runFloat } from '../../src/sim/float.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { quantizeGraph } from '../../src/quant/ptq.js';
import { dequantize, quantizeInput } from '../../src/quant/report.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { saveLayersModel } from '../../src/train/save.js';

const TOL = 1e-5;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

function randomInput(shape: number[], seed: number, lo = 0, hi = 1): Float32Array {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Max |a − b| scaled by max(1, max|a|). */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
}

function predict(m: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (m.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

const float = (g: Graph, x: Float32Array) => runFloat(g, [{ dtype: 'float32', shape: g.tensors[g.inputs[0]].shape, data: x }]).outputs[0].data as Float32Array;

async function code(f: () => unknown): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    if (e instanceof EspforgeError) return e.diagnostics[0].code;
    throw e;
  }
  return undefined;
}

const models: [string, string[]][] = [
  ['vww96.h5 (Keras MobileNet v1 0.25)', ['models', 'keras', 'tinymaix', 'vww96.h5']],
  ['mnist-8 (ONNX)', ['models', 'onnx', 'mnist-8', 'model.onnx']],
  ['mnist_dw_f.tflite (TFLite float)', ['models', 'tflite', 'tinymaix', 'mnist_dw_f.tflite']],
];

for (const [label, parts] of models) {
  test(`from-ir: ${label} as a tfjs model predicts what runFloat computes; IR → tfjs → IR round trip too`, async (t) => {
    const path = sharedPath(t, ...parts);
    if (!path) return;
    await initBackend();
    const g = await loadModel(path);
    const m = graphToLayersModel(g);
    const shape = g.tensors[g.inputs[0]].shape;
    // every weighted IR node became a layer carrying its (sanitised) name
    const names = new Set(m.layers.map((l) => l.name));
    for (const n of g.nodes) if (n.op === 'Conv' || n.op === 'FullyConnected') assert.ok(names.has(n.name.split(';')[0].replace(/[^A-Za-z0-9._-]/g, '_')), `layer for ${n.name}`);
    const back = modelToIR(m);
    for (let s = 1; s <= 3; s++) {
      const x = randomInput(shape, s * 31 + parts.length);
      const ref = float(g, x);
      const got = predict(m, x, shape);
      assert.ok(relDiff(ref, got) <= TOL, `${label} input ${s}: tfjs differs by ${relDiff(ref, got)}`);
      const rt = float(back, x);
      assert.ok(relDiff(ref, rt) <= TOL, `${label} input ${s}: round trip differs by ${relDiff(ref, rt)}`);
    }
  });
}

/** A graph exercising explicit pads, channel multipliers, custom activations, merges, pooling and padding. */
function syntheticGraph(): Graph {
  const r = rng(7);
  const b = new GraphBuilder({ format: 'test' });
  const w = (name: string, shape: number[], scale = 0.5) => b.constant(name, 'float32', shape, Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => (r() - 0.5) * 2 * scale));
  const t = (name: string) => b.tensor({ name, dtype: 'float32', shape: [] });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 9, 9, 3] });
  b.inputs.push(x);
  const node = (op: string, name: string, inputs: number[], attrs: Record<string, number | number[] | string> = {}) => {
    const o = t(name);
    b.node({ op, name, inputs, outputs: [o], attrs });
    return o;
  };
  // asymmetric pads (not TF 'same') → ZeroPadding2D + valid conv; relu_n1_to_1 → clip layer
  // input normalisation with constants: (x − mean) / std, then 1 − x style reversed subtraction
  const sub = node('Sub', 'norm/sub', [x, w('mean', [3])], { activation: 'none' });
  const div = node('Div', 'norm/div', [sub, b.constant('std', 'float32', [1, 1, 1, 3], Float32Array.from([0.5, 0.25, 2]))], { activation: 'none' });
  const rsub = node('Sub', 'norm/rsub', [w('one', [1]), div], { activation: 'none' });
  const c1 = node('Conv', 'conv/asym', [rsub, w('k1', [4, 3, 3, 3]), w('b1', [4])], { strides: [1, 1], dilations: [1, 1], pads: [2, 1, 0, 1], group: 1, activation: 'relu_n1_to_1' });
  // depthwise with channel multiplier 2, stride 2, TF 'same' pads
  const dw = node('Conv', 'dw', [c1, w('k2', [8, 3, 3, 1]), w('b2', [8])], { strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], group: 4, activation: 'relu6' });
  const hs = node('HardSwish', 'hswish', [dw]);
  const lr = node('LeakyRelu', 'leaky', [dw], { alpha: 0.1 });
  const cat = node('Concat', 'cat', [hs, lr], { axis: 3 });
  const sc = node('Mul', 'scale', [cat, w('s', [16], 2)], { activation: 'none' });
  const ap = node('AveragePool', 'avg', [sc], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], ceil_mode: 0, count_include_pad: 0 });
  const gm = node('ReduceMax', 'gmax', [ap], { axes: [1, 2], keepdims: 1 });
  const se = node('Mul', 'se', [ap, gm], { activation: 'none' });
  const pd = node('Pad', 'pad', [se], { pads: [0, 1, 1, 0, 0, 0, 1, 0], mode: 'constant', value: 0 });
  const mp = node('MaxPool', 'maxp', [pd], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil_mode: 0 });
  const rs = node('Reshape', 'flat', [mp], { shape: [1, 64] });
  const fc = node('FullyConnected', 'fc', [rs, w('k3', [5, 64]), -1], { activation: 'none' });
  const bias = node('Add', 'fc_bias', [fc, w('b3', [1, 5])], { activation: 'none' });
  const cl = node('Clip', 'clip', [bias], { min: -0.5, max: 0.75 });
  b.outputs.push(cl);
  return inferGraph(b.build());
}

test('from-ir: synthetic graph (zero-padded conv, depthwise ×2, hard-swish, leaky ReLU, concat, constant and broadcast Mul, avg/max/global pools, Pad, bias Add, clip) equals runFloat, also after to-ir', async () => {
  await initBackend();
  const g = syntheticGraph();
  assert.deepEqual(g.tensors[g.outputs[0]].shape, [1, 5]);
  const m = graphToLayersModel(g);
  const classes = m.layers.map((l) => l.getClassName());
  for (const c of ['ZeroPadding2D', 'DepthwiseConv2D', 'Concatenate', 'Multiply', 'EspforgeConstantOp', 'EspforgeActivation', 'AveragePooling2D', 'GlobalMaxPooling2D', 'LeakyReLU'])
    assert.ok(classes.includes(c), `${c} in ${classes}`);
  // the bias Add folded into the Dense layer
  assert.ok(!m.layers.some((l) => l.name === 'fc_bias'), 'bias Add folded');
  // and back: to-ir knows the merges, activations and custom layers from-ir makes
  const back = modelToIR(m);
  for (let s = 1; s <= 3; s++) {
    const x = randomInput([1, 9, 9, 3], s, -2, 2);
    const ref = float(g, x);
    const got = predict(m, x, [1, 9, 9, 3]);
    assert.ok(relDiff(ref, got) <= TOL, `input ${s}: differs by ${relDiff(ref, got)} (${Array.from(ref)} vs ${Array.from(got)})`);
    const rt = float(back, x);
    assert.ok(relDiff(ref, rt) <= TOL, `input ${s}: round trip differs by ${relDiff(ref, rt)}`);
  }
  // saved as a TF.js model.json (with espforge's custom layers), it re-imports through the TF.js importer
  const dir = mkdtempSync(join(tmpdir(), 'espforge-fromir-'));
  await saveLayersModel(m, dir);
  const re = await loadModel(join(dir, 'model.json'));
  const x = randomInput([1, 9, 9, 3], 9, -2, 2);
  assert.ok(relDiff(float(g, x), float(re, x)) <= TOL, 'saved model.json re-imports to the same function');
});

test('from-ir: unsupported ops and quantized graphs fail with EF2008 naming the node', async () => {
  await initBackend();
  const b = new GraphBuilder({ format: 'test' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 4, 4, 4] });
  b.inputs.push(x);
  const y = b.tensor({ name: 'y', dtype: 'float32', shape: [] });
  b.node({ op: 'Conv', name: 'grouped', inputs: [x, b.constant('k', 'float32', [4, 1, 1, 2], new Float32Array(8)), -1], outputs: [y], attrs: { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 2, activation: 'none' } });
  b.outputs.push(y);
  const g = inferGraph(b.build());
  try {
    graphToLayersModel(g);
    assert.fail('grouped conv converted');
  } catch (e) {
    assert.ok(e instanceof EspforgeError, String(e));
    assert.equal(e.diagnostics[0].code, 'EF2008');
    assert.equal(e.diagnostics[0].node, 'grouped');
  }
  const b2 = new GraphBuilder({ format: 'test' });
  const x2 = b2.tensor({ name: 'x', dtype: 'float32', shape: [1, 4, 4] });
  b2.inputs.push(x2);
  const y2 = b2.tensor({ name: 'y', dtype: 'float32', shape: [] });
  b2.node({ op: 'Transpose', name: 'tr', inputs: [x2], outputs: [y2], attrs: { perm: [0, 2, 1] } });
  b2.outputs.push(y2);
  assert.equal(await code(() => graphToLayersModel(inferGraph(b2.build()))), 'EF2008');
});

test('dequantizeGraph: int8 TFLite models become float bases whose output tracks the integer simulator; tfjs equals runFloat on them', async (t) => {
  await initBackend();
  for (const f of ['vww96_q.tflite', 'mnist_resnet_q.tflite']) {
    const path = sharedPath(t, 'models', 'tflite', 'tinymaix', f);
    if (!path) return;
    const q = prepareIntGraph(await loadModel(path));
    const g = dequantizeGraph(q);
    assert.ok(g.tensors.every((tt) => !tt.quant) && g.tensors[g.inputs[0]].dtype === 'float32', `${f}: float graph`);
    const m = graphToLayersModel(g);
    const shape = g.tensors[g.inputs[0]].shape;
    for (let s = 1; s <= 2; s++) {
      const x = randomInput(shape, s + 40);
      const v = { dtype: 'float32' as const, shape, data: x };
      const ref = float(g, x);
      // weights and activations were int8: the float twin stays within a few output quanta of the simulator
      const sim = dequantize(runInt(q, [quantizeInput(v, q.tensors[q.inputs[0]])]).outputs[0], q.tensors[q.outputs[0]]);
      assert.ok(relDiff(ref, sim) < 0.02, `${f}: dequantized float vs int8 simulator differ by ${relDiff(ref, sim)}`);
      assert.ok(relDiff(ref, predict(m, x, shape)) <= TOL, `${f}: tfjs vs runFloat ${relDiff(ref, predict(m, x, shape))}`);
    }
  }
});

test('cutGraph: auto finds the classifier input (conv head → cut before it + pool; FC head → pool output); names and errors', async (t) => {
  const vww = sharedPath(t, 'models', 'keras', 'tinymaix', 'vww96.h5');
  const dw = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_dw_f.tflite');
  if (!vww || !dw) return;
  const g = await loadModel(vww);
  const a = cutGraph(g, 'auto');
  assert.equal(a.tensor, 're_lu_26');
  assert.equal(a.pool, 'mean');
  assert.deepEqual(a.graph.tensors[a.graph.outputs[0]].shape, [1, 3, 3, 256]);
  assert.ok(!a.graph.nodes.some((n) => n.name === 'head1'), 'classifier conv cut off');
  const byNode = cutGraph(g, 'batch_normalization_26');
  assert.equal(byNode.tensor, 'batch_normalization_26');
  assert.equal(byNode.pool, undefined);
  const d = cutGraph(await loadModel(dw), 'auto');
  assert.equal(d.tensor, 'GAP/Mean');
  assert.deepEqual(d.graph.tensors[d.graph.outputs[0]].shape, [1, 32]);
  assert.equal(await code(() => cutGraph(g, 'no_such_layer')), 'EF5003');
  assert.equal(await code(() => cutGraph(g, g.tensors[g.inputs[0]].name)), 'EF5003');
});

test('spec JSON: file bases parse ("head" alias, input from the base), bad fields are EF5003', async () => {
  const s = parseSpec({ base: { file: 'm.h5', cut: 'auto', trainable: 0.7 }, head: [{ type: 'dense', units: 2, activation: 'softmax' }] });
  assert.deepEqual(s.input, []);
  assert.equal(s.layers.length, 1);
  assert.equal(await code(() => parseSpec({ base: { file: 'm.h5', trainable: 1.5 }, layers: [] })), 'EF5003');
  assert.equal(await code(() => parseSpec({ base: { file: 'm.h5', trainable: 0.5 }, fineTune: 0.5, layers: [] })), 'EF5003');
  assert.equal(await code(() => parseSpec({ base: { file: 'm.h5', alpha: 1 }, layers: [] })), 'EF5003');
  assert.equal(await code(() => parseSpec({ base: { file: '' }, layers: [] })), 'EF5003');
  // buildModel before loadSpecBase says what to do
  assert.equal(await code(() => buildModel(s)), 'EF5003');
});

/** Two classes of 96x96 RGB images with different colour statistics (reddish vs bluish, noisy). */
function colourImages(n: number, seed: number): Dataset {
  const r = rng(seed);
  const per = 96 * 96 * 3;
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    const base = y[i] === 0 ? [0.75, 0.35, 0.25] : [0.25, 0.4, 0.75];
    for (let p = 0; p < 96 * 96; p++) for (let c = 0; c < 3; c++) x[i * per + p * 3 + c] = Math.min(1, Math.max(0, base[c] + (r() - 0.5) * 0.5));
  }
  return { x, y, shape: [96, 96, 3], classes: ['red', 'blue'], normalization: { scale: 1, offset: 0 }, source: 'generated' };
}

test('spec with an imported base: vww96.h5 cut at its global pool + Dense head trains; frozen layers keep their weights; IR → int8 runs in the simulator', async (t) => {
  const vww = sharedPath(t, 'models', 'keras', 'tinymaix', 'vww96.h5');
  if (!vww) return;
  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'espforge-base-'));
  try {
    // the spec lives elsewhere: "file" is relative to the spec file
    const specFile = join(dir, 'spec.json');
    const json = { name: 'vww_head', base: { file: relative(dir, vww), cut: 'auto', trainable: 0.3 }, layers: [{ type: 'dense', units: 2, activation: 'softmax' }] };
    writeFileSync(specFile, JSON.stringify(json));
    const spec = await loadSpecBase(parseSpec(JSON.parse(JSON.stringify(json)), specFile), specFile);
    assert.deepEqual(spec.input, [96, 96, 3]);
    assert.equal(describeBase(spec)?.tensor, 're_lu_26');
    const m = buildModel(spec, { seed: 3 });
    assert.deepEqual(m.outputs[0].shape, [null, 2]);
    const weighted = m.layers.filter((l) => l.getWeights().length > 0);
    const head = m.layers[m.layers.length - 1];
    const base = weighted.filter((l) => l !== head);
    assert.equal(base.length, 54); // 27 conv + 27 batch norm before the classifier conv
    const frozen = base.filter((l) => !l.trainable);
    assert.equal(frozen.length, Math.round(0.7 * base.length));
    assert.ok(base.slice(0, frozen.length).every((l) => !l.trainable), 'the bottom of the base is frozen');
    assert.ok(head.trainable, 'head trains');
    // the imported weights arrived: the base's output equals runFloat on the cut graph
    const cut = cutGraph(await loadModel(vww), 're_lu_26');
    const x0 = randomInput([1, 96, 96, 3], 5);
    const feat = tfl.model({ inputs: m.inputs, outputs: m.getLayer('re_lu_26').output as tfl.SymbolicTensor });
    assert.ok(relDiff(float(cut.graph, x0), predict(feat, x0, [1, 96, 96, 3])) <= TOL, 'base features equal runFloat on the cut graph');

    const data = colourImages(32, 11);
    const before = new Map(weighted.map((l) => [l.name, l.getWeights().map((w) => w.dataSync().slice() as Float32Array)]));
    const l0 = (await evaluate(m, data)).loss;
    const r = await trainModel(m, data, { epochs: 1, batchSize: 8, learningRate: 0.005, seed: 1 });
    const l1 = (await evaluate(m, data)).loss;
    t.diagnostic(`loss ${l0.toFixed(4)} → ${l1.toFixed(4)} after 1 epoch (${r.steps} steps, ${r.secondsPerEpoch.toFixed(2)} s)`);
    assert.ok(l1 < l0, `loss did not decrease: ${l0} → ${l1}`);
    const changed = (l: tfl.layers.Layer) => l.getWeights().some((w, k) => relDiff(before.get(l.name)![k], w.dataSync()) > 0);
    for (const l of frozen) assert.ok(!changed(l), `frozen layer ${l.name} changed`);
    for (const l of [...base.filter((l) => l.trainable && l.getClassName() !== 'BatchNormalization'), head]) assert.ok(changed(l), `trainable layer ${l.name} did not change`);

    // back to the IR, quantize, and run the integer simulator
    const g = modelToIR(m, { name: 'vww_head' });
    const xs = Array.from({ length: 3 }, (_, i) => data.x.slice(i * 96 * 96 * 3, (i + 1) * 96 * 96 * 3));
    for (const x of xs) assert.ok(relDiff(float(g, x), predict(m, x, [1, 96, 96, 3])) <= TOL, 'trained model → IR equals tfjs');
    const calib = Array.from({ length: 8 }, (_, i) => [{ dtype: 'float32' as const, shape: [1, 96, 96, 3], data: data.x.slice(i * 96 * 96 * 3, (i + 1) * 96 * 96 * 3) }]);
    const q = await quantizeGraph(g, calib);
    assert.ok(q.tensors.some((tt) => tt.dtype === 'int8'), 'int8 tensors');
    let agree = 0;
    let maxErr = 0;
    for (const x of xs) {
      const v = { dtype: 'float32' as const, shape: [1, 96, 96, 3], data: x };
      const out = dequantize(runInt(q, [quantizeInput(v, q.tensors[q.inputs[0]])]).outputs[0], q.tensors[q.outputs[0]]);
      const f = float(g, x);
      maxErr = Math.max(maxErr, ...Array.from(f, (p, k) => Math.abs(p - out[k])));
      if ((out[1] > out[0]) === (f[1] > f[0])) agree++;
    }
    t.diagnostic(`int8 vs float: max |Δp| ${maxErr.toFixed(4)}, ${agree}/${xs.length} same class`);
    assert.ok(maxErr < 0.1, `int8 probabilities differ from float by ${maxErr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('applyGraph: a base graph applies to a caller-made input (TypeScript API with an IR graph)', async (t) => {
  const dw = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_dw_f.tflite');
  if (!dw) return;
  await initBackend();
  const g = await loadModel(dw);
  const spec = await loadSpecBase(parseSpec({ base: { graph: g, cut: 'auto' }, layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }));
  assert.deepEqual(spec.input, [28, 28, 1]);
  const m = buildModel(spec, { seed: 1 });
  assert.deepEqual(m.outputs[0].shape, [null, 3]);
  // trainable defaults to 1: nothing frozen
  const frozen = m.layers.filter((l) => !l.trainable && l.getClassName() !== 'InputLayer').map((l) => l.name);
  assert.deepEqual(frozen, []);
  const inp = tfl.input({ shape: [28, 28, 1] });
  const { outputs, layers } = applyGraph(cutGraph(g, 'auto').graph, [inp], { prefix: 'b_' });
  assert.deepEqual(outputs[0].shape, [null, 32]);
  assert.ok(layers.every((l) => l.name.startsWith('b_')), 'prefixed names');
});

test('espforge train with a file base: spec → trained model.json that re-imports, frozen imported weights intact', async (t) => {
  const vww = sharedPath(t, 'models', 'keras', 'tinymaix', 'vww96.h5');
  if (!vww) return;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-base-cli-'));
  try {
    const data = colourImages(24, 3);
    writeFileSync(join(dir, 'rgb.npz'), writeNpz({ x: { dtype: 'float32', shape: [24, 96, 96, 3], data: data.x }, y: { dtype: 'int32', shape: [24], data: data.y! } }));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ base: { file: vww, cut: 'auto', trainable: 0.3 }, head: [{ type: 'dense', units: 2, activation: 'softmax' }] }));
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'train', join(dir, 'spec.json'), '--data', join(dir, 'rgb.npz'), '--out', join(dir, 'out'), '--epochs', '1', '--batch', '8', '--json'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const res = JSON.parse(r.stdout);
    assert.equal(res.ok, true);
    const trained = await loadModel(join(dir, 'out', 'model.json'));
    const orig = await loadModel(vww);
    const last = trained.nodes[trained.nodes.length - 1];
    assert.deepEqual(trained.tensors[last.outputs[0]].shape, [1, 2]);
    // the first convolution is frozen: its imported weights come back bit for bit
    const w = (g: Graph) => g.tensors[g.nodes.find((n) => n.name === 'conv2d')!.inputs[1]].data as Float32Array;
    assert.deepEqual(Array.from(w(trained)), Array.from(w(orig)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
