// Quantization parameter rules (properties) and the structure of the quantized IR on a small graph.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Value } from '../../src/ops/types.js';
import { asymmetricParams, quantizeModel, quantizeWeights, rha, symmetricParams } from '../../src/quant/ptq.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

test('asymmetric int8 params: zero is exact, range covered, scale is float32', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const a = r() * 20;
    const b = a + Math.abs(r()) * 30;
    const { scale, zeroPoint } = asymmetricParams({ min: a, max: b });
    const lo = Math.min(0, a);
    const hi = Math.max(0, b);
    assert.ok(Number.isInteger(zeroPoint) && zeroPoint >= -128 && zeroPoint <= 127);
    assert.equal(scale, Math.fround(scale));
    // 0.0 is representable: q = zp
    assert.equal(rha(0 / scale) + zeroPoint, zeroPoint);
    // the representable range covers the requested one up to half a step (nudging)
    assert.ok((-128 - zeroPoint) * scale <= lo + scale / 2 + 1e-9, `lo ${lo}`);
    assert.ok((127 - zeroPoint) * scale >= hi - scale / 2 - 1e-9, `hi ${hi}`);
    assert.ok(Math.abs(scale * 255 - (hi - lo)) <= 1e-6 * (hi - lo) + 1e-12);
  }
  // all-positive range (after ReLU): zp = -128
  assert.equal(asymmetricParams({ min: 0.5, max: 6 }).zeroPoint, -128);
  assert.equal(asymmetricParams({ min: -6, max: -1 }).zeroPoint, 127);
  assert.equal(symmetricParams({ min: -3, max: 1 }, 32767).zeroPoint, 0);
});

test('per-channel symmetric weights: each channel max maps to ±127, error ≤ half a step', () => {
  const r = rng(9);
  const data = Float32Array.from({ length: 4 * 3 * 3 * 2 }, (_, i) => r() * (1 + Math.floor(i / 18)));
  const q = quantizeWeights({ id: 0, name: 'w', dtype: 'float32', shape: [4, 3, 3, 2], data }, 0);
  assert.equal(q.quant.scale.length, 4);
  for (let c = 0; c < 4; c++) {
    let m = 0;
    let qm = 0;
    for (let i = c * 18; i < (c + 1) * 18; i++) {
      m = Math.max(m, Math.abs(data[i]));
      qm = Math.max(qm, Math.abs(q.data[i]));
      assert.ok(Math.abs(q.data[i] * q.quant.scale[c] - data[i]) <= q.quant.scale[c] / 2 + 1e-7);
    }
    assert.equal(qm, 127);
    assert.ok(Math.abs(q.quant.scale[c] - m / 127) < 1e-6 * m);
  }
});

test('quantized IR: int8 activations, int32 bias at s_in·s_w, shared pool scales, fixed softmax output', async () => {
  const r = rng(3);
  const rand = (n: number) => Float32Array.from({ length: n }, () => r());
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 8, 8, 2] });
  b.inputs = [x];
  const c = b.tensor({ name: 'c', dtype: 'float32', shape: [1, 6, 6, 4] });
  b.node({ op: 'Conv', name: 'conv', inputs: [x, b.constant('w', 'float32', [4, 3, 3, 2], rand(72)), b.constant('b', 'float32', [4], rand(4))], outputs: [c], attrs: { activation: 'relu' } });
  const p = b.tensor({ name: 'p', dtype: 'float32', shape: [1, 3, 3, 4] });
  b.node({ op: 'MaxPool', name: 'pool', inputs: [c], outputs: [p], attrs: { kernel: [2, 2], strides: [2, 2] } });
  const f = b.tensor({ name: 'f', dtype: 'float32', shape: [1, 36] });
  b.node({ op: 'Reshape', name: 'flat', inputs: [p], outputs: [f], attrs: { shape: [1, 36] } });
  const y = b.tensor({ name: 'y', dtype: 'float32', shape: [1, 5] });
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [f, b.constant('wf', 'float32', [5, 36], rand(180)), b.constant('bf', 'float32', [5], rand(5))], outputs: [y], attrs: {} });
  const s = b.tensor({ name: 's', dtype: 'float32', shape: [1, 5] });
  b.node({ op: 'Softmax', name: 'sm', inputs: [y], outputs: [s], attrs: {} });
  b.outputs = [s];
  const g = b.build();
  const calib: Value[][] = Array.from({ length: 20 }, () => [{ dtype: 'float32', shape: [1, 8, 8, 2], data: rand(128).map((v) => v * 4) }]);
  const { graph: q, ranges, floatGraph } = await quantizeModel(g, calib, { prepare: false });
  assert.deepEqual(verifyGraph(q), []);
  const T = (name: string) => q.tensors.find((t) => t.name === name)!;
  for (const n of ['x', 'c', 'p', 'f', 'y', 's']) assert.equal(T(n).dtype, 'int8', n);
  assert.equal(T('w').dtype, 'int8');
  assert.equal(T('w').quant!.scale.length, 4);
  assert.equal(T('wf').quant!.scale.length, 1);
  assert.equal(T('b').dtype, 'int32');
  T('b').quant!.scale.forEach((sb, k) => assert.equal(sb, Math.fround(T('x').quant!.scale[0] * T('w').quant!.scale[k])));
  assert.equal(T('bf').quant!.scale[0], Math.fround(T('f').quant!.scale[0] * T('wf').quant!.scale[0]));
  // pools and reshapes share the producer's parameters; ReLU output range starts at 0 → zp = -128
  assert.deepEqual(T('p').quant, T('c').quant);
  assert.deepEqual(T('f').quant, T('c').quant);
  assert.equal(T('c').quant!.zeroPoint[0], -128);
  assert.deepEqual(T('s').quant, { scale: [1 / 256], zeroPoint: [-128], axis: 0 });
  // the input's range is the observed one
  const rx = ranges.get(floatGraph.inputs[0])!;
  const ax = asymmetricParams(rx);
  assert.equal(T('x').quant!.scale[0], ax.scale);
});

test('an integer-input model is refused with a coded error', async () => {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, 4] });
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: [1, 4] });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Relu', name: 'r', inputs: [x], outputs: [y], attrs: {} });
  await assert.rejects(quantizeModel(b.build(), [[{ dtype: 'int8', shape: [1, 4], data: new Int8Array(4) }]], { prepare: false }), /EF3003/);
});
