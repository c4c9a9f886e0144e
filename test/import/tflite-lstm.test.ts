// UNIDIRECTIONAL_SEQUENCE_LSTM in and out of .tflite: what `quantize --out` writes for an int8 Lstm re-imports and
// simulates to the same integers as the quantized graph in memory (through the CLI: `run` of the written file vs
// `run --quantized` of the ONNX model); a float Lstm round-trips to the same float outputs, Y_h (the sequence's last
// step, written as a STRIDED_SLICE of it) included; the forms TFLite's LSTM cannot hold (Y_c read by the model,
// initial states, reverse) are refused with EF2003 naming the node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspforgeError } from '../../src/diagnostics.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import { readModel } from '../../src/import/tflite/reader.js';
import { opName } from '../../src/import/tflite/common.js';
import { readNpz, writeNpy } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { runFloat } from '../../src/sim/float.js';
import { onnxModel } from '../helpers/onnx.js';
import { f32, pytorchStyleModel, randSeq } from '../helpers/rnn.js';
import { rng } from '../helpers/rng.js';
import { REPO_ROOT } from '../helpers/shared.js';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return r;
};

test('int8 Lstm: quantize --out writes UNIDIRECTIONAL_SEQUENCE_LSTM, and running the .tflite gives the same bytes as run --quantized', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-tfl-lstm-'));
  const r = rng(90);
  const [B, T, I, H] = [2, 6, 3, 5];
  writeFileSync(join(dir, 'lstm.onnx'), pytorchStyleModel('LSTM', randSeq(r, T, B, I, H, 4, false), B, T, I, H));
  writeFileSync(join(dir, 'calib.npy'), writeNpy({ dtype: 'float32', shape: [32, B, T, I], data: Float32Array.from({ length: 32 * B * T * I }, () => r() * 4 - 2) }));
  cli(['quantize', join(dir, 'lstm.onnx'), '--calib', join(dir, 'calib.npy'), '--out', join(dir, 'lstm.tflite')]);
  cli(['run', join(dir, 'lstm.tflite'), '--input', join(dir, 'calib.npy'), '--output', join(dir, 'a.npz')]);
  cli(['run', join(dir, 'lstm.onnx'), '--quantized', '--calib', join(dir, 'calib.npy'), '--input', join(dir, 'calib.npy'), '--output', join(dir, 'b.npz')]);
  const [a, b] = ['a.npz', 'b.npz'].map((f) => [...readNpz(readFileSync(join(dir, f)), f)].map(([k, v]) => [k, v.dtype, v.shape, Array.from(v.data)]));
  assert.ok(a.length > 0);
  assert.deepEqual(a, b);
  const g = importTflite(readFileSync(join(dir, 'lstm.tflite')), 'lstm.tflite');
  const n = g.nodes.find((k) => k.op === 'Lstm')!;
  assert.deepEqual(n.outputs.map((id) => g.tensors[id].dtype), ['int8', 'int8', 'int16']);
  assert.equal(g.tensors[n.inputs[1]].quant!.scale.length, 4 * H, 'per-gate weight scales come back as per-row scales');
});

test('float Lstm round-trips through .tflite (time major and batch major)', () => {
  const r = rng(91);
  for (const layout of [0, 1]) {
    const [B, T, I, H] = [2, 4, 3, 3];
    const s = randSeq(r, T, B, I, H, 4, false);
    const g = importOnnx(
      onnxModel({
        nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R', 'B'], outs: ['y'], attrs: [{ name: 'hidden_size', i: H }, { name: 'layout', i: layout }], name: 'l' }],
        inits: [
          { name: 'W', v: f32([1, 4 * H, I], s.w.flat()) },
          { name: 'R', v: f32([1, 4 * H, H], s.r.flat()) },
          { name: 'B', v: f32([1, 8 * H], [...s.wb, ...s.rb]) },
        ],
        inputs: [{ name: 'x', dims: layout ? [B, T, I] : [T, B, I] }],
        outputs: [{ name: 'y', dims: layout ? [B, T, 1, H] : [T, 1, B, H] }],
      }),
      'l.onnx',
    );
    const back = importTflite(exportTflite(g), 'l.tflite');
    const x: Value = { dtype: 'float32', shape: layout ? [B, T, I] : [T, B, I], data: Float32Array.from({ length: B * T * I }, () => r() * 2 - 1) };
    assert.deepEqual(Array.from(runFloat(back, [x]).outputs[0].data), Array.from(runFloat(g, [x]).outputs[0].data), `layout ${layout}`);
  }
});

test('float Lstm whose Y_h is read: written as LSTM + last-step STRIDED_SLICE, re-imported as the Lstm Y_h (no slice node), same outputs', () => {
  const r = rng(93);
  for (const layout of [0, 1]) {
    const [B, T, I, H] = [2, 5, 3, 4];
    const s = randSeq(r, T, B, I, H, 4, false);
    const g = importOnnx(
      onnxModel({
        nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R'], outs: ['y', 'yh'], attrs: [{ name: 'hidden_size', i: H }, { name: 'layout', i: layout }], name: 'l' }],
        inits: [
          { name: 'W', v: f32([1, 4 * H, I], s.w.flat()) },
          { name: 'R', v: f32([1, 4 * H, H], s.r.flat()) },
        ],
        inputs: [{ name: 'x', dims: layout ? [B, T, I] : [T, B, I] }],
        outputs: [{ name: 'yh', dims: layout ? [B, 1, H] : [1, B, H] }],
      }),
      'l.onnx',
    );
    const bytes = exportTflite(g);
    const { model } = readModel(bytes, 'l.tflite');
    const ops = model.subgraphs[0].operators.map((o) => opName(model.opcodes[o.opcodeIndex].code));
    assert.ok(ops.includes('UNIDIRECTIONAL_SEQUENCE_LSTM') && ops.includes('STRIDED_SLICE'), ops.join());
    const back = importTflite(bytes, 'l.tflite');
    assert.deepEqual(back.nodes.map((n) => n.op), g.nodes.map((n) => n.op), `layout ${layout}: the slice is the Lstm's Y_h again`);
    const lstm = back.nodes.find((n) => n.op === 'Lstm')!;
    assert.equal(back.tensors[lstm.outputs[1]].name, g.tensors[g.nodes.find((n) => n.op === 'Lstm')!.outputs[1]].name);
    const x: Value = { dtype: 'float32', shape: layout ? [B, T, I] : [T, B, I], data: Float32Array.from({ length: B * T * I }, () => r() * 2 - 1) };
    const want = runFloat(g, [x]).outputs[0];
    const got = runFloat(back, [x]).outputs[0];
    assert.deepEqual(got.shape, want.shape);
    assert.deepEqual(Array.from(got.data), Array.from(want.data), `layout ${layout}`);
    // the reference: Y_h is the last step of the float sequence output of the source graph (a property of the op)
    const seq = runFloat({ ...g, outputs: [g.nodes.find((n) => n.op === 'Lstm')!.outputs[0]] }, [x]).outputs[0].data;
    const last = Array.from({ length: B * H }, (_, i) => (layout ? seq[(Math.floor(i / H) * T + T - 1) * H + (i % H)] : seq[(T - 1) * B * H + i]));
    assert.deepEqual(Array.from(got.data), last);
  }
});

test('Lstm forms TFLite cannot hold are refused with EF2003 naming the node', () => {
  const r = rng(92);
  const [B, T, I, H] = [1, 3, 2, 2];
  const s = randSeq(r, T, B, I, H, 4, false);
  const inits = [
    { name: 'W', v: f32([1, 4 * H, I], s.w.flat()) },
    { name: 'R', v: f32([1, 4 * H, H], s.r.flat()) },
  ];
  const cases: [string, Parameters<typeof onnxModel>[0]][] = [
    ['Y_c', { nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R'], outs: ['y', 'yh', 'yc'], attrs: [{ name: 'hidden_size', i: H }], name: 'l' }], inits, inputs: [{ name: 'x', dims: [T, B, I] }], outputs: [{ name: 'yc', dims: [1, B, H] }] }],
    ['reverse', { nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R'], outs: ['y'], attrs: [{ name: 'hidden_size', i: H }, { name: 'direction', s: 'reverse' }], name: 'l' }], inits, inputs: [{ name: 'x', dims: [T, B, I] }], outputs: [{ name: 'y', dims: [T, 1, B, H] }] }],
    ['initial', { nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R', '', '', 'h0'], outs: ['y'], attrs: [{ name: 'hidden_size', i: H }], name: 'l' }], inits, inputs: [{ name: 'x', dims: [T, B, I] }, { name: 'h0', dims: [1, B, H] }], outputs: [{ name: 'y', dims: [T, 1, B, H] }] }],
  ];
  for (const [what, m] of cases) {
    const g = importOnnx(onnxModel(m), 'l.onnx');
    assert.throws(() => exportTflite(g), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF2003' && e.diagnostics[0].node === 'l', what);
  }
});
