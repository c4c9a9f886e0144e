// The whole pipeline named (src/pipeline/stages.ts): `build` and `quantize` take --dump-after STAGE (a stage or a
// float pass) and --timings, and report the stages in --json. Checked through the command line on a tiny model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { model } from '../helpers/onnx-model.js';
import { writeNpz } from '../../src/io/npy.js';
import { PASS_NAMES } from '../../src/passes/index.js';

const FLOAT_STAGES = ['import', 'passes', 'quantize', 'prepare'];

test('build/quantize --dump-after and --timings name every stage: import → passes → quantize → prepare → lower-io → plan → emit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-stages-'));
  try {
    // x → Relu → MatMul by a constant (becomes FullyConnected in the float passes) → y
    const w = Float32Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) / 7 - 0.4);
    const m = join(dir, 'mlp.onnx');
    writeFileSync(m, model({
      opset: 13,
      nodes: [{ op: 'Relu', ins: ['x'], outs: ['r'] }, { op: 'MatMul', ins: ['r', 'w'], outs: ['y'] }],
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: ['y'],
      inits: [{ name: 'w', v: { dtype: 'float32', shape: [4, 3], data: w } }],
    }));
    const n = 30;
    const data = join(dir, 'd.npz');
    writeFileSync(data, writeNpz({ x: { dtype: 'float32', shape: [n, 4], data: new Float32Array(n * 4).map((_, i) => ((i * 13) % 17) / 8 - 1) } }));
    const [bj, bt, qt, bad] = await Promise.all([
      runCli(['build', m, '--calib', data, '--target', 'esp32c3', '--out', join(dir, 'p1'), '--dump-after', 'plan', '--json']),
      runCli(['build', m, '--calib', data, '--target', 'esp32c3', '--out', join(dir, 'p2'), '--dump-after', 'matmul-to-fc', '--timings']),
      runCli(['quantize', m, '--calib', data, '--out', join(dir, 'q.tflite'), '--dump-after', 'quantize', '--timings']),
      runCli(['build', m, '--calib', data, '--target', 'esp32c3', '--out', join(dir, 'p3'), '--dump-after', 'nope']),
    ]);
    // --json: every stage timed, in pipeline order, and the memory plan dumped
    assert.equal(bj.code, 0, bj.stderr);
    const j = JSON.parse(bj.stdout);
    assert.deepEqual(j.stages.map((s: { stage: string }) => s.stage), [...FLOAT_STAGES, 'lower-io', 'emit', 'plan']);
    assert.deepEqual(j.stages[1].passes.map((p: { name: string }) => p.name), PASS_NAMES, 'the passes stage reports every registered float pass, in order');
    assert.equal(j.dumps.length, 1);
    const plan = j.dumps[0].plan;
    assert.equal(j.dumps[0].stage, 'plan');
    // the dump is the plan the project was built with (report.json), and it is a valid placement
    assert.equal(Math.max(16, plan.arenaSize), JSON.parse(readFileSync(join(dir, 'p1', 'report.json'), 'utf8')).arenaBytes);
    assert.deepEqual(plan.tensors, j.report.memoryPlan);
    for (const t of plan.tensors) assert.ok(t.offset >= 0 && t.offset + t.size <= plan.arenaSize, `${t.tensor} outside the arena`);
    // text: the graph after a float pass (MatMul already FullyConnected) and the timings table on stderr
    assert.equal(bt.code, 0, bt.stderr);
    assert.match(bt.stdout, /^after matmul-to-fc:/m);
    assert.match(bt.stdout, /FullyConnected/);
    for (const s of [...FLOAT_STAGES, 'lower-io', 'plan', 'emit']) assert.match(bt.stderr, new RegExp(`^${s} `, 'm'), `--timings lacks ${s}`);
    // quantize: the quantized graph (int8 layers marked (q))
    assert.equal(qt.code, 0, qt.stderr);
    assert.match(qt.stdout, /^after quantize:/m);
    assert.match(qt.stdout, /FullyConnected\+?\w* \(q\)|FullyConnected \(q\)/);
    for (const s of FLOAT_STAGES) assert.match(qt.stderr, new RegExp(`^${s} `, 'm'));
    // an unknown stage is a usage error naming the stages
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /EF0006: --dump-after takes a pipeline stage or a float pass, got 'nope'/);
    assert.match(bad.stderr, /stages: import, passes, quantize, prepare, lower-io, plan, emit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
