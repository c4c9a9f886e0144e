// LayerNormalization end to end, through the files and commands users touch: small ONNX models (opset 17, as
// PyTorch exports nn.LayerNorm) with the op in an MLP and in a transformer-style block.
//   float: `espforge run` vs a naive transcription of the ONNX spec written here (independent reference);
//   int8 / int16: `espforge build --calib --scheme … --verify host` (generated C == integer simulator: consistency),
//   and the integer simulator vs the float model on the same inputs (accuracy, a stated tolerance);
//   a property of the integer kernel: each output row has mean ≈ B and standard deviation ≈ |Scale|.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { simulate as simulateBytes } from '../../src/pipeline/build.js';
import { loadModel } from '../../src/import/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { shapeSize } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { runFloat } from '../../src/sim/float.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runCli } from '../helpers/cli.js';
import { model } from '../helpers/onnx-model.js';
import { rng } from '../helpers/rng.js';

const R = rng(1717);

/** The integer simulator's outputs as signed values (build.simulate gives int8 outputs as bytes, as the C harness prints them). */
function simulate(G: Graph, inputs: number[][]): number[][] {
  return simulateBytes(G, inputs).map((o, k) => (G.tensors[G.outputs[k]].dtype === 'int8' ? o.map((v) => (v << 24) >> 24) : o));
}
const f32 = (shape: number[], lo = -1, hi = 1): Value => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shapeSize(shape) }, () => lo + (hi - lo) * R()) });

/** The ONNX spec, row by row (the trailing dims from axis): (x - mean) / sqrt(var + eps) * scale + bias. */
function refLayerNorm(x: ArrayLike<number>, N: number, scale: ArrayLike<number>, bias: ArrayLike<number> | undefined, eps: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < x.length / N; r++) {
    const row = Array.from({ length: N }, (_, i) => x[r * N + i]);
    const mean = row.reduce((a, b) => a + b, 0) / N;
    const v = row.reduce((a, b) => a + (b - mean) * (b - mean), 0) / N;
    row.forEach((xi, i) => y.push(((xi - mean) / Math.sqrt(v + eps)) * scale[scale.length === 1 ? 0 : i] + (bias ? bias[bias.length === 1 ? 0 : i] : 0)));
  }
  return y;
}
const matmul = (x: ArrayLike<number>, K: number, w: ArrayLike<number>, M: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r < x.length / K; r++) for (let m = 0; m < M; m++) { let s = 0; for (let k = 0; k < K; k++) s += x[r * K + k] * w[k * M + m]; out.push(s); }
  return out;
};
const addv = (a: number[], b: ArrayLike<number>) => a.map((v, i) => v + b[i % b.length]);
const relu = (a: number[]) => a.map((v) => Math.max(0, v));

// MLP: x[1,16] → MatMul 16x32 + b → LayerNorm(32) → Relu → MatMul 32x8
const W1 = f32([16, 32], -0.5, 0.5), B1 = f32([32], -0.2, 0.2), G1 = f32([32], 0.5, 1.5), BE1 = f32([32], -0.3, 0.3), W2 = f32([32, 8], -0.4, 0.4);
const mlp = model({
  opset: 17,
  inputs: [{ name: 'x', dims: [1, 16] }],
  outputs: ['y'],
  inits: [{ name: 'W1', v: W1 }, { name: 'B1', v: B1 }, { name: 'G1', v: G1 }, { name: 'BE1', v: BE1 }, { name: 'W2', v: W2 }],
  nodes: [
    { op: 'MatMul', ins: ['x', 'W1'], outs: ['h'] },
    { op: 'Add', ins: ['h', 'B1'], outs: ['hb'] },
    { op: 'LayerNormalization', ins: ['hb', 'G1', 'BE1'], outs: ['ln'], attrs: [{ name: 'axis', i: -1 }, { name: 'epsilon', f: 1e-5 }] },
    { op: 'Relu', ins: ['ln'], outs: ['r'] },
    { op: 'MatMul', ins: ['r', 'W2'], outs: ['y'] },
  ],
});
const mlpRef = (x: ArrayLike<number>) => matmul(relu(refLayerNorm(addv(matmul(x, 16, W1.data, 32), B1.data), 32, G1.data, BE1.data, Math.fround(1e-5))), 32, W2.data, 8);

// transformer-style block on a sequence [1,6,16]: pre-norm, projection, residual, norm, MLP, residual
const D = 16;
const Gq = f32([D], 0.6, 1.4), Bq = f32([D], -0.2, 0.2), Wq = f32([D, D], -0.4, 0.4), G2 = f32([D], 0.6, 1.4), B2 = f32([D], -0.2, 0.2);
const Wa = f32([D, 32], -0.3, 0.3), Wb = f32([32, D], -0.3, 0.3);
const block = model({
  opset: 17,
  inputs: [{ name: 'x', dims: [1, 6, D] }],
  outputs: ['y'],
  inits: [{ name: 'Gq', v: Gq }, { name: 'Bq', v: Bq }, { name: 'Wq', v: Wq }, { name: 'G2', v: G2 }, { name: 'B2', v: B2 }, { name: 'Wa', v: Wa }, { name: 'Wb', v: Wb }],
  nodes: [
    { op: 'LayerNormalization', ins: ['x', 'Gq', 'Bq'], outs: ['n1'], attrs: [{ name: 'epsilon', f: 1e-5 }] },
    { op: 'MatMul', ins: ['n1', 'Wq'], outs: ['p'] },
    { op: 'Add', ins: ['x', 'p'], outs: ['r1'] },
    { op: 'LayerNormalization', ins: ['r1', 'G2', 'B2'], outs: ['n2'], attrs: [{ name: 'axis', i: 2 }, { name: 'epsilon', f: 1e-6 }] },
    { op: 'MatMul', ins: ['n2', 'Wa'], outs: ['a'] },
    { op: 'Relu', ins: ['a'], outs: ['ar'] },
    { op: 'MatMul', ins: ['ar', 'Wb'], outs: ['b'] },
    { op: 'Add', ins: ['r1', 'b'], outs: ['y'] },
  ],
});
const blockRef = (x: ArrayLike<number>) => {
  const n1 = refLayerNorm(x, D, Gq.data, Bq.data, Math.fround(1e-5));
  const r1 = matmul(n1, D, Wq.data, D).map((v, i) => v + x[i]);
  const n2 = refLayerNorm(r1, D, G2.data, B2.data, Math.fround(1e-6));
  const b = matmul(relu(matmul(n2, D, Wa.data, 32)), 32, Wb.data, D);
  return b.map((v, i) => v + r1[i]);
};

const MODELS = [
  { name: 'mlp', bytes: mlp, inShape: [1, 16], ref: mlpRef },
  { name: 'block', bytes: block, inShape: [1, 6, D], ref: blockRef },
];

const dir = mkdtempSync(join(tmpdir(), 'espforge-ln-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A batch of inputs with a leading N (normal-ish: sums of uniforms, offset and scaled per sample). */
function batch(shape: number[], n: number): Value {
  const per = shapeSize(shape);
  const data = new Float32Array(n * per);
  for (let s = 0; s < n; s++) {
    const off = 2 * R() - 1;
    const sc = 0.5 + R();
    for (let i = 0; i < per; i++) data[s * per + i] = off + sc * (R() + R() + R() - 1.5);
  }
  return { dtype: 'float32', shape: [n, ...shape], data };
}

test('LayerNormalization float: `espforge run` on ONNX models equals a naive transcription of the ONNX spec', async () => {
  for (const m of MODELS) {
    const file = join(dir, `${m.name}.onnx`);
    writeFileSync(file, m.bytes);
    const xs = batch(m.inShape, 5);
    const xin = join(dir, `${m.name}_x.npy`);
    const yout = join(dir, `${m.name}_y.npy`);
    writeFileSync(xin, writeNpy(xs));
    const r = await runCli(['run', file, '--input', xin, '--output', yout]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const y = readNpy(readFileSync(yout)).data;
    const per = shapeSize(m.inShape);
    let worst = 0;
    for (let s = 0; s < 5; s++) {
      const want = m.ref(xs.data.subarray(s * per, (s + 1) * per));
      want.forEach((w, i) => (worst = Math.max(worst, Math.abs(y[s * want.length + i] - w))));
    }
    assert.ok(worst < 1e-4, `${m.name}: float output differs from the spec transcription by ${worst}`);
  }
});

/** Quantize in process (the same code `build --calib` runs) and compare the integer simulator with the float model. */
async function accuracy(m: (typeof MODELS)[number], scheme: 'int8' | 'int16'): Promise<{ worst: number; range: number; G: Graph }> {
  const g = await loadModel(join(dir, `${m.name}.onnx`));
  const cal = batch(m.inShape, 48);
  const per = shapeSize(m.inShape);
  const calib = Array.from({ length: 48 }, (_, s) => [{ dtype: 'float32' as const, shape: m.inShape, data: cal.data.slice(s * per, (s + 1) * per) }]);
  const G = (await quantizeModel(g, calib, { scheme })).graph;
  const qi = G.tensors[G.inputs[0]].quant!;
  const qo = G.tensors[G.outputs[0]].quant!;
  const [lo, hi] = scheme === 'int8' ? [-128, 127] : [-32768, 32767];
  const test = cal; // the calibration inputs: no clipping, so the error measured is the integer arithmetic's
  let worst = 0;
  let range = 0;
  for (let s = 0; s < 20; s++) {
    const x = test.data.subarray(s * per, (s + 1) * per);
    const xq = Array.from(x, (v) => Math.min(hi, Math.max(lo, Math.round(v / qi.scale[0]) + qi.zeroPoint[0])));
    const yq = simulate(G, [xq])[0];
    const want = m.ref(x);
    want.forEach((w, i) => {
      worst = Math.max(worst, Math.abs((yq[i] - qo.zeroPoint[0]) * qo.scale[0] - w));
      range = Math.max(range, Math.abs(w));
    });
  }
  return { worst, range, G };
}

test('LayerNormalization int8 and int16: the integer simulator stays close to the float model', async () => {
  // on the calibration inputs (held-out samples beyond the calibrated ranges clip, which measures calibration, not
  // the kernels); tolerance relative to the largest output magnitude: int8 a few output steps after 2 LayerNorms
  // and 3-4 layers; int16 tighter (its int8 weights bound it, not the activations)
  for (const m of MODELS) {
    const a8 = await accuracy(m, 'int8');
    const a16 = await accuracy(m, 'int16');
    const r8 = a8.worst / a8.range;
    const r16 = a16.worst / a16.range;
    console.log(`# ${m.name}: max |int8 - float| = ${a8.worst.toFixed(4)} (${(100 * r8).toFixed(2)}% of ${a8.range.toFixed(3)}), int16 ${a16.worst.toFixed(5)} (${(100 * r16).toFixed(3)}%)`);
    assert.ok(r8 < 0.05, `${m.name} int8: error ${a8.worst} is ${(100 * r8).toFixed(2)}% of the output range`);
    assert.ok(r16 < 0.01, `${m.name} int16: error ${a16.worst} is ${(100 * r16).toFixed(3)}% of the output range`);
    assert.ok(a8.G.nodes.some((n) => n.op === 'LayerNormalization') && a16.G.nodes.some((n) => n.op === 'LayerNormalization'));
  }
});

test('LayerNormalization integer kernel property: each row comes out with mean ≈ B and std ≈ |Scale|', async () => {
  for (const scheme of ['int8', 'int16'] as const) {
    const N = 48;
    const gamma = 0.5 + 1.5 * R();
    const beta = -0.5 + R();
    const file = join(dir, `prop_${scheme}.onnx`);
    writeFileSync(file, model({
      opset: 17,
      inputs: [{ name: 'x', dims: [4, N] }],
      outputs: ['y'],
      inits: [{ name: 'g', v: { dtype: 'float32', shape: [1], data: Float32Array.of(gamma) } }, { name: 'b', v: { dtype: 'float32', shape: [1], data: Float32Array.of(beta) } }],
      nodes: [{ op: 'LayerNormalization', ins: ['x', 'g', 'b'], outs: ['y'] }],
    }));
    const g = await loadModel(file);
    const cal = batch([4, N], 8);
    const G = (await quantizeModel(g, Array.from({ length: 8 }, (_, s) => [{ dtype: 'float32' as const, shape: [4, N], data: cal.data.slice(s * 4 * N, (s + 1) * 4 * N) }]), { scheme })).graph;
    const qi = G.tensors[G.inputs[0]].quant!;
    const qo = G.tensors[G.outputs[0]].quant!;
    const [lo, hi] = scheme === 'int8' ? [-128, 127] : [-32768, 32767];
    const x = batch([4, N], 1).data;
    const y = simulate(G, [Array.from(x, (v) => Math.min(hi, Math.max(lo, Math.round(v / qi.scale[0]) + qi.zeroPoint[0])))])[0].map((q) => (q - qo.zeroPoint[0]) * qo.scale[0]);
    const tol = scheme === 'int8' ? 0.05 : 0.005;
    for (let r = 0; r < 4; r++) {
      const row = y.slice(r * N, (r + 1) * N);
      const mean = row.reduce((p, q) => p + q, 0) / N;
      const std = Math.sqrt(row.reduce((p, q) => p + (q - mean) ** 2, 0) / N);
      assert.ok(Math.abs(mean - beta) < tol * Math.max(1, gamma), `${scheme} row ${r}: mean ${mean} vs B ${beta}`);
      assert.ok(Math.abs(std - gamma) < tol * gamma * 2, `${scheme} row ${r}: std ${std} vs Scale ${gamma}`);
    }
    // a constant row has no spread: every output is B
    const flat = simulate(G, [new Array(4 * N).fill(qi.zeroPoint[0] + 3)])[0].map((q) => (q - qo.zeroPoint[0]) * qo.scale[0]);
    for (const v of flat) assert.ok(Math.abs(v - beta) <= qo.scale[0] * 1.5, `${scheme}: constant row gives ${v}, not B ${beta}`);
  }
});

test('LayerNormalization through `build --calib --scheme int8|int16 --verify host`: the C equals the simulator', async (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('no gcc');
    return;
  }
  // one build per scheme would double a slow step (each also compiles the ESP-IDF stand-in); the int8 MLP and the
  // int16 block together cover both kernels, and test/codegen/ops-schemes.test.ts checks both schemes in memory too
  const jobs = ([['mlp', 'int8'], ['block', 'int16']] as const).map(async ([name, scheme]) => {
    const m = MODELS.find((x) => x.name === name)!;
    const cal = join(dir, `${name}_cal.npy`);
    writeFileSync(cal, writeNpy(batch(m.inShape, 16)));
    const out = join(dir, `${name}_${scheme}`);
    const r = await runCli(['build', join(dir, `${name}.onnx`), '--calib', cal, '--scheme', scheme, '--out', out, '--target', 'esp32s3', '--verify', 'host'], 300_000);
    assert.equal(r.code, 0, `${name} ${scheme}: ${r.stdout.slice(-800)}${r.stderr.slice(-800)}`);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(report, /\*\*host\*\*[^\n]*output bytes identical to the integer simulator/, `${name} ${scheme}: host verification`);
    assert.match(report, /\*\*host-sanitize\*\*[^\n]*output bytes identical to the integer simulator/, `${name} ${scheme}: ASan/UBSan verification`);
    assert.match(readFileSync(join(out, 'components', name, 'espforge_kernels.c'), 'utf8'), new RegExp(`${name}_layer_norm_s${scheme === 'int8' ? 8 : 16}\\(`));
  });
  await Promise.all(jobs);
});

test('LayerNormalization import refuses what the kernel does not compute, with coded diagnostics', async () => {
  const file = join(dir, 'stash.onnx');
  writeFileSync(file, model({
    opset: 17,
    inputs: [{ name: 'x', dims: [2, 8] }],
    outputs: ['y'],
    inits: [{ name: 'g', v: f32([8]) }],
    nodes: [{ op: 'LayerNormalization', ins: ['x', 'g'], outs: ['y'], attrs: [{ name: 'stash_type', i: 0 }] }],
  }));
  await assert.rejects(loadModel(file), (e: { diagnostics?: { code: string }[] }) => e.diagnostics?.[0].code === 'EF2003');
  const bad = join(dir, 'badscale.onnx');
  writeFileSync(bad, model({
    opset: 17,
    inputs: [{ name: 'x', dims: [2, 8] }],
    outputs: ['y'],
    inits: [{ name: 'g', v: f32([4]) }],
    nodes: [{ op: 'LayerNormalization', ins: ['x', 'g'], outs: ['y'] }],
  }));
  await assert.rejects(loadModel(bad), (e: { diagnostics?: { code: string }[] }) => e.diagnostics?.[0].code === 'EF1004');
});

/** PyTorch 1.13's nn.LayerNorm export at opset 13: ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul, Add. */
function decomposed(opts: { exponent?: number; affine?: boolean } = {}): Uint8Array {
  const sc = (v: number): Value => ({ dtype: 'float32', shape: [], data: Float32Array.of(v) });
  const affine = opts.affine ?? true;
  return model({
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 6, D] }],
    outputs: ['y'],
    inits: [{ name: 'two', v: sc(opts.exponent ?? 2) }, { name: 'eps', v: sc(1e-5) }, { name: 'G2', v: G2 }, { name: 'B2', v: B2 }],
    nodes: [
      { op: 'ReduceMean', ins: ['x'], outs: ['m'], attrs: [{ name: 'axes', ints: [-1] }] },
      { op: 'Sub', ins: ['x', 'm'], outs: ['d'] },
      { op: 'Pow', ins: ['d', 'two'], outs: ['p'] },
      { op: 'ReduceMean', ins: ['p'], outs: ['v'], attrs: [{ name: 'axes', ints: [-1] }] },
      { op: 'Add', ins: ['v', 'eps'], outs: ['ve'] },
      { op: 'Sqrt', ins: ['ve'], outs: ['s'] },
      { op: 'Div', ins: ['d', 's'], outs: [affine ? 'n' : 'y'] },
      ...(affine ? [{ op: 'Mul', ins: ['n', 'G2'], outs: ['g'] }, { op: 'Add', ins: ['g', 'B2'], outs: ['y'] }] : []),
    ],
  });
}

test('the opset-13 LayerNorm decomposition PyTorch 1.13 exports is fused into one LayerNormalization', async () => {
  for (const affine of [true, false]) {
    const file = join(dir, `decomposed_${affine}.onnx`);
    writeFileSync(file, decomposed({ affine }));
    const g = await loadModel(file);
    assert.deepEqual(g.nodes.map((n) => n.op), ['LayerNormalization'], `affine=${affine}`);
    const xs = batch([1, 6, D], 1);
    const y = runFloat(g, [{ dtype: 'float32', shape: [1, 6, D], data: xs.data }]).outputs[0].data; // (the CLI path is checked above)
    const want = refLayerNorm(xs.data, D, affine ? G2.data : [1], affine ? B2.data : undefined, Math.fround(1e-5));
    want.forEach((w, i) => assert.ok(Math.abs(y[i] - w) < 1e-4, `affine=${affine}: element ${i}: ${y[i]} vs ${w}`));
  }
  // not the pattern (x^3): nothing is fused and Sqrt stays an unsupported operator, with its code
  const near = join(dir, 'near.onnx');
  writeFileSync(near, decomposed({ exponent: 3 }));
  await assert.rejects(loadModel(near), (e: { diagnostics?: { code: string; message: string }[] }) => e.diagnostics?.[0].code === 'EF2002' && /Sqrt/.test(e.diagnostics[0].message));
});
