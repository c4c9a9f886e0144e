// Element-wise, pooling, activation and data-movement kernels not exercised by the shared TFLite models,
// checked against the integer simulator (the independent TypeScript reference) on one chained graph compiled
// once: Add/Sub/Mul with broadcasting, MaxPool with padding, requantizing Relu, Clip, Sigmoid, Tanh, Concat
// with requantized inputs, Pad, ReduceMean, int8 → uint8 Quantize, and a two-input API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ops/infer.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runHost } from '../../src/verify/host.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { checkRv32 } from '../helpers/rv32.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

function opsGraph() {
  const b = new GraphBuilder({ format: 'espforge', source: 'ops_chain' });
  const T = (name: string, shape: number[], quant: ReturnType<typeof q>, dtype: 'int8' | 'uint8' = 'int8') => b.tensor({ name, dtype, shape, quant });
  const x = T('x', [1, 6, 6, 3], q(0.05, -3));
  const x2 = T('x2', [1, 1, 1, 3], q(0.1, 2));
  const a = T('a', [1, 6, 6, 3], q(0.08, 1));
  const m = T('m', [1, 6, 6, 3], q(0.02, -5));
  const c = T('c', [1, 6, 6, 3], q(0.1, 0));
  const p = T('p', [1, 3, 3, 3], q(0.1, 0));
  const r = T('r', [1, 3, 3, 3], q(0.05, -128));
  const cl = T('cl', [1, 3, 3, 3], q(0.05, -128));
  const sg = T('sg', [1, 3, 3, 3], q(1 / 256, -128));
  const th = T('th', [1, 3, 3, 3], q(1 / 128, 0));
  const cat = T('cat', [1, 3, 3, 6], q(1 / 128, -20));
  const pd = T('pd', [1, 5, 5, 6], q(1 / 128, -20));
  const mn = T('mn', [1, 1, 1, 6], q(0.01, 3));
  const out = T('out', [1, 1, 1, 6], q(0.01, 131), 'uint8');
  const cl2 = T('cl2', [1, 6, 6, 3], q(0.1, 0));
  b.inputs = [x, x2];
  b.outputs = [out, cl2];
  b.node({ op: 'Add', name: 'add', inputs: [x, x2], outputs: [a], attrs: { activation: 'relu' } });
  b.node({ op: 'Mul', name: 'mul', inputs: [a, x2], outputs: [m], attrs: { activation: 'none' } });
  b.node({ op: 'Sub', name: 'sub', inputs: [m, a], outputs: [c], attrs: { activation: 'none' } });
  b.node({ op: 'MaxPool', name: 'maxpool', inputs: [c], outputs: [p], attrs: { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0] } });
  b.node({ op: 'Relu', name: 'relu', inputs: [p], outputs: [r], attrs: {} });
  b.node({ op: 'Clip', name: 'clip', inputs: [r], outputs: [cl], attrs: { min: 0, max: 3 } });
  b.node({ op: 'Sigmoid', name: 'sigmoid', inputs: [cl], outputs: [sg], attrs: {} });
  b.node({ op: 'Tanh', name: 'tanh', inputs: [p], outputs: [th], attrs: {} });
  b.node({ op: 'Concat', name: 'concat', inputs: [sg, th], outputs: [cat], attrs: { axis: 3 } });
  b.node({ op: 'Pad', name: 'pad', inputs: [cat], outputs: [pd], attrs: { pads: [0, 1, 1, 0, 0, 1, 1, 0] } });
  b.node({ op: 'ReduceMean', name: 'mean', inputs: [pd], outputs: [mn], attrs: { axes: [1, 2], keepdims: 1 } });
  b.node({ op: 'Quantize', name: 'to_uint8', inputs: [mn], outputs: [out], attrs: { scale: [0.01], zero_point: [131], to: 'uint8' } });
  b.node({ op: 'Clip', name: 'clip_same', inputs: [c], outputs: [cl2], attrs: { min: -1, max: 1.5 } });
  return prepareIntGraph(inferGraph(b.build()));
}

test('ops chain: generated C equals the integer simulator (host, -Werror)', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const g = opsGraph();
  const e = emitC(g, { name: 'ops_chain' });
  const cases = Array.from({ length: 12 }, (_, k) => {
    const inputs = g.inputs.map((id, j) => pseudoRandomInput(shapeSize(g.tensors[id].shape), g.tensors[id].dtype, 500 + 7 * k + j));
    return { name: `r${k}`, inputs, expected: simulate(g, inputs) };
  });
  // the cases must exercise the ops (not all saturated to one value)
  assert.ok(new Set(cases.map((c) => c.expected[0].join(','))).size > 6);
  const run = runHost(e.files, harnessSpec(g, e.prefix), cases, false);
  run.cases.forEach((c, k) => {
    assert.deepEqual([...c.outputs[0]], cases[k].expected[0], `case ${k} output 0`);
    assert.deepEqual([...c.outputs[1]], cases[k].expected[1], `case ${k} output 1`);
  });
  const san = runHost(e.files, harnessSpec(g, e.prefix), cases.slice(0, 3), true);
  san.cases.forEach((c, k) => assert.deepEqual([...c.outputs[0]], cases[k].expected[0], `ASan/UBSan case ${k}`));
  checkRv32(t, 'ops_chain', e.files, harnessSpec(g, e.prefix), cases.slice(0, 3));
});
