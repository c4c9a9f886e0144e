// int8 LSTM (TFLM's integer UNIDIRECTIONAL_SEQUENCE_LSTM arithmetic). There is no LSTM case in ../shared
// (tflm-random and the TFLM reference models have none), so the integer kernel is checked three ways:
//   1. bit-exact against a slow transcription of TFLM's integer LSTM step written here from the tensors'
//      quantization records (not the node's qparams): FC → int16 with its own multipliers (BigInt MBQM),
//      saturating adds, the int16 LOGISTIC / TANH of the existing Sigmoid / Tanh kernels (themselves checked
//      against TFLM's i16_logistic / i16_tanh reference data) called with TFLM's LSTM input rescales, the
//      inter-gate Muls, the hidden state requantized to int8;
//   2. against the float model: SQNR of the dequantized output >= 30 dB on samples outside the calibration set;
//   3. properties of the PTQ: a power-of-two int16 cell scale 2^(p−15) with 2^p the smallest power of two that covers
//      the cell state seen in calibration (computed with the spec equations in test/helpers/rnn.ts), one weight scale
//      per gate, and the output / Y_h sharing one record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Node } from '../../src/ir/graph.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import type { Value } from '../../src/ops/types.js';
import { mbqmRef, quantizeMultiplier } from '../../src/arith/fixedpoint.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { runFloat } from '../../src/sim/float.js';
import { runInt } from '../../src/sim/int.js';
import { intKernel } from '../../src/sim/int/index.js';
import { lstmSpec, pytorchStyleModel, randSeq, type Seq } from '../helpers/rnn.js';
import { rng } from '../helpers/rng.js';

const sat = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
const MBQM = (x: number, m: number) => {
  const q = quantizeMultiplier(m);
  return mbqmRef(x, q.mult, q.shift);
};

/** int16 LOGISTIC / TANH of the existing kernels with an explicit (input_multiplier, input_left_shift). */
function act16(op: 'Sigmoid' | 'Tanh', xs: number[], mult: number, shift: number): number[] {
  const g = {
    tensors: [
      { id: 0, name: 'a', dtype: 'int16', shape: [xs.length] },
      { id: 1, name: 'b', dtype: 'int16', shape: [xs.length] },
    ],
    nodes: [],
    inputs: [0],
    outputs: [1],
    meta: {},
  } as unknown as Graph;
  const node: Node = { op, name: op, inputs: [0], outputs: [1], attrs: {}, qparams: { input_multiplier: mult, input_left_shift: shift } };
  const out = intKernel(op)!.eval([{ dtype: 'int16', shape: [xs.length], data: Int16Array.from(xs) }], node, g, node.qparams!)[0];
  return Array.from(out.data as Int16Array);
}

/** TFLM's integer LSTM on the quantized graph's Lstm node, from the tensors' records only (time major only). */
function tflmLstm(g: Graph, x: Int8Array, T: number, B: number): Int8Array {
  const n = g.nodes.find((k) => k.op === 'Lstm')!;
  const tx = g.tensors[n.inputs[0]];
  const [tw, tr, tb] = [1, 2, 3].map((k) => g.tensors[n.inputs[k]]);
  const ty = g.tensors[n.outputs[0]];
  const tc = g.tensors[n.outputs[2]];
  const I = tw.shape[1];
  const H = tw.shape[0] / 4;
  const sx = Math.fround(tx.quant!.scale[0]);
  const zx = tx.quant!.zeroPoint[0];
  const sh = Math.fround(ty.quant!.scale[0]);
  const zh = ty.quant!.zeroPoint[0];
  const sc = Math.fround(tc.quant!.scale[0]);
  const cellPow = Math.round(Math.log2(sc));
  const W = tw.data!;
  const R = tr.data!;
  const Bi = tb.data!;
  let h = new Array(B * H).fill(zh);
  const c = new Array(B * H).fill(0);
  const y = new Int8Array(T * B * H);
  for (let t = 0; t < T; t++) {
    const gates: number[][] = [];
    for (let gi = 0; gi < 4; gi++) {
      const sw = Math.fround(tw.quant!.scale[gi * H]);
      const sr = Math.fround(tr.quant!.scale[gi * H]);
      const pre: number[] = [];
      for (let b = 0; b < B; b++)
        for (let k = 0; k < H; k++) {
          const row = gi * H + k;
          let a = Bi[row];
          for (let i = 0; i < I; i++) a += W[row * I + i] * (x[(t * B + b) * I + i] - zx);
          let r = 0;
          for (let j = 0; j < H; j++) r += R[row * H + j] * (h[b * H + j] - zh);
          const fa = sat(MBQM(a, (sx * sw) / 2 ** -12), -32768, 32767);
          const fr = sat(MBQM(r, (sh * sr) / 2 ** -12), -32768, 32767);
          pre.push(sat(fa + fr, -32768, 32767));
        }
      // Logistic(0, 0) and Tanh(cell_state_scale_power = -12): multiplier 3, no shift
      gates.push(gi === 2 ? act16('Tanh', pre, 3, 0) : act16('Sigmoid', pre, 3, 0));
    }
    const [ig, fg, cg, og] = gates;
    for (let k = 0; k < B * H; k++) {
      const f = sat(MBQM(fg[k] * c[k], (2 ** -15 * sc) / sc), -32768, 32767);
      const i = sat(MBQM(ig[k] * cg[k], (2 ** -15 * 2 ** -15) / sc), -32768, 32767);
      c[k] = sat(f + i, -32768, 32767);
    }
    const L = 15 + cellPow - 3;
    const th = L < 0 ? act16('Tanh', c, 3, -L) : act16('Tanh', c, 3 << L, 0);
    h = th.map((v, k) => sat(zh + MBQM(v * og[k], (2 ** -15 * 2 ** -15) / sh), -128, 127));
    for (let k = 0; k < B * H; k++) y[t * B * H + k] = h[k];
  }
  return y;
}

function quantX(g: Graph, v: Value): Value {
  const q = g.tensors[g.inputs[0]].quant!;
  return { dtype: 'int8', shape: v.shape, data: Int8Array.from(v.data, (f) => sat(Math.round(f / q.scale[0]) + q.zeroPoint[0], -128, 127)) };
}

async function quantized(s: Seq, B: number, T: number, I: number, H: number, r: () => number, n = 48) {
  const g = importOnnx(pytorchStyleModel('LSTM', s, B, T, I, H), 'lstm.onnx');
  const sample = (): Value[] => [{ dtype: 'float32', shape: [B, T, I], data: Float32Array.from({ length: B * T * I }, () => r() * 4 - 2) }];
  const calib = Array.from({ length: n }, sample);
  const q = await quantizeModel(g, calib);
  return { q, calib, held: Array.from({ length: 16 }, sample) };
}

test('int8 Lstm is bit-exact with a transcription of TFLM integer LSTM, and close to float (SQNR >= 30 dB)', async (t) => {
  const r = rng(44);
  const pows = new Set<number>();
  for (const [B, T, I, H, grow] of [
    [1, 7, 3, 5, 0],
    [2, 5, 4, 3, 0],
    [3, 4, 2, 8, 0],
    [1, 12, 3, 4, 1],
  ]) {
    const s = randSeq(r, T, B, I, H, 4, false);
    // grow: input and forget gates held open and a positive cell gate, so |c| climbs past 4 (a cell scale of
    // 2^-12 or more takes TFLM's left-shift branch of the cell tanh rescale)
    if (grow) for (let k = 0; k < H; k++) [0, 2, 3].forEach((gi) => (s.wb[gi * H + k] = 6));
    const { q, held } = await quantized(s, B, T, I, H, r);
    let sig = 0;
    let err = 0;
    for (const smp of held) {
      const xi = quantX(q.graph, smp[0]);
      const got = runInt(q.graph, [xi], { keepAll: true });
      // the Lstm runs time major on the transposed input: feed the transcription the same int8 sequence
      const n = q.graph.nodes.find((k) => k.op === 'Lstm')!;
      const xt = got.values!.get(n.inputs[0])!.data as Int8Array;
      const want = tflmLstm(q.graph, xt, T, B);
      assert.deepEqual(Array.from(got.values!.get(n.outputs[0])!.data), Array.from(want), `B${B} T${T} I${I} H${H}: integer kernel vs TFLM transcription`);
      const f = runFloat(q.floatGraph, smp).outputs[0];
      const oq = q.graph.tensors[q.graph.outputs[0]].quant!;
      const o = got.outputs[0];
      for (let i = 0; i < f.data.length; i++) {
        sig += f.data[i] ** 2;
        err += ((o.data[i] - oq.zeroPoint[0]) * oq.scale[0] - f.data[i]) ** 2;
      }
    }
    // int8 output steps are ~1/128 of the range; the recurrence compounds the gate and cell rounding over T steps.
    // 30 dB (3 % RMS error) leaves room for that and still fails on any wrong gate order, scale or sign.
    const sqnr = 10 * Math.log10(sig / err);
    t.diagnostic(`B${B} T${T} I${I} H${H}${grow ? ' (large cell)' : ''}: SQNR ${sqnr.toFixed(1)} dB`);
    pows.add(Math.log2(q.graph.tensors[q.graph.nodes.find((k) => k.op === 'Lstm')!.outputs[2]].quant!.scale[0]));
    assert.ok(sqnr >= 30, `B${B} T${T} I${I} H${H}: SQNR ${sqnr.toFixed(1)} dB`);
  }
  assert.ok([...pows].some((p) => p < -12) && [...pows].some((p) => p >= -12), `both cell tanh rescale branches: ${[...pows]}`);
});

test('Lstm PTQ: power-of-two int16 cell scale covering the calibrated cell state, per-gate weight scales, shared output state', async () => {
  const r = rng(45);
  const [B, T, I, H] = [2, 6, 3, 4];
  const s = randSeq(r, T, B, I, H, 4, false);
  // bigger weights push the cell state past 1 so that the power matters
  s.w = s.w.map((row) => row.map((v) => v * 3));
  s.wb = s.wb.map((v) => v * 3);
  const { q, calib } = await quantized(s, B, T, I, H, r);
  let m = 0;
  for (const [x] of calib) {
    const xs: number[][][] = [];
    for (let t = 0; t < T; t++) xs.push(Array.from({ length: B }, (_, b) => Array.from(x.data.slice((b * T + t) * I, (b * T + t + 1) * I))));
    lstmSpec({ ...s, x: xs }, H, false, (c) => c.flat().forEach((v) => (m = Math.max(m, Math.abs(v)))));
  }
  const n = q.graph.nodes.find((k) => k.op === 'Lstm')!;
  const cell = q.graph.tensors[n.outputs[2]];
  assert.equal(cell.dtype, 'int16');
  const p = Math.log2(cell.quant!.scale[0]) + 15;
  assert.ok(Number.isInteger(p) && p >= 0 && p <= 10, `cell scale ${cell.quant!.scale[0]}`);
  assert.ok(m > 1, `the test wants a cell state beyond 1 (max ${m})`);
  assert.ok(2 ** p >= m * (1 - 1e-6) && 2 ** (p - 1) < m, `2^${p} is not the smallest power of two >= ${m}`);
  for (const k of [1, 2]) {
    const sc = q.graph.tensors[n.inputs[k]].quant!.scale;
    assert.equal(sc.length, 4 * H);
    for (let gi = 0; gi < 4; gi++) assert.ok(sc.slice(gi * H, (gi + 1) * H).every((v) => v === sc[gi * H]), `input ${k} gate ${gi}: one scale`);
  }
  assert.deepEqual(q.graph.tensors[n.outputs[1]].quant, q.graph.tensors[n.outputs[0]].quant);
});

test('Lstm under the int16 scheme runs as an int8 island (TFLM has the integer LSTM for int8 activations here)', async () => {
  const r = rng(46);
  const [B, T, I, H] = [1, 5, 2, 3];
  const s = randSeq(r, T, B, I, H, 4, false);
  const g = importOnnx(pytorchStyleModel('LSTM', s, B, T, I, H), 'lstm.onnx');
  const calib = Array.from({ length: 8 }, () => [{ dtype: 'float32', shape: [B, T, I], data: Float32Array.from({ length: B * T * I }, () => r() * 4 - 2) } as Value]);
  const q = await quantizeModel(g, calib, { scheme: 'int16' });
  const n = q.graph.nodes.find((k) => k.op === 'Lstm')!;
  assert.equal(q.graph.tensors[n.inputs[0]].dtype, 'int8');
  assert.equal(q.graph.nodes.find((k) => k.outputs.includes(n.inputs[0]))!.op, 'Quantize', 'int16 → int8 at the island entry');
  assert.equal(q.graph.tensors[q.graph.inputs[0]].dtype, 'int16');
  assert.equal(q.graph.tensors[n.outputs[2]].dtype, 'int16');
});
