// LSTM and GRU in float, imported from ONNX as PyTorch exports them, against an independent reference: the ONNX
// operator spec's equations written out as naive loops on the ONNX-form tensors (test/helpers/rnn.ts). Nothing
// there calls the code under test to make expected values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EspforgeError } from '../../src/diagnostics.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { runFloat } from '../../src/sim/float.js';
import { onnxModel, type OnnxAttr } from '../helpers/onnx.js';
import { f32, gruSpec, lstmSpec, pytorchStyleModel, randSeq, xValue, yFlat, type Seq } from '../helpers/rnn.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

function close(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

// float32 storage of inputs/outputs, double accumulation on both sides: 1e-5 covers the rounding of one store
const TOL = 1e-5;

interface Case {
  op: 'LSTM' | 'GRU';
  T: number;
  B: number;
  I: number;
  H: number;
  layout: number;
  reverse: boolean;
  /** initial states as graph inputs (else absent) */
  states: boolean;
  lbr?: boolean;
}

function buildModel(c: Case, s: Seq): { bytes: Uint8Array; feeds: Value[] } {
  const G = c.op === 'LSTM' ? 4 : 3;
  const attrs: OnnxAttr[] = [{ name: 'hidden_size', i: c.H }];
  if (c.layout) attrs.push({ name: 'layout', i: 1 });
  if (c.reverse) attrs.push({ name: 'direction', s: 'reverse' });
  if (c.lbr) attrs.push({ name: 'linear_before_reset', i: 1 });
  const stDims = c.layout ? [c.B, 1, c.H] : [1, c.B, c.H];
  const ins = ['x', 'W', 'R', 'B', '', c.states ? 'h0' : ''];
  if (c.op === 'LSTM') ins.push(c.states ? 'c0' : '');
  const outs = c.op === 'LSTM' ? ['y', 'yh', 'yc'] : ['y', 'yh'];
  const yDims = c.layout ? [c.B, c.T, 1, c.H] : [c.T, 1, c.B, c.H];
  const inputs = [{ name: 'x', dims: c.layout ? [c.B, c.T, c.I] : [c.T, c.B, c.I] }];
  const feeds = [xValue(s, c.layout)];
  const st = (m: number[][]) => f32(stDims, m.flat());
  if (c.states) {
    inputs.push({ name: 'h0', dims: stDims });
    feeds.push(st(s.h0));
    if (c.op === 'LSTM') {
      inputs.push({ name: 'c0', dims: stDims });
      feeds.push(st(s.c0));
    }
  }
  const bytes = onnxModel({
    nodes: [{ op: c.op, ins, outs, attrs, name: `${c.op.toLowerCase()}_node` }],
    inits: [
      { name: 'W', v: f32([1, G * c.H, c.I], s.w.flat()) },
      { name: 'R', v: f32([1, G * c.H, c.H], s.r.flat()) },
      { name: 'B', v: f32([1, 2 * G * c.H], [...s.wb, ...s.rb]) },
    ],
    inputs,
    outputs: outs.map((name, k) => ({ name, dims: k === 0 ? yDims : stDims })),
  });
  return { bytes, feeds };
}

test('ONNX LSTM and GRU (forward/reverse, layout 0/1, with and without initial states) match the spec equations', () => {
  const r = rng(16);
  const cases: Case[] = [];
  for (const op of ['LSTM', 'GRU'] as const)
    for (const layout of [0, 1])
      for (const reverse of [false, true])
        for (const states of [false, true])
          for (const lbr of op === 'GRU' ? [false, true] : [false])
            cases.push({ op, layout, reverse, states, lbr, T: 1 + Math.floor(r() * 5), B: 1 + Math.floor(r() * 3), I: 1 + Math.floor(r() * 5), H: 1 + Math.floor(r() * 6) });
  for (const c of cases) {
    const s = randSeq(r, c.T, c.B, c.I, c.H, c.op === 'LSTM' ? 4 : 3, c.states);
    const { bytes, feeds } = buildModel(c, s);
    const g = importOnnx(bytes, 'rnn.onnx');
    assert.deepEqual(g.nodes.map((n) => n.op).filter((o) => o !== 'Reshape'), [c.op === 'LSTM' ? 'Lstm' : 'Gru'], JSON.stringify(c));
    const { outputs } = runFloat(g, feeds);
    const what = JSON.stringify(c);
    if (c.op === 'LSTM') {
      const want = lstmSpec(s, c.H, c.reverse);
      close(outputs[0].data, yFlat(want.y, c.layout), TOL, `${what} Y`);
      close(outputs[1].data, want.h.flat(), TOL, `${what} Y_h`);
      close(outputs[2].data, want.c.flat(), TOL, `${what} Y_c`);
    } else {
      const want = gruSpec(s, c.H, c.reverse, !!c.lbr);
      close(outputs[0].data, yFlat(want.y, c.layout), TOL, `${what} Y`);
      close(outputs[1].data, want.h.flat(), TOL, `${what} Y_h`);
    }
  }
});

test('PyTorch-style batch_first LSTM and GRU through the CLI: Transpose/Expand/Squeeze around the node, output matches the spec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-rnn-'));
  const r = rng(1613);
  const [B, T, I, H] = [2, 6, 3, 5];
  for (const op of ['LSTM', 'GRU'] as const) {
    const s = randSeq(r, T, B, I, H, op === 'LSTM' ? 4 : 3, false);
    const m = join(dir, `${op}.onnx`);
    writeFileSync(m, pytorchStyleModel(op, s, B, T, I, H));
    writeFileSync(join(dir, 'x.npy'), writeNpy(xValue(s, 1)));
    const res = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'run', m, '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(res.status, 0, res.stderr);
    const y = readNpy(readFileSync(join(dir, 'y.npy')), 'y.npy');
    assert.deepEqual(y.shape, [B, T, H]);
    const want = op === 'LSTM' ? lstmSpec(s, H, false).y : gruSpec(s, H, false, true).y;
    close(y.data, yFlat(want, 1), TOL, op);
    // the zero initial state is folded away: only the recurrent op and the layout moves remain
    const g = importOnnx(readFileSync(m), m);
    assert.ok(!g.nodes.some((n) => n.op === 'Expand'), `${op}: the Expand of the zero state is folded`);
  }
});

function codes(f: () => unknown): { code: string; node?: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof EspforgeError) return e.diagnostics.map((d) => ({ code: d.code, node: d.node, message: d.message }));
    throw e;
  }
  assert.fail('expected a diagnostic');
}

test('ONNX LSTM/GRU forms outside the supported subset are refused with EF2003 naming the node', () => {
  const r = rng(7);
  const s = randSeq(r, 2, 1, 2, 2, 4, false);
  const bad = (attrs: OnnxAttr[]) =>
    onnxModel({
      nodes: [{ op: 'LSTM', ins: ['x', 'W', 'R'], outs: ['y'], attrs, name: 'my_lstm' }],
      inits: [
        { name: 'W', v: f32([1, 8, 2], s.w.flat()) },
        { name: 'R', v: f32([1, 8, 2], s.r.flat()) },
      ],
      inputs: [{ name: 'x', dims: [2, 1, 2] }],
      outputs: [{ name: 'y', dims: [2, 1, 1, 2] }],
    });
  for (const attrs of [[{ name: 'direction', s: 'bidirectional' }], [{ name: 'clip', f: 3 }], [{ name: 'input_forget', i: 1 }]]) {
    const d = codes(() => importOnnx(bad(attrs), 'bad.onnx'));
    assert.equal(d[0].code, 'EF2003', JSON.stringify(d));
    assert.equal(d[0].node, 'my_lstm');
  }
});

// int8 GRU: TFLM has no GRU operator, so quantization unrolls it into FullyConnected / Add / Mul / Sub / Sigmoid /
// Tanh per step (src/quant/lower-gru.ts). Checked against the float GRU (itself checked against the spec above) on
// samples outside the calibration set. Every step requantizes the hidden state and the gate products to int8, so
// the error is larger than the single-kernel LSTM's: 20 dB (10 % RMS) is the bar.
test('quantized GRU (unrolled into integer ops) tracks the float GRU: SQNR >= 20 dB; lbr 0/1, reverse, layout 1, runtime H0', async (t) => {
  const { quantizeModel } = await import('../../src/quant/ptq.js');
  const { runInt } = await import('../../src/sim/int.js');
  const r = rng(1616);
  for (const c of [
    { layout: 0, reverse: false, states: false, lbr: true },
    { layout: 1, reverse: true, states: true, lbr: false },
  ]) {
    const cs: Case = { op: 'GRU', T: 6, B: 2, I: 3, H: 4, ...c };
    const s = randSeq(r, cs.T, cs.B, cs.I, cs.H, 3, c.states);
    const g = importOnnx(buildModel(cs, s).bytes, 'gru.onnx');
    const sample = (): Value[] => g.inputs.map((id) => ({ dtype: 'float32', shape: g.tensors[id].shape, data: Float32Array.from({ length: g.tensors[id].shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1) }));
    const q = await quantizeModel(g, Array.from({ length: 48 }, sample));
    assert.ok(!q.graph.nodes.some((n) => n.op === 'Gru'), 'no Gru node is left');
    assert.ok(q.graph.nodes.filter((n) => n.op === 'FullyConnected').every((n) => n.name.startsWith('gru_node/')), 'the unrolled nodes carry the GRU node name');
    let sig = 0;
    let err = 0;
    for (let k = 0; k < 16; k++) {
      const xs = sample();
      const f = runFloat(g, xs).outputs;
      const o = runInt(q.graph, xs.map((v, j) => {
        const qp = q.graph.tensors[q.graph.inputs[j]].quant!;
        return { dtype: 'int8', shape: v.shape, data: Int8Array.from(v.data, (x) => Math.max(-128, Math.min(127, Math.round(x / qp.scale[0]) + qp.zeroPoint[0]))) };
      })).outputs;
      o.forEach((ov, j) => {
        const oq = q.graph.tensors[q.graph.outputs[j]].quant!;
        for (let i = 0; i < ov.data.length; i++) {
          sig += f[j].data[i] ** 2;
          err += ((ov.data[i] - oq.zeroPoint[0]) * oq.scale[0] - f[j].data[i]) ** 2;
        }
      });
    }
    const sqnr = 10 * Math.log10(sig / err);
    t.diagnostic(`${JSON.stringify(c)}: SQNR ${sqnr.toFixed(1)} dB`);
    assert.ok(sqnr >= 20, `${JSON.stringify(c)}: SQNR ${sqnr.toFixed(1)} dB`);
  }
});
