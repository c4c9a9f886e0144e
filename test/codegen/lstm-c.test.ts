// The int8 Lstm C kernel (kernels/lstm.c), and the int8 GRU unrolled into existing kernels, byte for byte against the integer simulator on the host (gcc -std=c99
// -Wall -Wextra -Werror, then ASan/UBSan) and on rv32imc under QEMU when present. The simulator itself is checked
// against a transcription of TFLM's integer LSTM in test/ops/lstm-int8.test.ts; this is the consistency check of
// the two implementations. Models: PyTorch's batch_first export (time-major kernel between Transposes); an ONNX
// LSTM with layout 1 (batch-major kernel), direction reverse, a runtime initial hidden state, a constant initial
// cell state and all three outputs (int8 Y, Y_h; int16 Y_c); and a cell state past 4 (the left-shift branch of
// the cell tanh rescale).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { shapeSize } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runHost } from '../../src/verify/host.js';
import { onnxModel } from '../helpers/onnx.js';
import { f32, pytorchStyleModel, randSeq } from '../helpers/rnn.js';
import { rng } from '../helpers/rng.js';
import { checkRv32 } from '../helpers/rv32.js';

function gccOr(t: TestContext): boolean {
  if (hasTool('gcc')) return true;
  if (process.env.CI === 'true') throw new Error('gcc missing under CI');
  t.skip('gcc not found (EF4002)');
  return false;
}

function checkC(t: TestContext, g: Graph, name: string, n: number) {
  const cs = Array.from({ length: n }, (_, k) => {
    const inputs = g.inputs.map((id, j) => pseudoRandomInput(shapeSize(g.tensors[id].shape), g.tensors[id].dtype, 31 + 7 * k + j));
    return { name: `r${k}`, inputs, expected: simulate(g, inputs) };
  });
  const e = emitC(g, { name });
  assert.ok(e.kernels.includes('lstm'), `${name}: the Lstm kernel is used`);
  const spec = harnessSpec(g, e.prefix);
  const run = runHost(e.files, spec, cs, false);
  run.cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual(Array.from(o), cs[k].expected[j], `${name} case ${k} output ${j}`)));
  const san = runHost(e.files, spec, cs.slice(0, 3), true);
  san.cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual(Array.from(o), cs[k].expected[j], `${name} ASan/UBSan case ${k} output ${j}`)));
  checkRv32(t, name, e.files, spec, cs.slice(0, 2));
}

const calib = (r: () => number, shapes: number[][], n = 24): Value[][] =>
  Array.from({ length: n }, () => shapes.map((sh) => ({ dtype: 'float32', shape: sh, data: Float32Array.from({ length: shapeSize(sh) }, () => r() * 4 - 2) })));

test('int8 Lstm C == integer simulator: PyTorch batch_first export, and a cell state past 4', async (t) => {
  if (!gccOr(t)) return;
  const r = rng(77);
  for (const [B, T, I, H, grow] of [
    [2, 5, 3, 6, 0],
    [1, 12, 2, 5, 1],
  ]) {
    const s = randSeq(r, T, B, I, H, 4, false);
    if (grow) for (let k = 0; k < H; k++) [0, 2, 3].forEach((gi) => (s.wb[gi * H + k] = 6));
    const g = importOnnx(pytorchStyleModel('LSTM', s, B, T, I, H), 'lstm.onnx');
    const q = await quantizeModel(g, calib(r, [[B, T, I]]));
    checkC(t, q.graph, `lstm_bf${grow}`, 8);
  }
});

test('int8 Lstm C == integer simulator: layout 1, reverse, runtime H0, constant C0, outputs Y / Y_h / Y_c', async (t) => {
  if (!gccOr(t)) return;
  const r = rng(78);
  const [B, T, I, H] = [3, 4, 2, 4];
  const s = randSeq(r, T, B, I, H, 4, true);
  const bytes = onnxModel({
    nodes: [
      {
        op: 'LSTM',
        ins: ['x', 'W', 'R', 'B', '', 'h0', 'c0'],
        outs: ['y', 'yh', 'yc'],
        attrs: [{ name: 'hidden_size', i: H }, { name: 'layout', i: 1 }, { name: 'direction', s: 'reverse' }],
        name: 'rev_lstm',
      },
    ],
    inits: [
      { name: 'W', v: f32([1, 4 * H, I], s.w.flat()) },
      { name: 'R', v: f32([1, 4 * H, H], s.r.flat()) },
      { name: 'B', v: f32([1, 8 * H], [...s.wb, ...s.rb]) },
      { name: 'c0', v: f32([B, 1, H], s.c0.flat()) },
    ],
    inputs: [
      { name: 'x', dims: [B, T, I] },
      { name: 'h0', dims: [B, 1, H] },
    ],
    outputs: [
      { name: 'y', dims: [B, T, 1, H] },
      { name: 'yh', dims: [B, 1, H] },
      { name: 'yc', dims: [B, 1, H] },
    ],
  });
  const g = importOnnx(bytes, 'rev.onnx');
  const q = await quantizeModel(g, calib(r, [[B, T, I], [B, 1, H]]));
  assert.deepEqual(q.graph.outputs.map((id) => q.graph.tensors[id].dtype), ['int8', 'int8', 'int16']);
  checkC(t, q.graph, 'lstm_rev', 6);
});

test('int8 Gru (unrolled into FullyConnected/Add/Mul/Sub/Sigmoid/Tanh steps) C == integer simulator', async (t) => {
  if (!gccOr(t)) return;
  const r = rng(79);
  const [B, T, I, H] = [2, 5, 3, 4];
  const g = importOnnx(pytorchStyleModel('GRU', randSeq(r, T, B, I, H, 3, false), B, T, I, H), 'gru.onnx');
  const q = await quantizeModel(g, calib(r, [[B, T, I]]));
  const e = emitC(q.graph, { name: 'gru' });
  assert.ok(!e.kernels.includes('lstm'));
  const cs = Array.from({ length: 6 }, (_, k) => {
    const inputs = q.graph.inputs.map((id, j) => pseudoRandomInput(shapeSize(q.graph.tensors[id].shape), q.graph.tensors[id].dtype, 51 + 7 * k + j));
    return { name: `r${k}`, inputs, expected: simulate(q.graph, inputs) };
  });
  const spec = harnessSpec(q.graph, e.prefix);
  runHost(e.files, spec, cs, false).cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual(Array.from(o), cs[k].expected[j], `gru case ${k} output ${j}`)));
  runHost(e.files, spec, cs.slice(0, 2), true).cases.forEach((c, k) => c.outputs.forEach((o, j) => assert.deepEqual(Array.from(o), cs[k].expected[j], `gru ASan/UBSan case ${k} output ${j}`)));
});
