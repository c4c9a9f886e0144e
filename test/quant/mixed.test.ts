// PTQ --scheme mixed on the shared mnist-8 model: int8 first, the least accurate layers moved to int16 (16x8)
// with TFLite QUANTIZE requantize nodes at the island boundaries. Judged by the per-layer SQNR against the float
// model (moved layers at least as good as in int8), graph verification, and the simulator's top-1 agreement.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/index.js';
import { loadModel } from '../../src/import/index.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Value } from '../../src/ops/types.js';
import { INT16_OPS, quantizeModel } from '../../src/quant/ptq.js';
import { evaluate, layerErrors } from '../../src/quant/report.js';
import { sharedPath } from '../helpers/shared.js';

async function mnist(split: 'train' | 'test', n: number): Promise<{ samples: Value[][]; labels: Int32Array }> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  const samples: Value[][] = [];
  // mnist-8 takes raw 0..255 pixel values
  for (let i = 0; i < n; i++) samples.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map((v) => v * 255) }]);
  return { samples, labels: ds.y! };
}

test('mnist-8 mixed: the two least accurate layers move to int16, gain SQNR, the graph verifies and runs', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const calib = (await mnist('train', 200)).samples;
  const q = await quantizeModel(g, calib, { scheme: 'mixed', mixedThresholdDb: 100, mixedMaxInt16Layers: 2, mixedSamples: 40 });
  const m = q.mixed!;
  assert.ok(m, 'mixed report');
  t.diagnostic(`moved: ${m.moved.map((l) => `${l.node} (${l.op}) ${l.int8SqnrDb.toFixed(1)} → ${l.mixedSqnrDb.toFixed(1)} dB`).join(', ')}`);
  assert.equal(m.moved.length, 2);
  // the choice: the lowest-SQNR computing layers of the int8 model
  const eligible = m.int8Layers.filter((l) => INT16_OPS.has(l.op) && !['MaxPool', 'AveragePool', 'Concat', 'Pad'].includes(l.op));
  const movedNames = new Set(m.moved.map((l) => l.node));
  for (const l of eligible) if (!movedNames.has(l.node)) for (const mv of m.moved) assert.ok(mv.int8SqnrDb <= l.sqnrDb, `${mv.node} chosen over ${l.node}`);
  for (const l of m.moved) assert.ok(l.mixedSqnrDb >= l.int8SqnrDb, `${l.node}: ${l.mixedSqnrDb} dB < int8 ${l.int8SqnrDb} dB`);

  const G = q.graph;
  assert.deepEqual(verifyGraph(G), []);
  for (const n of G.nodes) {
    if (movedNames.has(n.name)) {
      assert.equal(G.tensors[n.inputs[0]].dtype, 'int16', `${n.name} input`);
      assert.equal(G.tensors[n.outputs[0]].dtype, 'int16', `${n.name} output`);
      assert.equal(G.tensors[n.outputs[0]].quant!.zeroPoint[0], 0);
      if (n.inputs[2] >= 0) assert.equal(G.tensors[n.inputs[2]].dtype, 'int64', `${n.name} bias`);
    } else if (n.op !== 'Quantize') {
      for (const id of [n.inputs[0], n.outputs[0]]) assert.equal(G.tensors[id].dtype, 'int8', `${n.name} stays int8`);
    }
  }
  // boundaries are integer requantizations both ways
  const quantizes = G.nodes.filter((n) => n.op === 'Quantize').map((n) => `${G.tensors[n.inputs[0]].dtype}->${G.tensors[n.outputs[0]].dtype}`);
  assert.ok(quantizes.includes('int8->int16') && quantizes.includes('int16->int8'), quantizes.join(' '));

  // the simulator runs it; the independent measurement agrees with the report, and decisions follow float
  const testSet = await mnist('test', 300);
  const le = await layerErrors(q.floatGraph, G, testSet.samples.slice(0, 20));
  for (const l of m.moved) assert.equal(le.layers.find((x) => x.tensor === l.tensor)!.dtype, 'int16');
  const acc = await evaluate(q.floatGraph, G, testSet.samples, { labels: testSet.labels });
  t.diagnostic(`mixed top-1 agreement with float ${(100 * acc.agreement!).toFixed(2)}% on ${acc.samples} digits`);
  assert.ok(acc.agreement! >= 0.99, `agreement ${acc.agreement}`);
});

test('mixed with a threshold no layer falls below is the int8 model', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  const g = await loadModel(p);
  const calib = (await mnist('train', 40)).samples;
  const q = await quantizeModel(g, calib, { scheme: 'mixed', mixedThresholdDb: 0 });
  const q8 = await quantizeModel(g, calib, { scheme: 'int8' });
  assert.equal(q.mixed!.moved.length, 0);
  assert.deepEqual(q.graph.nodes.map((n) => n.op), q8.graph.nodes.map((n) => n.op));
  assert.deepEqual(q.graph.tensors.map((x) => x.dtype), q8.graph.tensors.map((x) => x.dtype));
  await assert.rejects(quantizeModel(g, calib, { scheme: 'mixed', mixedMaxInt16Layers: -1 }), /EF0006/);
});
