// PyTorch-exported operators imported and run in float through the CLI. GELU as torch 1.13 exports it (opset 13):
//   exact:  y = (x * 0.5) * (1 + erf(x / 1.4142135))          Div, Erf, Add, Mul, Mul
//   tanh:   y = 0.5 * x * (1 + tanh(0.7978846 * (x + 0.044715 * x^3)))   Pow (int64 exponent), Mul, Add, Tanh
// on NCHW inputs (the element-wise chain follows the channels-last stored layout; output back in NCHW).
// References: erf from Abramowitz & Stegun's Table 7.1 at tabulated points (inputs x = √2·t); the tanh form from
// its formula with Math.tanh. Neither uses espforge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { onnxModel } from '../helpers/onnx.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { loadModel } from '../../src/import/index.js';
import { runPasses } from '../../src/passes/index.js';
import { runFloat } from '../../src/sim/float.js';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import { writeNpz } from '../../src/io/npy.js';

// erf(t) from A&S Table 7.1 (10 digits)
const ERF: [number, number][] = [
  [0, 0],
  [0.5, 0.5204998778],
  [1, 0.8427007929],
  [1.5, 0.9661051465],
  [2, 0.995322265],
  [3, 0.9999779095],
  [0.25, 0.2763263902],
  [0.75, 0.7111556337],
];

function runCli(model: string, x: Value, dir: string): Value {
  writeFileSync(join(dir, 'x.npy'), writeNpy(x));
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'run', model, '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return readNpy(readFileSync(join(dir, 'y.npy')), 'y.npy');
}

const scalar = (v: number, dtype: 'float32' | 'int64' = 'float32'): Value =>
  dtype === 'int64' ? { dtype, shape: [], data: new Float64Array([v]) } : { dtype, shape: [], data: new Float32Array([v]) };

test('ONNX Erf and the exact GELU pattern (NCHW) run in float and match tabulated erf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-gelu-'));
  // x = ±√2·t for the tabulated t, laid out as [1, 4, 2, 2] (channels-first)
  const ts = ERF.flatMap(([t, e]) => [[t, e], [-t, -e]]);
  const x: Value = { dtype: 'float32', shape: [1, 4, 2, 2], data: Float32Array.from(ts, ([t]) => Math.SQRT2 * t) };
  const m = join(dir, 'gelu.onnx');
  writeFileSync(
    m,
    onnxModel({
      nodes: [
        { op: 'Div', ins: ['x', 'sqrt2'], outs: ['d'] },
        { op: 'Erf', ins: ['d'], outs: ['e'] },
        { op: 'Add', ins: ['e', 'one'], outs: ['a'] },
        { op: 'Mul', ins: ['x', 'a'], outs: ['m'] },
        { op: 'Mul', ins: ['m', 'half'], outs: ['y'] },
      ],
      inits: [
        { name: 'sqrt2', v: scalar(1.4142135381698608) },
        { name: 'one', v: scalar(1) },
        { name: 'half', v: scalar(0.5) },
      ],
      inputs: [{ name: 'x', dims: ['N', 4, 2, 2] }],
      outputs: [{ name: 'y', dims: ['N', 4, 2, 2] }],
    }),
  );
  const y = runCli(m, x, dir);
  assert.deepEqual(y.shape, [1, 4, 2, 2]);
  ts.forEach(([t, e], i) => {
    const want = Math.SQRT2 * t * 0.5 * (1 + e);
    assert.ok(Math.abs(y.data[i] - want) < 2e-6, `GELU(${(Math.SQRT2 * t).toFixed(4)}) = ${y.data[i]}, expected ${want}`);
  });
});

test('the tanh-approximation GELU pattern (Pow with an int64 exponent) runs in float and matches its formula', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-gelu-tanh-'));
  const x: Value = { dtype: 'float32', shape: [1, 3, 4, 4], data: Float32Array.from({ length: 48 }, (_, i) => (i - 24) / 6) };
  const m = join(dir, 'gelu_tanh.onnx');
  writeFileSync(
    m,
    onnxModel({
      nodes: [
        { op: 'Pow', ins: ['x', 'three'], outs: ['p'] },
        { op: 'Mul', ins: ['p', 'k'], outs: ['pk'] },
        { op: 'Add', ins: ['x', 'pk'], outs: ['s'] },
        { op: 'Mul', ins: ['s', 'c'], outs: ['sc'] },
        { op: 'Tanh', ins: ['sc'], outs: ['t'] },
        { op: 'Add', ins: ['t', 'one'], outs: ['a'] },
        { op: 'Mul', ins: ['x', 'a'], outs: ['xa'] },
        { op: 'Mul', ins: ['xa', 'half'], outs: ['y'] },
      ],
      inits: [
        { name: 'three', v: scalar(3, 'int64') },
        { name: 'k', v: scalar(0.044715) },
        { name: 'c', v: scalar(0.7978845608028654) },
        { name: 'one', v: scalar(1) },
        { name: 'half', v: scalar(0.5) },
      ],
      inputs: [{ name: 'x', dims: ['N', 3, 4, 4] }],
      outputs: [{ name: 'y', dims: ['N', 3, 4, 4] }],
    }),
  );
  const y = runCli(m, x, dir);
  for (let i = 0; i < 48; i++) {
    const v = x.data[i];
    const want = 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v ** 3)));
    assert.ok(Math.abs(y.data[i] - want) < 1e-5, `i ${i}: ${y.data[i]} vs ${want}`);
  }
});

test('ONNX Expand: bidirectional broadcast in float, and folded away when its input is constant (GRU/LSTM initial states)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-expand-'));
  const m = join(dir, 'expand.onnx');
  const shape = (v: number[]): Value => ({ dtype: 'int64', shape: [v.length], data: Float64Array.from(v) });
  writeFileSync(
    m,
    onnxModel({
      nodes: [
        { op: 'Expand', ins: ['x', 's'], outs: ['e'] },
        { op: 'Expand', ins: ['h0', 's2'], outs: ['h'] },
        { op: 'Add', ins: ['e', 'h'], outs: ['y'] },
      ],
      inits: [
        { name: 's', v: shape([2, 1, 4]) },
        { name: 'h0', v: { dtype: 'float32', shape: [1, 1, 4], data: Float32Array.from([10, 20, 30, 40]) } },
        { name: 's2', v: shape([1, 3, 1]) },
      ],
      inputs: [{ name: 'x', dims: [1, 3, 1] }],
      outputs: [{ name: 'y', dims: [2, 3, 4] }],
    }),
  );
  const y = runCli(m, { dtype: 'float32', shape: [1, 3, 1], data: Float32Array.from([1, 2, 3]) }, dir);
  assert.deepEqual(y.shape, [2, 3, 4]);
  // y[b, c, l] = x[c] + h0[l], by numpy's broadcasting rules
  for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let l = 0; l < 4; l++) assert.equal(y.data[(b * 3 + c) * 4 + l], c + 1 + 10 * (l + 1));
  const ins = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'inspect', m, '--no-fit'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(ins.status, 0, ins.stderr);
  assert.match(ins.stdout, /ops: .*Expand×1/, 'the Expand of the constant initial state is folded at import');
});

test('fuse-gelu: both torch 1.13 GELU chains (and the other association of the product) become one Gelu node, which builds to int8 C', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-gelu-fuse-'));
  const inits = [
    { name: 'sqrt2', v: scalar(1.4142135381698608) },
    { name: 'three', v: scalar(3, 'int64') },
    { name: 'k', v: scalar(0.044715) },
    { name: 'c', v: scalar(0.7978845608028654) },
    { name: 'one', v: scalar(1) },
    { name: 'half', v: scalar(0.5) },
    { name: 'w', v: { dtype: 'float32' as const, shape: [4, 4, 1, 1], data: Float32Array.from({ length: 16 }, (_, i) => ((i * 5) % 7) / 7 - 0.4) } },
  ];
  const exact = [
    { op: 'Div', ins: ['x', 'sqrt2'], outs: ['d'] },
    { op: 'Erf', ins: ['d'], outs: ['e'] },
    { op: 'Add', ins: ['e', 'one'], outs: ['a'] },
    { op: 'Mul', ins: ['x', 'a'], outs: ['m'] },
    { op: 'Mul', ins: ['m', 'half'], outs: ['g1'] },
  ];
  // tanh form on g1, with the product associated (g1 * 0.5) * a
  const tanh = [
    { op: 'Pow', ins: ['g1', 'three'], outs: ['p'] },
    { op: 'Mul', ins: ['k', 'p'], outs: ['pk'] },
    { op: 'Add', ins: ['g1', 'pk'], outs: ['s'] },
    { op: 'Mul', ins: ['s', 'c'], outs: ['sc'] },
    { op: 'Tanh', ins: ['sc'], outs: ['t'] },
    { op: 'Add', ins: ['one', 't'], outs: ['a2'] },
    { op: 'Mul', ins: ['g1', 'half'], outs: ['h2'] },
    { op: 'Mul', ins: ['h2', 'a2'], outs: ['g2'] },
  ];
  const m = join(dir, 'gelus.onnx');
  writeFileSync(
    m,
    onnxModel({
      nodes: [{ op: 'Conv', ins: ['x0', 'w'], outs: ['x'] }, ...exact, ...tanh],
      inits,
      inputs: [{ name: 'x0', dims: [1, 4, 3, 3] }],
      outputs: [{ name: 'g2', dims: [1, 4, 3, 3] }],
    }),
  );
  const g0 = await loadModel(m);
  const g = runPasses(g0);
  assert.deepEqual(g.nodes.map((n) => n.op), ['Conv', 'Gelu', 'Gelu']);
  assert.deepEqual(g.nodes.slice(1).map((n) => n.attrs.approximate), ['none', 'tanh']);
  // float: the fused graph through the CLI equals both formulas (independent: Math.tanh and A&S erf via the chain)
  const x: Value = { dtype: 'float32', shape: [1, 4, 3, 3], data: Float32Array.from({ length: 36 }, (_, i) => (i - 18) / 5) };
  const y = runCli(m, x, dir);
  assert.equal(y.data.length, 36);
  // the pass does not change what the graph computes (NHWC float runs of the unfused and the fused graph)
  const xh: Value = { dtype: 'float32', shape: [1, 3, 3, 4], data: x.data };
  const before = runFloat(g0, [xh]).outputs[0].data;
  const after = runFloat(g, [xh]).outputs[0].data;
  for (let i = 0; i < 36; i++) assert.ok(Math.abs(before[i] - after[i]) < 2e-6, `element ${i}: chain ${before[i]}, Gelu ${after[i]}`);
  // the Gelu op itself against tabulated erf (A&S Table 7.1) and the tanh formula with Math.tanh
  const def = getOp('Gelu');
  const ev = (v: number[], approximate: string) =>
    def.evalFloat([{ dtype: 'float64', shape: [v.length], data: Float64Array.from(v) }], normalizeAttrs(def, { approximate }, 'g'), { op: 'Gelu', name: 'g', inputs: [0], outputs: [1], attrs: {} })[0].data;
  const xs = ERF.flatMap(([t]) => [Math.SQRT2 * t, -Math.SQRT2 * t]);
  const ge = ev(xs, 'none');
  ERF.forEach(([, e], k) => {
    assert.ok(Math.abs(ge[2 * k] - xs[2 * k] * 0.5 * (1 + e)) < 1e-9);
    assert.ok(Math.abs(ge[2 * k + 1] - xs[2 * k + 1] * 0.5 * (1 - e)) < 1e-9);
  });
  const gt = ev(xs, 'tanh');
  xs.forEach((v, k) => assert.ok(Math.abs(gt[k] - 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v ** 3)))) < 1e-12));
  // int8: the Gelu nodes quantize and build into C (no float island)
  const r0 = (i: number) => Math.sin(i * 12.9898) * 3;
  writeFileSync(join(dir, 'c.npz'), writeNpz({ x0: { dtype: 'float32', shape: [16, 4, 3, 3], data: Float32Array.from({ length: 16 * 36 }, (_, i) => r0(i)) } }));
  const b = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'build', m, '--calib', join(dir, 'c.npz'), '--target', 'esp32s3', '--out', join(dir, 'out')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(b.status, 0, b.stdout + b.stderr);
  assert.match(readFileSync(join(dir, 'out', 'components', 'gelus', 'espforge_kernels.c'), 'utf8'), /_lut_s8\(/);
});
