// Post-training quantization of real float models, judged against the float model (top-1 agreement on 1000
// MNIST digits), against the TFLite converter's own int8 twins (tinymaix `_q`, hello_world_int8: same labels on
// every shared sample), and against a TFLite round trip (export → import → identical integer results).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { loadModel } from '../../src/import/index.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import type { Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import { readNpy, readNpz } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { dequantize, evaluate, layerErrors, quantizeInput, renderAccuracyReport } from '../../src/quant/report.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { sharedPath } from '../helpers/shared.js';

type Split = 'train' | 'test';
async function mnist(split: Split, n: number, f: (x: number) => number): Promise<{ samples: Value[][]; labels: Int32Array }> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  const samples: Value[][] = [];
  for (let i = 0; i < n; i++) samples.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map(f) }]);
  return { samples, labels: ds.y! };
}

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
}
/** Top-1 of an integer graph on a float sample (quantized with the graph's input record). */
function intTop1(g: Graph, s: Value[]): number {
  const out = runInt(g, g.inputs.map((id, k) => quantizeInput(s[k], g.tensors[id]))).outputs[0];
  return argmax(dequantize(out, g.tensors[g.outputs[0]]));
}

async function mnistAgreement(t: import('node:test').TestContext, path: string, f: (x: number) => number, nTest = 1000, nCalib = 200) {
  const g = await loadModel(path);
  const calib = await mnist('train', nCalib, f);
  const q = await quantizeModel(g, calib.samples);
  assert.deepEqual(verifyGraph(q.graph), []);
  const testSet = await mnist('test', nTest, f);
  const acc = await evaluate(q.floatGraph, q.graph, testSet.samples, { labels: testSet.labels });
  t.diagnostic(renderAccuracyReport(acc).split('\n').slice(0, 4).join(' | '));
  assert.ok(acc.agreement! >= 0.995, `top-1 agreement ${acc.agreement}`);
  assert.ok(acc.quantAccuracy! >= acc.floatAccuracy! - 0.01);
  const layers = await layerErrors(q.floatGraph, q.graph, testSet.samples.slice(0, 20));
  const last = layers.layers[layers.layers.length - 1];
  t.diagnostic(`per-layer SQNR dB: ${layers.layers.map((l) => `${l.op} ${l.sqnrDb.toFixed(1)}`).join(', ')}`);
  assert.ok(layers.layers.length >= 4);
  for (const l of layers.layers) assert.ok(l.sqnrDb > 15, `${l.tensor} SQNR ${l.sqnrDb}`);
  assert.ok(last.maxAbsErr < 0.1 * last.maxAbs);
  return q;
}

test('mnist-8 (raw 0..255 input): int8 PTQ keeps ≥ 99.5% top-1 agreement on 1000 digits', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const q = await mnistAgreement(t, p, (x) => x * 255);
  // the exported .tflite re-imports to the same integer results
  const back = prepareIntGraph(importTflite(exportTflite(q.graph), 'roundtrip.tflite'));
  const s = (await mnist('test', 20, (x) => x * 255)).samples;
  for (const x of s) {
    const a = runInt(q.graph, [quantizeInput(x[0], q.graph.tensors[q.graph.inputs[0]])]).outputs[0];
    const b = runInt(back, [quantizeInput(x[0], back.tensors[back.inputs[0]])]).outputs[0];
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
  }
});

test('burn-mnist-cnn (normalised input, BN, LogSoftmax): fully int8, PTQ keeps ≥ 99.5% agreement', async (t) => {
  const p = sharedPath(t, 'models/onnx/burn-mnist-cnn/mnist.onnx');
  if (!p) return;
  // a larger network (1.5 MB of weights): 400 test digits keep the suite fast; mnist-8 above runs 1000
  const q = await mnistAgreement(t, p, (x) => (x - 0.1307) / 0.3081, 400, 100);
  // LogSoftmax runs the TFLM int8 kernel: no float node is left, and its output has TFLite's fixed quantization
  const floatNodes = q.graph.nodes.filter((n) => n.qparams?.float_node === 1 || n.op === 'Dequantize' || n.op === 'Quantize');
  assert.deepEqual(floatNodes.map((n) => n.op), []);
  assert.equal(q.graph.nodes.at(-1)!.op, 'LogSoftmax');
  const out = q.graph.tensors[q.graph.outputs[0]];
  assert.equal(out.dtype, 'int8');
  assert.deepEqual([out.quant!.scale[0], out.quant!.zeroPoint[0]], [16 / 256, 127]);
});

async function tinymaixSets(dir: string): Promise<Record<string, { samples: Value[][]; labels: number[] }>> {
  const u8 = (v: Value, i: number, per: number, shape: number[]): Value[] => [
    { dtype: 'float32', shape, data: Float32Array.from(v.data.subarray(i * per, (i + 1) * per), (p) => p / 255) },
  ];
  const digits = ['mnist_digit2', 'mnist_digit9'].map((f) => u8(readNpy(readFileSync(`${dir}/samples/${f}.npy`)), 0, 784, [1, 28, 28, 1]));
  const sets: Record<string, { samples: Value[][]; labels: number[] }> = { mnist: { samples: digits, labels: [2, 9] } };
  for (const [name, side] of [['cifar10', 32], ['vww96', 96]] as const) {
    const z = readNpz(readFileSync(`${dir}/samples/${name}_samples.npz`));
    const x = z.get('x')!;
    const per = side * side * 3;
    sets[name] = { samples: Array.from({ length: x.shape[0] }, (_, i) => u8(x, i, per, [1, side, side, 3])), labels: Array.from(z.get('label')!.data) };
  }
  return sets;
}
const TINYMAIX = ['mnist_valid', 'mnist_dw', 'mnist_resnet', 'cifar10', 'vww96'];

test('tinymaix float twins quantized with the shared samples as calibration give the labels their int8 twins give', async (t) => {
  const dir = sharedPath(t, 'models/tflite/tinymaix');
  if (!dir) return;
  const sets = await tinymaixSets(dir);
  for (const m of TINYMAIX) {
    const set = sets[m.startsWith('mnist') ? 'mnist' : m];
    const q = await quantizeModel(await loadModel(`${dir}/${m}_f.tflite`), set.samples);
    // MANIFEST: every shared sample gives its stated label on both the _f and the _q model
    assert.deepEqual(set.samples.map((s) => intTop1(q.graph, s)), set.labels, m);
  }
});

test('tinymaix: our int8 models agree with the imported converter-made _q twins', async (t) => {
  const dir = sharedPath(t, 'models/tflite/tinymaix');
  if (!dir) return;
  const sets = await tinymaixSets(dir);
  const extra = (await mnist('test', 200, (x) => x)).samples;
  for (const m of TINYMAIX) {
    const set = sets[m.startsWith('mnist') ? 'mnist' : m];
    const calib = m.startsWith('mnist') ? [...set.samples, ...extra.slice(0, 100)] : set.samples;
    const q = await quantizeModel(await loadModel(`${dir}/${m}_f.tflite`), calib);
    const twin = prepareIntGraph(await loadModel(`${dir}/${m}_q.tflite`));
    const ours = set.samples.map((s) => intTop1(q.graph, s));
    const theirs = set.samples.map((s) => intTop1(twin, s));
    assert.deepEqual(ours, theirs, `${m}: our int8 labels vs the _q twin's`);
    let note = `${m}: labels ${ours.join(',')} = twin`;
    if (m.startsWith('mnist')) {
      let agree = 0;
      for (const s of extra) if (intTop1(q.graph, s) === intTop1(twin, s)) agree++;
      note += `; agreement with twin on ${extra.length} builtin digits ${((100 * agree) / extra.length).toFixed(1)}%`;
      assert.ok(agree / extra.length >= 0.97, note);
    }
    t.diagnostic(note);
  }
});

test('hello_world_float quantized here tracks sin(x) like the converter-made hello_world_int8', async (t) => {
  const dir = sharedPath(t, 'models/tflite/tflm-hello-world');
  if (!dir) return;
  const calib: Value[][] = Array.from({ length: 64 }, (_, i) => [{ dtype: 'float32', shape: [1, 1], data: Float32Array.of((2 * Math.PI * i) / 63) }]);
  const q = await quantizeModel(await loadModel(`${dir}/hello_world_float.tflite`), calib);
  const twin = prepareIntGraph(await loadModel(`${dir}/hello_world_int8.tflite`));
  const run = (g: Graph, x: number) => {
    const v: Value = { dtype: 'float32', shape: [1, 1], data: Float32Array.of(x) };
    return dequantize(runInt(g, [quantizeInput(v, g.tensors[g.inputs[0]])]).outputs[0], g.tensors[g.outputs[0]])[0];
  };
  for (const x of [0.77, 1.57, 2.3, 3.14, 4.5, 5.5]) {
    const ours = run(q.graph, x);
    const theirs = run(twin, x);
    assert.ok(Math.abs(ours - Math.sin(x)) <= 0.1, `x=${x}: ours ${ours} vs sin ${Math.sin(x)}`);
    assert.ok(Math.abs(ours - theirs) <= 0.06, `x=${x}: ours ${ours} vs twin ${theirs}`);
  }
});

test('mnist-8: int16 (16x8) scheme and the percentile / mse / kl observers also keep the float decisions', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const calib = (await mnist('train', 60, (x) => x * 255)).samples;
  const testSet = await mnist('test', 200, (x) => x * 255);
  const runs = [
    { scheme: 'int16', method: 'minmax' },
    { scheme: 'int8', method: 'percentile' },
    { scheme: 'int8', method: 'mse' },
    { scheme: 'int8', method: 'kl' },
  ] as const;
  for (const r of runs) {
    const q = await quantizeModel(g, calib, r);
    assert.deepEqual(verifyGraph(q.graph), []);
    const acc = await evaluate(q.floatGraph, q.graph, testSet.samples, { labels: testSet.labels });
    const layers = await layerErrors(q.floatGraph, q.graph, testSet.samples.slice(0, 10));
    t.diagnostic(`${r.scheme}/${r.method}: agreement ${(100 * acc.agreement!).toFixed(1)}%, SQNR ${layers.layers.map((l) => l.sqnrDb.toFixed(1)).join(' ')}`);
    assert.ok(acc.agreement! >= 0.99, `${r.scheme}/${r.method} agreement ${acc.agreement}`);
    for (const l of layers.layers) assert.ok(l.sqnrDb > 25, `${r.scheme}/${r.method} ${l.tensor} SQNR ${l.sqnrDb}`);
    if (r.scheme === 'int16') {
      const acts = q.graph.tensors.filter((x) => !x.data && x.quant);
      assert.ok(acts.every((x) => x.dtype === 'int16' && x.quant!.zeroPoint[0] === 0));
      assert.ok(q.graph.tensors.filter((x) => x.data && x.dtype === 'int64').length >= 3, 'int64 biases');
    }
  }
});
