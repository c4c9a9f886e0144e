// ONNX importer behaviour on small models built here with the generated protobuf writer: TensorProto round
// trips, external data, attribute and operator diagnostics, opset-dependent semantics, layout bookkeeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EspforgeError, toDiagnostics } from '../../src/diagnostics.js';
import { importOnnx, onnxConstantInputs, readTensorProto, writeTensorProto } from '../../src/import/onnx/index.js';
import { onnx } from '../../src/import/onnx/proto.js';
import { toSourceLayout, transposeValue } from '../../src/ir/layout.js';
import type { Value } from '../../src/ops/types.js';
import { runFloat } from '../../src/sim/float.js';

import { model } from '../helpers/onnx-model.js';

const f32 = (shape: number[], f: (i: number) => number): Value => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => f(i)) };
};

function codes(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof EspforgeError, `uncaught ${(e as Error).stack}`);
    return toDiagnostics(e).map((d) => d.code);
  }
  return [];
}

test('TensorProto .pb round trip for every dtype, incl. unaligned raw_data and int64', () => {
  const vals: Value[] = [
    f32([2, 3], (i) => i * 0.5 - 1),
    { dtype: 'float64', shape: [3], data: new Float64Array([1e-300, -2, 3.25]) },
    { dtype: 'int64', shape: [2], data: new Float64Array([-(2 ** 40), 7]) },
    { dtype: 'int32', shape: [2], data: new Int32Array([-5, 2 ** 30]) },
    { dtype: 'int16', shape: [1], data: new Int16Array([-300]) },
    { dtype: 'uint16', shape: [1], data: new Uint16Array([60000]) },
    { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) },
    { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
    { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
    { dtype: 'float32', shape: [], data: new Float32Array([42]) },
  ];
  for (const v of vals) {
    const b = writeTensorProto(v, 'x');
    const shifted = new Uint8Array(b.length + 1);
    shifted.set(b, 1); // raw_data now starts at an odd offset of the buffer
    const back = readTensorProto(shifted.subarray(1));
    assert.equal(back.dtype, v.dtype);
    assert.deepEqual(back.shape, v.shape);
    assert.deepEqual(Array.from(back.data), Array.from(v.data));
  }
  // int64 dims come back as plain numbers (Long is disabled)
  const t = onnx.TensorProto.decode(onnx.TensorProto.encode(onnx.TensorProto.create({ dims: [2 ** 40, 3] })).finish());
  assert.equal(typeof t.dims[0], 'number');
  assert.equal(t.dims[0], 2 ** 40);
  // huge declared size with no data: coded, no allocation
  assert.deepEqual(codes(() => readTensorProto(onnx.TensorProto.encode(onnx.TensorProto.create({ dims: [2 ** 40, 3], dataType: 1 })).finish())), ['EF1007']);
  assert.deepEqual(codes(() => readTensorProto(onnx.TensorProto.encode(onnx.TensorProto.create({ dims: [10], dataType: 1, rawData: new Uint8Array(8) })).finish())), ['EF0004']);
  assert.deepEqual(codes(() => readTensorProto(onnx.TensorProto.encode(onnx.TensorProto.create({ dims: [1], dataType: 10, int32Data: [0] })).finish())), ['EF2006']);
});

test('external-data tensors give EF2004 naming the file', () => {
  const b = model({ opset: 13, nodes: [{ op: 'Add', ins: ['x', 'w'], outs: ['y'] }], inputs: [{ name: 'x', dims: [4] }], outputs: ['y'], external: 'w' });
  let msg = '';
  try {
    importOnnx(b, 'ext.onnx');
  } catch (e) {
    const d = toDiagnostics(e);
    assert.equal(d[0].code, 'EF2004');
    msg = d[0].message;
  }
  assert.match(msg, /weights\.bin/);
});

test('unknown attributes are EF2003 naming node and attribute; all unsupported ops are listed at once', () => {
  const b = model({ opset: 13, nodes: [{ op: 'Relu', ins: ['x'], outs: ['y'], attrs: [{ name: 'bogus', i: 1 }], name: 'r1' }], inputs: [{ name: 'x', dims: [2] }], outputs: ['y'] });
  try {
    importOnnx(b, 'a.onnx');
    assert.fail('accepted');
  } catch (e) {
    const d = toDiagnostics(e)[0];
    assert.equal(d.code, 'EF2003');
    assert.equal(d.node, 'r1');
    assert.match(d.message, /bogus/);
  }
  const u = model({
    opset: 13,
    nodes: [
      { op: 'Softplus', ins: ['x'], outs: ['a'], name: 'sp' },
      { op: 'Relu', ins: ['a'], outs: ['b'] },
      { op: 'LRN', ins: ['b'], outs: ['y'], name: 'lrn' },
    ],
    inputs: [{ name: 'x', dims: [2] }],
    outputs: ['y'],
  });
  try {
    importOnnx(u, 'u.onnx');
    assert.fail('accepted');
  } catch (e) {
    const ds = toDiagnostics(e);
    assert.deepEqual(ds.map((d) => d.code), ['EF2002', 'EF2002']);
    assert.deepEqual(ds.map((d) => d.node), ['sp', 'lrn']);
  }
});

/** Naive softmax over ONNX semantics: coerce to 2-D at `axis` (opset < 13) or one axis (≥ 13). */
function refSoftmax(x: Value, axis: number, coerce: boolean): Float32Array {
  const s = x.shape;
  const out = new Float32Array(x.data.length);
  if (coerce) {
    const inner = s.slice(axis).reduce((a, b) => a * b, 1);
    for (let o = 0; o < x.data.length / inner; o++) {
      let m = -Infinity;
      for (let i = 0; i < inner; i++) m = Math.max(m, x.data[o * inner + i]);
      let z = 0;
      for (let i = 0; i < inner; i++) z += Math.exp(x.data[o * inner + i] - m);
      for (let i = 0; i < inner; i++) out[o * inner + i] = Math.exp(x.data[o * inner + i] - m) / z;
    }
    return out;
  }
  const inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = s[axis];
  for (let o = 0; o < x.data.length / (inner * n); o++)
    for (let i = 0; i < inner; i++) {
      let m = -Infinity;
      for (let k = 0; k < n; k++) m = Math.max(m, x.data[(o * n + k) * inner + i]);
      let z = 0;
      for (let k = 0; k < n; k++) z += Math.exp(x.data[(o * n + k) * inner + i] - m);
      for (let k = 0; k < n; k++) out[(o * n + k) * inner + i] = Math.exp(x.data[(o * n + k) * inner + i] - m) / z;
    }
  return out;
}

test('Softmax axis semantics: 2-D coercion before opset 13, single axis from 13', () => {
  const x = f32([2, 3, 4], (i) => Math.sin(i * 1.7) * 3);
  for (const opset of [11, 13]) {
    const b = model({ opset, nodes: [{ op: 'Softmax', ins: ['x'], outs: ['y'], attrs: [{ name: 'axis', i: 1 }] }], inputs: [{ name: 'x', dims: [2, 3, 4] }], outputs: ['y'] });
    const g = importOnnx(b, 's.onnx');
    const y = runFloat(g, [x]).outputs[0];
    const want = refSoftmax(x, 1, opset < 13);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(y.data[i] - want[i]) < 1e-6, `opset ${opset} [${i}] ${y.data[i]} vs ${want[i]}`);
  }
});

test('Clip: min/max attributes before opset 11, constant inputs from 11', () => {
  const x = f32([5], (i) => i * 2 - 4);
  const old = model({ opset: 6, nodes: [{ op: 'Clip', ins: ['x'], outs: ['y'], attrs: [{ name: 'min', f: -1 }, { name: 'max', f: 2 }] }], inputs: [{ name: 'x', dims: [5] }], outputs: ['y'] });
  const neu = model({
    opset: 13,
    nodes: [{ op: 'Clip', ins: ['x', 'lo', 'hi'], outs: ['y'] }],
    inputs: [{ name: 'x', dims: [5] }],
    outputs: ['y'],
    inits: [
      { name: 'lo', v: { dtype: 'float32', shape: [], data: new Float32Array([-1]) } },
      { name: 'hi', v: { dtype: 'float32', shape: [], data: new Float32Array([2]) } },
    ],
  });
  for (const b of [old, neu]) assert.deepEqual(Array.from(runFloat(importOnnx(b, 'c.onnx'), [x]).outputs[0].data), [-1, -1, 0, 2, 2]);
});

test('Conv1d with a weight graph input: bound, stored [N,1,L,C], output back as [N,C,L]', () => {
  const b = model({
    opset: 13,
    nodes: [{ op: 'Conv', ins: ['x', 'w'], outs: ['y'], attrs: [{ name: 'pads', ints: [1, 1] }] }],
    inputs: [{ name: 'x', dims: [1, 2, 5] }, { name: 'w', dims: [3, 2, 3] }],
    outputs: ['y'],
  });
  assert.deepEqual([...onnxConstantInputs(b)], ['w']);
  const w = f32([3, 2, 3], (i) => ((i * 7) % 5) - 2);
  const x = f32([1, 2, 5], (i) => i + 1);
  const g = importOnnx(b, 'c1.onnx', { bindInputs: new Map([['w', w]]) });
  const inT = g.tensors[g.inputs[0]];
  assert.deepEqual(inT.shape, [1, 5, 2]);
  assert.deepEqual(inT.sourcePerm, [0, 2, 1]);
  const out = runFloat(g, [transposeValue(x, inT.sourcePerm!)]).outputs[0];
  const y = toSourceLayout(out, g.tensors[g.outputs[0]]);
  assert.deepEqual(y.shape, [1, 3, 5]);
  // naive reference
  for (let o = 0; o < 3; o++)
    for (let l = 0; l < 5; l++) {
      let s = 0;
      for (let c = 0; c < 2; c++)
        for (let k = 0; k < 3; k++) {
          const p = l + k - 1;
          if (p >= 0 && p < 5) s += x.data[c * 5 + p] * w.data[(o * 2 + c) * 3 + k];
        }
      assert.equal(y.data[o * 5 + l], s);
    }
});

test('Flatten of a channels-last map into MatMul permutes weight rows (no runtime Transpose)', () => {
  // x [1,2,2,2] → Relu → Conv 1x1 (identity weights) → Flatten → MatMul W[8,3]
  const eye = f32([2, 2, 1, 1], (i) => (i === 0 || i === 3 ? 1 : 0));
  const W = f32([8, 3], (i) => (i % 7) - 3);
  const b = model({
    opset: 13,
    nodes: [
      { op: 'Conv', ins: ['x', 'eye'], outs: ['c'] },
      { op: 'Flatten', ins: ['c'], outs: ['f'] },
      { op: 'MatMul', ins: ['f', 'W'], outs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: [1, 2, 2, 2] }],
    outputs: ['y'],
    inits: [
      { name: 'eye', v: eye },
      { name: 'W', v: W },
    ],
  });
  const g = importOnnx(b, 'f.onnx');
  assert.ok(!g.nodes.some((n) => n.op === 'Transpose'));
  const x = f32([1, 2, 2, 2], (i) => i * 0.5 - 1);
  const y = runFloat(g, [transposeValue(x, [0, 2, 3, 1])]).outputs[0];
  for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 8; k++) s += x.data[k] * W.data[k * 3 + j];
    assert.ok(Math.abs(y.data[j] - s) < 1e-5, `${y.data[j]} vs ${s}`);
  }
});

test('shape arithmetic folds at import: Shape → Gather → Unsqueeze → Concat → Reshape', () => {
  const b = model({
    opset: 13,
    nodes: [
      { op: 'Shape', ins: ['x'], outs: ['s'] },
      { op: 'Gather', ins: ['s', 'zero'], outs: ['n'], attrs: [{ name: 'axis', i: 0 }] },
      { op: 'Unsqueeze', ins: ['n', 'ax0'], outs: ['n1'] },
      { op: 'Concat', ins: ['n1', 'minus1'], outs: ['shape'], attrs: [{ name: 'axis', i: 0 }] },
      { op: 'Reshape', ins: ['x', 'shape'], outs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: ['N', 3, 4] }],
    outputs: ['y'],
    inits: [
      { name: 'zero', v: { dtype: 'int64', shape: [], data: new Float64Array([0]) } },
      { name: 'ax0', v: { dtype: 'int64', shape: [1], data: new Float64Array([0]) } },
      { name: 'minus1', v: { dtype: 'int64', shape: [1], data: new Float64Array([-1]) } },
    ],
  });
  const g = importOnnx(b, 'sh.onnx');
  assert.deepEqual(g.nodes.map((n) => n.op), ['Reshape']);
  assert.deepEqual(g.tensors[g.outputs[0]].shape, [1, 12]);
});
