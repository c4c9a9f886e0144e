// C kernels added after the first codegen round, each checked byte for byte against the integer simulator on
// the host (gcc -Werror, then ASan/UBSan), with the simulator itself checked against an independent float
// reference where TFLite defines the formula only through its kernel:
//   LogSoftmax int8 (TFLM reference_integer_ops::LogSoftmax) on several input scales and row lengths.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { inferGraph } from '../../src/ir/infer.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/codegen/build.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runHost } from '../../src/verify/host.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { logXForXGe1 } from '../../src/sim/int/log-softmax.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

function gccOr(t: import('node:test').TestContext): boolean {
  if (hasTool('gcc')) return true;
  if (process.env.CI === 'true') throw new Error('gcc missing under CI');
  t.skip('gcc not found (EF4002)');
  return false;
}

/** Inputs: wide pseudo-random bytes, and narrow-band ones (values within a few steps of each other). */
function cases(g: Graph, n: number, seed: number) {
  return Array.from({ length: n }, (_, k) => {
    const inputs = g.inputs.map((id, j) => {
      const t = g.tensors[id];
      const r = pseudoRandomInput(shapeSize(t.shape), t.dtype, seed + 7 * k + j);
      return k % 2 === 0 ? r : r.map((v, i) => Math.max(-128, Math.min(127, ((v + 128) % (3 + 4 * k)) - 20 + (i % 3))));
    });
    return { name: `r${k}`, inputs, expected: simulate(g, inputs) };
  });
}

/** Compile the graph's C, run every case on the host and under sanitizers, compare all outputs with the simulator. */
function checkC(g: Graph, name: string, cs: ReturnType<typeof cases>) {
  const e = emitC(g, { name });
  const spec = harnessSpec(g, e.prefix);
  const run = runHost(e.files, spec, cs, false);
  run.cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual([...o], cs[k].expected[j], `${name} case ${k} output ${j}`)));
  const san = runHost(e.files, spec, cs.slice(0, 4), true);
  san.cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual([...o], cs[k].expected[j], `${name} ASan/UBSan case ${k} output ${j}`)));
  return e;
}

// ---------------------------------------------------------------- LogSoftmax

const LSM_SCALES = [0.004, 0.02, 0.1, 0.5, 2.0];

function logSoftmaxGraph(): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'lsm' });
  const ins: number[] = [];
  const outs: number[] = [];
  LSM_SCALES.forEach((s, k) => {
    const shape = k === 1 ? [3, 300] : [1, 12, 10];
    const x = b.tensor({ name: `x${k}`, dtype: 'int8', shape, quant: q(s, k * 9 - 20) });
    const y = b.tensor({ name: `y${k}`, dtype: 'int8', shape, quant: q(16 / 256, 127) });
    b.node({ op: 'LogSoftmax', name: `lsm${k}`, inputs: [x], outputs: [y], attrs: { axis: -1 } });
    ins.push(x);
    outs.push(y);
  });
  b.inputs = ins;
  b.outputs = outs;
  return prepareIntGraph(inferGraph(b.build()));
}

test('LogSoftmax int8 simulator: within one output step of float log_softmax (scale 1/16, zp 127)', () => {
  const g = logSoftmaxGraph();
  let exact = 0;
  let total = 0;
  for (const c of cases(g, 8, 11)) {
    const vals = g.inputs.map((id, k) => ({ dtype: 'int8' as const, shape: g.tensors[id].shape, data: Int8Array.from(c.inputs[k]) }));
    const outs = runInt(g, vals).outputs;
    g.inputs.forEach((id, k) => {
      const { scale: [s], zeroPoint: [zp] } = g.tensors[id].quant!;
      const shape = g.tensors[id].shape;
      const depth = shape[shape.length - 1];
      const x = vals[k].data;
      const y = outs[k].data;
      for (let r = 0; r < x.length / depth; r++) {
        let mx = -Infinity;
        for (let i = 0; i < depth; i++) mx = Math.max(mx, (x[r * depth + i] - zp) * s);
        let sum = 0;
        for (let i = 0; i < depth; i++) sum += Math.exp((x[r * depth + i] - zp) * s - mx);
        for (let i = 0; i < depth; i++) {
          const f = (x[r * depth + i] - zp) * s - mx - Math.log(sum);
          const want = Math.max(-128, Math.min(127, Math.round(f * 16) + 127));
          const got = y[r * depth + i];
          assert.ok(Math.abs(got - want) <= 1, `scale ${s}: row ${r} col ${i}: got ${got}, float says ${want} (${f})`);
          if (got === want) exact++;
          total++;
        }
      }
    });
  }
  assert.ok(exact / total > 0.9, `only ${exact}/${total} match the rounded float value`);
});

test('log_x_for_x_greater_than_or_equal_to_1<5> of a Q12.19 value is log(x) within 2^-20', () => {
  for (let k = 0; k < 4000; k++) {
    const raw = Math.floor(2 ** 19 + (k / 4000) ** 3 * (2 ** 31 - 1 - 2 ** 19));
    const got = logXForXGe1(raw, 12, 5) / 2 ** 26;
    const want = Math.log(raw / 2 ** 19);
    assert.ok(Math.abs(got - want) < 2 ** -20, `x = ${raw / 2 ** 19}: ${got} vs ${want}`);
  }
});

test('LogSoftmax: generated C equals the integer simulator (host, -Werror, ASan/UBSan)', (t) => {
  if (!gccOr(t)) return;
  const g = logSoftmaxGraph();
  const cs = cases(g, 10, 300);
  assert.ok(new Set(cs.map((c) => c.expected[2].join(','))).size > 5);
  checkC(g, 'lsm', cs);
});
