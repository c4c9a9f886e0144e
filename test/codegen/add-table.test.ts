// int8 Add / Sub with tabulated input rescales (kernels/elementwise.c section addt, lowering
// src/codegen/c/ops/elementwise.ts): dense and broadcast operands, odd element counts, Sub's negated table,
// extreme zero points and scale ratios, fused ReLU; the generated C under ASan/UBSan must give the integer
// simulator's bytes (the simulator is checked against TFLM's outputs in test/verify). Small layers keep the
// per-element kernel (section add): the choice is made by size. Also int8 Mul's flat loop (section mul), whose
// right-shift form rounds in fewer instructions: every requantization shift from left to far right.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { ADD_TABLE_MIN } from '../../src/codegen/c/ops/elementwise.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

interface AddSpec {
  op: 'Add' | 'Sub' | 'Mul';
  a: number[];
  b: number[];
  qa: [number, number];
  qb: [number, number];
  qy: [number, number];
  act?: string;
}

function model(s: AddSpec): Graph {
  const g = new GraphBuilder({ format: 'espforge', source: 'addt' });
  const out = s.a.map((d, k) => Math.max(d, s.b[k]));
  const a = g.tensor({ name: 'a', dtype: 'int8', shape: s.a, quant: q(...s.qa) });
  const b = g.tensor({ name: 'b', dtype: 'int8', shape: s.b, quant: q(...s.qb) });
  const y = g.tensor({ name: 'y', dtype: 'int8', shape: out, quant: q(...s.qy) });
  g.inputs = [a, b];
  g.outputs = [y];
  g.node({ op: s.op, name: 'add', inputs: [a, b], outputs: [y], attrs: { activation: s.act ?? 'none' } });
  return prepareIntGraph(g.build());
}

test('int8 Add / Sub with tabulated input rescales: C under ASan/UBSan equals the simulator, dense and broadcast', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const specs: AddSpec[] = [
    { op: 'Add', a: [1, 7, 7, 24], b: [1, 7, 7, 24], qa: [0.05, -3], qb: [0.11, 10], qy: [0.12, -5] },
    { op: 'Sub', a: [1, 9, 11, 7], b: [1, 9, 11, 7], qa: [0.02, 127], qb: [0.3, -128], qy: [0.25, 0] },
    { op: 'Add', a: [1, 8, 8, 16], b: [1, 1, 1, 16], qa: [0.01, -128], qb: [0.01, 127], qy: [0.015, 4], act: 'relu' },
    { op: 'Sub', a: [1, 8, 8, 1], b: [1, 8, 8, 9], qa: [0.5, 3], qb: [0.004, -1], qy: [0.6, -20] },
    { op: 'Add', a: [1, 1, 1, 1], b: [1, 5, 13, 9], qa: [0.07, 0], qb: [0.07, 0], qy: [0.07, 0] },
    // output scale near the largest TFLM accepts (2 max(s_in) / 2^20): a one-bit output shift
    { op: 'Add', a: [1, 3, 13, 15], b: [1, 3, 13, 15], qa: [0.5, -7], qb: [0.25, 7], qy: [1.0000001 / 2 ** 19, 0] },
  ];
  for (const s of specs) {
    const g = model(s);
    const e = emitC(g, { name: 'addt' });
    const n = shapeSize(g.tensors[g.outputs[0]].shape);
    assert.ok(n >= ADD_TABLE_MIN, 'shape large enough for the tables');
    assert.deepEqual(e.kernels.filter((k) => k.startsWith('add')), ['addt'], `${s.op} ${s.a}+${s.b}: tabulated kernel`);
    const ins = g.inputs.map((id) => shapeSize(g.tensors[id].shape));
    const cases = [0, 1, 2].map((k) => {
      const inputs =
        k === 0 ? ins.map((m, j) => new Array<number>(m).fill(j === 0 ? -128 : 127)) : k === 1 ? ins.map((m, j) => new Array<number>(m).fill(j === 0 ? 127 : -128)) : ins.map((m, j) => pseudoRandomInput(m, 'int8', 900 + j));
      return { name: `c${k}`, inputs, expected: simulate(g, inputs) };
    });
    const run = runHost(e.files, harnessSpec(g, e.prefix), cases, true);
    run.cases.forEach((c, k) => assert.deepEqual(Array.from(c.outputs[0]), cases[k].expected[0], `${s.op} ${s.a} ${s.b}: C vs simulator, case ${k}`));
  }
  // below the size threshold the per-element kernel stays
  const small = emitC(model({ op: 'Add', a: [1, 4, 4, 8], b: [1, 4, 4, 8], qa: [0.05, 0], qb: [0.05, 0], qy: [0.1, 0] }), { name: 'adds' });
  assert.deepEqual(small.kernels.filter((k) => k.startsWith('add')), ['add']);
});

test('int8 Mul, flat and broadcast: C under ASan/UBSan equals the simulator for left, zero and right requantization shifts', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  // output scale = s_a * s_b / (0.75 * 2^shift): multipliers 0.75 * 2^shift, shifts 2, 0, -1, -7, -15
  const shifts = [2, 0, -1, -7, -15];
  for (const sh of shifts)
    for (const [a, b] of [[[1, 5, 7, 9], [1, 5, 7, 9]], [[1, 5, 7, 9], [1, 1, 1, 9]]]) {
      const qa: [number, number] = [0.05, -3];
      const qb: [number, number] = [0.02, 120];
      const g = model({ op: 'Mul', a, b, qa, qb, qy: [(0.05 * 0.02) / (0.75 * 2 ** sh), sh > 0 ? 0 : -9] });
      assert.equal(g.nodes[0].qparams!.shift, sh, `Mul shift ${sh}`);
      const e = emitC(g, { name: 'mulk' });
      const ins = g.inputs.map((id) => shapeSize(g.tensors[id].shape));
      const cases = [0, 1, 2].map((k) => {
        const inputs = k === 0 ? ins.map((m) => new Array<number>(m).fill(-128)) : k === 1 ? ins.map((m, j) => new Array<number>(m).fill(j === 0 ? 127 : -128)) : ins.map((m, j) => pseudoRandomInput(m, 'int8', 40 + j));
        return { name: `c${k}`, inputs, expected: simulate(g, inputs) };
      });
      const run = runHost(e.files, harnessSpec(g, e.prefix), cases, true);
      run.cases.forEach((c, k) => assert.deepEqual(Array.from(c.outputs[0]), cases[k].expected[0], `Mul shift ${sh} ${b}: C vs simulator, case ${k}`));
    }
});
