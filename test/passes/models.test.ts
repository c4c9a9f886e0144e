// The pass pipeline on real models: after every pass the IR verifies and the float output on real inputs equals
// the original graph's output (tolerance: folding BN/bias changes float32 rounding order, ~1e-6 relative per
// op, so 1e-4 of the output's magnitude is generous yet catches any real change); the graph shrinks as the
// model's structure says it must.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { loadModel } from '../../src/import/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import { readNpz } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { tracePasses } from '../../src/passes/index.js';
import { runFloat } from '../../src/sim/float.js';
import { sharedPath } from '../helpers/shared.js';

async function digits(n: number, f: (x: number) => number): Promise<Value[][]> {
  const ds = await loadDataset('builtin:mnist', { limit: n, inputShape: [28, 28, 1] });
  const out: Value[][] = [];
  for (let i = 0; i < n; i++) out.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map(f) }]);
  return out;
}

function check(g0: Graph, samples: Value[][], expectOps: string[] | undefined, tol = 1e-4) {
  const { graph, steps } = tracePasses(g0, undefined, { dumpAfter: 'all' });
  const ref = samples.map((s) => runFloat(g0, s).outputs[0].data);
  for (const st of steps) {
    assert.deepEqual(verifyGraph(st.graph!), [], `after ${st.name}`);
    samples.forEach((s, k) => {
      const y = runFloat(st.graph!, s).outputs[0].data;
      const r = ref[k];
      let m = 0;
      for (const v of r) m = Math.max(m, Math.abs(v));
      for (let i = 0; i < r.length; i++) assert.ok(Math.abs(y[i] - r[i]) <= tol * Math.max(1, m), `after ${st.name}, sample ${k}[${i}]: ${y[i]} vs ${r[i]}`);
    });
  }
  const ops = graph.nodes.map((n) => n.op + (n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : ''));
  if (expectOps) assert.deepEqual(ops, expectOps);
  return graph;
}

test('mnist-8 (CNTK): Conv+Add bias and MatMul+Add fold, Relu fuses', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  check(g, await digits(8, (x) => x * 255), ['Conv+relu', 'MaxPool', 'Conv+relu', 'MaxPool', 'Reshape', 'FullyConnected']);
});

test('burn-mnist-cnn: BN after Gemm folds; BN after Relu folds forward into the next Gemm through Flatten; Relu fuses', async (t) => {
  const p = sharedPath(t, 'models/onnx/burn-mnist-cnn/mnist.onnx');
  if (!p) return;
  const g = await loadModel(p);
  assert.equal(g.nodes.filter((n) => n.op === 'BatchNormalization').length, 2);
  check(g, await digits(6, (x) => (x - 0.1307) / 0.3081), [
    'Conv+relu', 'Conv+relu', 'Conv+relu', 'Reshape', 'FullyConnected+relu', 'FullyConnected', 'LogSoftmax',
  ]);
});

test('onnx2c MLP with BatchNormalization on [N,C] folds into the FullyConnected layers', async (t) => {
  const p = sharedPath(t, 'models/onnx/onnx2c-mnist-mlp-bn/pytorch.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const s = (await digits(6, (x) => x)).map(([v]) => [{ ...v, shape: [1, 784] }]);
  check(g, s, ['FullyConnected', 'FullyConnected', 'FullyConnected']);
});

test('keras2onnx hello-world (symbolic batch N): MatMul+Add+Relu become FullyConnected+relu', async (t) => {
  const p = sharedPath(t, 'models/onnx/onnx2c-tfl-helloworld/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const s = [0, 0.5, 1.5, 3, 4.5, 6].map((x) => [{ dtype: 'float32' as const, shape: [1, 1], data: Float32Array.of(x) }]);
  const out = check(g, s, ['FullyConnected+relu', 'FullyConnected+relu', 'FullyConnected']);
  assert.deepEqual(out.tensors[out.inputs[0]].shape, [1, 1]);
});

test('tinymaix float TFLite models are already canonical: passes keep them unchanged', async (t) => {
  const dir = sharedPath(t, 'models/tflite/tinymaix');
  if (!dir) return;
  const mn = await digits(3, (x) => x);
  for (const m of ['mnist_valid', 'mnist_dw', 'mnist_resnet']) {
    const g = await loadModel(`${dir}/${m}_f.tflite`);
    const out = check(g, mn, undefined);
    assert.equal(out.nodes.length, g.nodes.length, m);
  }
  const vww = readNpz(readFileSync(`${dir}/samples/vww96_samples.npz`)).get('x')!;
  const g = await loadModel(`${dir}/vww96_f.tflite`);
  const per = 96 * 96 * 3;
  check(g, [0, 3].map((i) => [{ dtype: 'float32' as const, shape: [1, 96, 96, 3], data: Float32Array.from(vww.data.subarray(i * per, (i + 1) * per), (v) => v / 255) }]), undefined);
});
