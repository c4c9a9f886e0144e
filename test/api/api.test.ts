// The typed library (src/api.ts) in-process on a tiny model whose outputs are computed here by hand:
// y = relu(x) · W. inspect, quantize (calibration rule), simulate (float and int8), evaluate, and the API's
// quantize feeding its build.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { model } from '../helpers/onnx-model.js';
import { writeNpz } from '../../src/io/npy.js';
import * as api from '../../src/api.js';

const W = Float32Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) / 7 - 0.4); // [4, 3]

function reference(x: ArrayLike<number>): number[] {
  const r = Array.from(x, (v) => Math.max(0, v));
  return [0, 1, 2].map((j) => r.reduce((s, v, i) => s + v * W[i * 3 + j], 0));
}

test('api: inspect, quantize, simulate, evaluate and build on y = relu(x)·W', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-api-'));
  try {
    const m = join(dir, 'mlp.onnx');
    writeFileSync(m, model({
      opset: 13,
      nodes: [{ op: 'Relu', ins: ['x'], outs: ['r'] }, { op: 'MatMul', ins: ['r', 'w'], outs: ['y'] }],
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: ['y'],
      inits: [{ name: 'w', v: { dtype: 'float32', shape: [4, 3], data: W } }],
    }));
    // labels = the reference's argmax, so the float model is 100% accurate on every split
    const n = 50;
    const xs = new Float32Array(n * 4).map((_, i) => ((i * 13) % 17) / 8 - 1);
    const ys = Int32Array.from({ length: n }, (_, k) => {
      const y = reference(xs.subarray(k * 4, k * 4 + 4));
      return y.indexOf(Math.max(...y));
    });
    const data = join(dir, 'd.npz');
    writeFileSync(data, writeNpz({ x: { dtype: 'float32', shape: [n, 4], data: xs }, y: { dtype: 'int32', shape: [n], data: ys } }));

    const info = await api.inspect(m);
    assert.deepEqual(info.layers.map((l) => l.op), ['Relu', 'FullyConnected']); // the importer maps MatMul by a constant
    assert.deepEqual(info.diagnostics, []);

    const g = await api.loadModel(m);
    assert.equal(api.isQuantized(g), false);
    const q = await api.quantize(g, { calib: data });
    assert.equal(api.isQuantized(q.graph), true);
    assert.equal(q.calibSamples.length, n * 0.8); // the training split (seeded 80%) of 50 samples, under CALIB_COUNT
    assert.match(q.calibSource ?? '', /\(train\)/);

    const x = Float32Array.from([0.9, -0.5, 0.3, 0.7]);
    const input = [{ dtype: 'float32' as const, shape: [1, 4], data: x }];
    const [f] = await api.simulate(g, input);
    assert.equal(f.engine, 'float');
    const want = reference(x);
    Array.from(f.floats[0].data).forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 1e-5, `float output ${j}`));
    const [iq] = await api.simulate(q.graph, [input], { quantized: true });
    assert.equal(iq.engine, 'int');
    const outT = q.graph.tensors[q.graph.outputs[0]];
    const scale = outT.quant?.scale[0] ?? 0;
    // int8 within a few output steps of the real value (input, weight and output rounding)
    Array.from(iq.floats[0].data).forEach((v, j) => assert.ok(Math.abs(v - want[j]) <= 4 * scale + 1e-6, `int8 output ${j}: ${v} vs ${want[j]}`));
    await assert.rejects(api.simulate(g, input, { quantized: true }), (e: unknown) => e instanceof api.EspforgeError);

    const acc = await api.evaluate(m, data, { quantized: true });
    assert.equal(acc.samples, n * 0.2); // the test split only
    assert.equal(acc.floatAccuracy, 1);
    assert.ok(acc.agreement !== undefined && acc.agreement >= 0.8, `agreement ${acc.agreement}`);

    const b = await api.build(q.graph, { target: 'esp32c3' });
    assert.equal(b.ok, true, JSON.stringify(b.diagnostics));
    assert.ok(b.files['main/app_main.c'] && b.report!.macs === 12);
    const bad = await api.build(m, { target: 'esp32c3' });
    assert.equal(bad.ok, false);
    assert.equal(bad.diagnostics[0].code, 'EF3001'); // a float model without calibration data
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
