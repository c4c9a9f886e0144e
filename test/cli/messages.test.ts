// Diagnostic texts PyTorch users meet, through the CLI: the "unsupported operator" pointer leads to a command that
// exists (`inspect --list-ops`, derived from the registry), and advice for operators without an integer kernel is
// specific to the operator and true (ConvTranspose is not told to become Relu or Tanh); HardSigmoid, which once had
// such advice, now builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { onnxModel } from '../helpers/onnx.js';
import { rng } from '../helpers/rng.js';
import { writeNpz } from '../../src/io/npy.js';
import { OPS, noIntegerKernelAdvice } from '../../src/ops/index.js';
import { intKernel } from '../../src/sim/int/index.js';
import { SUPPORTED_ONNX_OPS } from '../../src/import/onnx/ops/index.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'espforge-msg-'));
const f32 = (shape: number[], f: (i: number) => number) => ({
  dtype: 'float32' as const,
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
});

test('the unsupported-operator pointer names a command that exists: inspect --list-ops lists every registry op', () => {
  const m = join(dir, 'hardmax.onnx');
  writeFileSync(m, onnxModel({ nodes: [{ op: 'Hardmax', ins: ['x'], outs: ['y'] }], inputs: [{ name: 'x', dims: [1, 4] }], outputs: [{ name: 'y', dims: [1, 4] }] }));
  const r = cli('inspect', m);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EF2002/);
  const pointer = /`espforge (inspect --list-ops)`/.exec(r.stderr);
  assert.ok(pointer, r.stderr);
  const list = cli(...pointer[1].split(' '));
  assert.equal(list.status, 0, list.stderr);
  for (const d of OPS) assert.match(list.stdout, new RegExp(`^${d.name}\\s`, 'm'), `${d.name} missing from --list-ops`);
  // rows state facts checked elsewhere: Tanh runs everywhere in int8, ConvTranspose in int8 but not 16x8
  assert.match(list.stdout, /^Tanh\s+yes\s+yes\s+yes\s/m);
  assert.match(list.stdout, /^ConvTranspose\s+yes\s+yes\s+yes\s+-\s/m);
  assert.match(list.stdout, /ONNX operators imported[^\n]*\n\s+.*\bGemm\b/);
  const j = JSON.parse(cli('inspect', '--list-ops', '--json').stdout);
  assert.deepEqual(j.onnx, [...SUPPORTED_ONNX_OPS]);
  for (const o of j.ops) assert.equal(o.int8, intKernel(o.op) !== undefined, o.op);
  assert.equal(cli('inspect').status, 2, 'no model and no --list-ops is still a usage error');
});

function floatIslandBuild(name: string, model: Uint8Array, inShape: number[]) {
  const m = join(dir, `${name}.onnx`);
  writeFileSync(m, model);
  const r0 = rng(5);
  writeFileSync(join(dir, `${name}.npz`), writeNpz({ x: f32([16, ...inShape], () => r0() * 2 - 1) }));
  const r = cli('build', m, '--calib', join(dir, `${name}.npz`), '--target', 'esp32s3', '--out', join(dir, name));
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /EF3002/);
  return r.stderr;
}

test('grouped ConvTranspose (no int8 kernel: TRANSPOSE_CONV has no groups): advice is upsampling by Resize + Conv, never Relu or Tanh', () => {
  const err = floatIslandBuild(
    'deconv',
    onnxModel({
      nodes: [
        { op: 'ConvTranspose', ins: ['x', 'w'], outs: ['y'], attrs: [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }, { name: 'group', i: 2 }] },
      ],
      inits: [{ name: 'w', v: f32([2, 2, 2, 2], (i) => ((i * 7) % 5) / 5 - 0.4) }],
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
      outputs: [{ name: 'y', dims: [1, 4, 8, 8] }],
    }),
    [2, 4, 4],
  );
  assert.match(err, /ConvTranspose has an int8 kernel \(TFLM's TRANSPOSE_CONV\) only with group = 1/);
  assert.match(err, /Upsample\/Resize followed by a Conv/);
  assert.doesNotMatch(err, /\bRelu\b|\bTanh\b|HardSwish/);
});

test('HardSigmoid now builds in int8: opset-13 nn.Hardswish (HardSigmoid(1/6) then Mul) becomes HardSwish, a lone HardSigmoid runs its own kernel', () => {
  const m = join(dir, 'hsig.onnx');
  writeFileSync(
    m,
    onnxModel({
      nodes: [
        { op: 'HardSigmoid', ins: ['x'], outs: ['h'], attrs: [{ name: 'alpha', f: 1 / 6 }] },
        { op: 'Mul', ins: ['x', 'h'], outs: ['y'] },
        { op: 'Add', ins: ['y', 'b'], outs: ['yb'] },
        { op: 'HardSigmoid', ins: ['yb'], outs: ['z'] },
      ],
      inits: [{ name: 'b', v: f32([8], (i) => i / 8 - 0.5) }],
      inputs: [{ name: 'x', dims: [1, 8] }],
      outputs: [{ name: 'z', dims: [1, 8] }],
    }),
  );
  const r0 = rng(5);
  writeFileSync(join(dir, 'hsig.npz'), writeNpz({ x: f32([16, 8], () => r0() * 8 - 4) }));
  const r = cli('build', m, '--calib', join(dir, 'hsig.npz'), '--target', 'esp32s3', '--out', join(dir, 'hsig'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /EF3002/);
  const kernels = readFileSync(join(dir, 'hsig', 'components', 'hsig', 'espforge_kernels.c'), 'utf8');
  assert.match(kernels, /_hard_swish_s8\(/);
  assert.match(kernels, /_hard_sigmoid_s8\(/);
});

test('every op without an integer kernel has advice of its own (naming it), apart from the quantization nodes', () => {
  for (const d of OPS) {
    if (intKernel(d.name) || d.name === 'Dequantize' || d.name === 'Quantize') continue;
    assert.ok(d.noIntAdvice, `${d.name} has no specific advice`);
    assert.ok(noIntegerKernelAdvice(d.name).startsWith(d.name), d.name);
  }
});

test("torch's opset-13 Hardswish (t · HardSigmoid(t), alpha 1/6) after a computed tensor builds in int8: it becomes one HardSwish node", () => {
  const m = join(dir, 'hswish13.onnx');
  writeFileSync(
    m,
    onnxModel({
      nodes: [
        { op: 'Mul', ins: ['x', 'k'], outs: ['t'] },
        { op: 'HardSigmoid', ins: ['t'], outs: ['h'], attrs: [{ name: 'alpha', f: 1 / 6 }, { name: 'beta', f: 0.5 }] },
        { op: 'Mul', ins: ['t', 'h'], outs: ['y'] },
      ],
      inits: [{ name: 'k', v: f32([8], (i) => 0.5 + i / 8) }],
      inputs: [{ name: 'x', dims: [1, 8] }],
      outputs: [{ name: 'y', dims: [1, 8] }],
    }),
  );
  const r0 = rng(6);
  writeFileSync(join(dir, 'hswish13.npz'), writeNpz({ x: f32([16, 8], () => r0() * 8 - 4) }));
  const r = cli('build', m, '--calib', join(dir, 'hswish13.npz'), '--target', 'esp32', '--out', join(dir, 'hswish13'), '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.deepEqual(rep.report.layers.map((l: { op: string }) => l.op), ['Mul', 'HardSwish'], JSON.stringify(rep.report.layers));
});
