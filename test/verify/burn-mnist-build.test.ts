// A float ONNX model whose graph ends in LogSoftmax (burn-mnist-cnn) quantized with builtin MNIST calibration
// and built for a chip: every layer has a C kernel (LogSoftmax included), the generated C runs on the host and
// under ASan/UBSan on real digits and gives the integer simulator's bytes, and the C's top-1 equals the float
// model's on those digits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPath } from '../helpers/shared.js';
import { loadModel } from '../../src/import/index.js';
import { loadDataset } from '../../src/data/index.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { quantizeInput } from '../../src/quant/report.js';
import { buildProject } from '../../src/pipeline/build.js';
import { runFloat } from '../../src/sim/float.js';
import { hasTool } from '../../src/verify/toolchain.js';
import type { Value } from '../../src/ops/types.js';

const norm = (x: number) => (x - 0.1307) / 0.3081;

async function digits(split: 'train' | 'test', n: number): Promise<Value[][]> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  return Array.from({ length: n }, (_, i) => [{ dtype: 'float32' as const, shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map(norm) }]);
}

const argmax = (d: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
};

test('burn-mnist-cnn (ends in LogSoftmax): quantize → build esp32s3 → host + sanitizers identical to the simulator', async (t) => {
  const p = sharedPath(t, 'models/onnx/burn-mnist-cnn/mnist.onnx');
  if (!p) return;
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const g = await loadModel(p);
  const q = await quantizeModel(g, await digits('train', 100));
  assert.equal(q.graph.nodes.at(-1)!.op, 'LogSoftmax');
  const test8 = await digits('test', 8);
  const inT = q.graph.tensors[q.graph.inputs[0]];
  const inputs = test8.map((s) => [Array.from(quantizeInput(s[0], inT).data as ArrayLike<number>)]);
  const r = buildProject(q.graph, { target: 'esp32s3', verify: ['host'], inputs, dryRun: true, modelFile: p });
  assert.ok(r.ok, r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  const rep = r.report!;
  assert.ok(rep.layers.some((l) => l.op === 'LogSoftmax' && l.kernel === 'logsoftmax'));
  assert.deepEqual(rep.verification.map((v) => [v.target, v.identical, v.cases]), [
    ['host', true, 8],
    ['host-sanitize', true, 8],
  ]);
  // the C output (= simulator bytes, checked above) picks the float model's class on every digit
  rep.golden.forEach((gc, k) => {
    const bytes = gc.expected[0].map((b) => (b > 127 ? b - 256 : b));
    assert.equal(argmax(bytes), argmax(runFloat(q.floatGraph, test8[k]).outputs[0].data as ArrayLike<number>), `digit ${k}`);
  });
});

test('burn-mnist-cnn, mixed scheme (int16 islands): the 16x8 layers and int8<->int16 requantize build and match the simulator', async (t) => {
  const p = sharedPath(t, 'models/onnx/burn-mnist-cnn/mnist.onnx');
  if (!p) return;
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const g = await loadModel(p);
  // a high threshold moves the (at most) three least accurate computing layers to int16
  const q = await quantizeModel(g, await digits('train', 30), { scheme: 'mixed', mixedThresholdDb: 60, mixedMaxInt16Layers: 3, mixedSamples: 8 });
  assert.equal(q.mixed!.moved.length, 3);
  const int16Ops = q.graph.nodes.filter((n) => q.graph.tensors[n.outputs[0]].dtype === 'int16').map((n) => n.op);
  assert.ok(int16Ops.includes('Conv') || int16Ops.includes('FullyConnected'), int16Ops.join(','));
  const test4 = await digits('test', 4);
  const inT = q.graph.tensors[q.graph.inputs[0]];
  const inputs = test4.map((s) => [Array.from(quantizeInput(s[0], inT).data as ArrayLike<number>)]);
  const r = buildProject(q.graph, { target: 'esp32', verify: ['host'], inputs, dryRun: true, modelFile: p });
  assert.ok(r.ok, r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  const rep = r.report!;
  // the 16x8 layers run a blocked kernel (convb16, convb16i when the sums provably fit int32) when ungrouped,
  // conv16 otherwise
  assert.ok(rep.layers.some((l) => ['conv16', 'convb16', 'convb16i'].includes(l.kernel)), rep.layers.map((l) => l.kernel).join(','));
  assert.ok(rep.layers.some((l) => l.kernel === 'requant16'));
  assert.deepEqual(rep.verification.map((v) => [v.target, v.identical, v.cases]), [
    ['host', true, 4],
    ['host-sanitize', true, 4],
  ]);
});
