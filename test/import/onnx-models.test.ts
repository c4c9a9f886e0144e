// Real ONNX models from ../shared/models/onnx imported and run on the float reference, checked against data
// from the origin projects (mnist-8 zoo outputs, tract io.npz), labelled digits, and sin(x).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importOnnx, readTensorProto } from '../../src/import/onnx/index.js';
import { readNpz } from '../../src/io/npy.js';
import { toSourceLayout, toStoredLayout } from '../../src/ir/layout.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { prepareFloat, runFloat } from '../../src/sim/float.js';
import { sharedPath } from '../helpers/shared.js';

function load(p: string): Graph {
  const g = importOnnx(readFileSync(p), p);
  assert.deepEqual(verifyGraph(g), []);
  return g;
}

/** Run with the input given in the source (ONNX) layout; outputs back in the source layout. */
function run(g: Graph, x: Value): Value {
  const out = runFloat(g, [toStoredLayout(x, g.tensors[g.inputs[0]])]).outputs[0];
  return toSourceLayout(out, g.tensors[g.outputs[0]]);
}

const argmax = (d: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
};

/** The 10 TensorSpace digits (float 0..1, NHWC [10,28,28,1]) as NCHW [1,1,28,28] images. */
function digits(t: import('node:test').TestContext): { x: Value; labels: number[] } | undefined {
  const p = sharedPath(t, 'models', 'keras', 'tensorspace', 'samples', 'mnist_digits.npz');
  if (!p) return undefined;
  const m = readNpz(readFileSync(p), p);
  return { x: m.get('x')!, labels: Array.from(m.get('label')!.data) };
}

test('mnist-8 reproduces the 3 official zoo output sets (rtol 1e-3, atol 1e-7)', (t) => {
  const d = sharedPath(t, 'models', 'onnx', 'mnist-8');
  if (!d) return;
  const g = load(join(d, 'model.onnx'));
  assert.deepEqual(g.tensors[g.inputs[0]].sourcePerm, [0, 2, 3, 1]);
  assert.ok(!g.nodes.some((n) => n.op === 'Transpose'), 'no runtime transposes: weights are permuted at import');
  for (const k of [0, 1, 2]) {
    const x = readTensorProto(readFileSync(join(d, `test_data_set_${k}`, 'input_0.pb')));
    const want = readTensorProto(readFileSync(join(d, `test_data_set_${k}`, 'output_0.pb')));
    const y = run(g, x);
    assert.deepEqual(y.shape, want.shape);
    for (let i = 0; i < want.data.length; i++)
      assert.ok(Math.abs(y.data[i] - want.data[i]) <= 1e-7 + 1e-3 * Math.abs(want.data[i]), `set ${k} logit ${i}: ${y.data[i]} vs ${want.data[i]}`);
    assert.equal(argmax(y.data), [2, 0, 9][k]);
  }
});

test('burn-mnist-cnn labels the 10 TensorSpace digits (Flatten of a permuted map feeds Gemm)', (t) => {
  const p = sharedPath(t, 'models', 'onnx', 'burn-mnist-cnn', 'mnist.onnx');
  const ds = digits(t);
  if (!p || !ds) return;
  const g = prepareFloat(load(p));
  assert.ok(!g.graph.nodes.some((n) => n.op === 'Transpose'), 'CHW→HWC handled by permuting the FC weight rows, not a transpose');
  const inT = g.graph.tensors[g.graph.inputs[0]];
  const got: number[] = [];
  for (let k = 0; k < 10; k++) {
    const img = new Float32Array(784);
    for (let i = 0; i < 784; i++) img[i] = (ds.x.data[k * 784 + i] - 0.1307) / 0.3081;
    const out = runFloat(g, [toStoredLayout({ dtype: 'float32', shape: [1, 1, 28, 28], data: img }, inT)]).outputs[0];
    got.push(argmax(out.data));
  }
  assert.deepEqual(got, ds.labels);
});

test('onnx2c-atmega-mnist (14x14, opset 9, Reshape → Gemm) labels 2x2-averaged digits', (t) => {
  const p = sharedPath(t, 'models', 'onnx', 'onnx2c-atmega-mnist', 'mnist.simplified.onnx');
  const ds = digits(t);
  if (!p || !ds) return;
  const g = load(p);
  assert.ok(!g.nodes.some((n) => n.op === 'Transpose'));
  let correct = 0;
  for (let k = 0; k < 10; k++) {
    const img = new Float32Array(196);
    for (let y = 0; y < 14; y++)
      for (let x = 0; x < 14; x++) {
        let s = 0;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) s += ds.x.data[k * 784 + (2 * y + dy) * 28 + 2 * x + dx];
        img[y * 14 + x] = s / 4;
      }
    const out = run(g, { dtype: 'float32', shape: [1, 1, 14, 14], data: img });
    if (argmax(out.data) === ds.labels[k]) correct++;
  }
  t.diagnostic(`onnx2c-atmega-mnist: ${correct}/10 downscaled digits labelled correctly`);
  assert.ok(correct >= 8, `${correct}/10 correct`);
});

test('onnx2c-mnist-mlp-bn (Constant nodes, BatchNormalization on [N,C]) labels the digits', (t) => {
  const p = sharedPath(t, 'models', 'onnx', 'onnx2c-mnist-mlp-bn', 'pytorch.onnx');
  const ds = digits(t);
  if (!p || !ds) return;
  const g = load(p);
  let correct = 0;
  for (let k = 0; k < 10; k++) {
    const out = run(g, { dtype: 'float32', shape: [1, 784], data: ds.x.data.slice(k * 784, (k + 1) * 784) });
    if (argmax(out.data) === ds.labels[k]) correct++;
  }
  t.diagnostic(`onnx2c-mnist-mlp-bn: ${correct}/10 digits (inputs 0..1, no normalisation)`);
  assert.ok(correct >= 8, `${correct}/10 correct`);
});

for (const [name, file] of [
  ['onnx2c-tfl-helloworld', 'model.onnx'],
  ['burn-sine', 'sine.onnx'],
] as const) {
  test(`${name} (symbolic batch → 1) approximates sin(x) on [0, 2π]`, (t) => {
    const p = sharedPath(t, 'models', 'onnx', name, file);
    if (!p) return;
    const g = load(p);
    assert.deepEqual(g.tensors[g.inputs[0]].shape, [1, 1]);
    assert.match(String(g.meta.info?.notes ?? ''), /symbolic dimension/);
    let worst = 0;
    for (let i = 0; i <= 20; i++) {
      const x = (i / 20) * 2 * Math.PI;
      const y = run(g, { dtype: 'float32', shape: [1, 1], data: new Float32Array([x]) }).data[0];
      worst = Math.max(worst, Math.abs(y - Math.sin(x)));
    }
    t.diagnostic(`${name}: max |f(x) - sin x| = ${worst.toFixed(3)}`);
    assert.ok(worst < 0.25, `worst error ${worst}`);
  });
}

test('tract-keras-tf2 reproduces its io.npz output (0.510028)', (t) => {
  const d = sharedPath(t, 'models', 'onnx', 'tract-keras-tf2');
  if (!d) return;
  const g = load(join(d, 'example.onnx'));
  const io = readNpz(readFileSync(join(d, 'io.npz')));
  const y = run(g, io.get('input')!);
  const want = io.get('output')!.data[0];
  assert.ok(Math.abs(y.data[0] - want) <= 1e-5, `${y.data[0]} vs ${want}`);
});
