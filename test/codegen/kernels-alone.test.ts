// Every C kernel section emitted alone — the kernel file a model using only that kernel gets (plus `copy`, which
// every model carries) — compiles with -std=c99 -Wall -Wextra -Werror. A section's static helpers serve several
// kernels (fixedpoint's 1/(1+x) serves softmax and logistic but not tanh), so a model with Tanh and no Sigmoid or
// Softmax (LeNet-5 with tanh) used to fail `build --verify host` with EF4003 on an unused static function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_NAMES, kernelFiles, sectionVariants } from '../../src/codegen/c/kernels.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { writeNpy } from '../../src/io/npy.js';
import { onnxModel } from '../helpers/onnx.js';
import { rng } from '../helpers/rng.js';
import { REPO_ROOT } from '../helpers/shared.js';

test('each kernel section alone, and with each of its optional blocks alone, compiles cleanly under -Wall -Wextra -Werror (no unused static helpers)', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'espforge-kalone-'));
  const names = KERNEL_NAMES();
  assert.ok(names.includes('tanh') && names.includes('logistic') && names.length > 20);
  const files: string[] = [];
  for (const k of names) {
    const sub = join(dir, k);
    spawnSync('mkdir', ['-p', sub]);
    const { header, source } = kernelFiles([k, 'copy'], 'm', '/* test */\n');
    writeFileSync(join(sub, 'espforge_kernels.h'), header);
    writeFileSync(join(sub, `${k}.c`), source);
    files.push(join(sub, `${k}.c`));
    // a section with optional blocks, emitted with only one of them (what a model whose layers reach only that
    // block gets): no unused variable or static helper left behind
    for (const v of sectionVariants(k)) {
      const one = kernelFiles([k, 'copy'], 'm', '/* test */\n', [v]);
      const f = join(sub, `${k}_${v.replace('.', '_')}.c`);
      assert.ok(!one.source.includes('/*@@'), `${v}: markers removed`);
      if (sectionVariants(k).length > 1) assert.ok(one.source.length < source.length, `${v}: the other blocks are dropped`);
      writeFileSync(f, one.source);
      files.push(f);
    }
  }
  assert.ok(sectionVariants('gemm').length === 3 && sectionVariants('convb').length === 3);
  // requantization without its S >= 0 path (a model whose tables hold no S >= 0), under the GEMM that reads it
  assert.deepEqual(sectionVariants('rq'), ['rq.left']);
  {
    const sub = join(dir, 'gemm_no_left');
    spawnSync('mkdir', ['-p', sub]);
    const k = kernelFiles(['gemm', 'copy'], 'm', '/* test */\n', ['gemm.b8', 'gemm.b4', 'gemm.b1']);
    assert.ok(!k.source.includes('m_rq_left'), 'the S >= 0 path is dropped');
    writeFileSync(join(sub, 'espforge_kernels.h'), k.header);
    writeFileSync(join(sub, 'gemm.c'), k.source);
    files.push(join(sub, 'gemm.c'));
  }
  // one gcc run per kernel so a failure names it; -c only (no main)
  const failures: string[] = [];
  for (const f of files) {
    const r = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-c', f, '-o', f.replace(/\.c$/, '.o')], { encoding: 'utf8' });
    if (r.status !== 0) failures.push(`${f}:\n${r.stderr.slice(0, 600)}`);
  }
  assert.deepEqual(failures, []);
});

test('LeNet-style ONNX with Tanh and no Sigmoid/Softmax: build --calib --verify host passes through the CLI', () => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'espforge-lenet-tanh-'));
  const r0 = rng(11);
  const f32 = (shape: number[], f: () => number) => ({ dtype: 'float32' as const, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f) });
  writeFileSync(
    join(dir, 'lenet_tanh.onnx'),
    onnxModel({
      nodes: [
        { op: 'Conv', ins: ['x', 'w1', 'b1'], outs: ['c1'], attrs: [{ name: 'kernel_shape', ints: [5, 5] }] },
        { op: 'Tanh', ins: ['c1'], outs: ['t1'] },
        { op: 'AveragePool', ins: ['t1'], outs: ['p1'], attrs: [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }] },
        { op: 'Flatten', ins: ['p1'], outs: ['f'] },
        { op: 'Gemm', ins: ['f', 'w2', 'b2'], outs: ['y'], attrs: [{ name: 'transB', i: 1 }] },
        { op: 'Tanh', ins: ['y'], outs: ['z'] },
      ],
      inits: [
        { name: 'w1', v: f32([4, 1, 5, 5], () => r0() - 0.5) },
        { name: 'b1', v: f32([4], () => 0.1 * r0()) },
        { name: 'w2', v: f32([10, 4 * 4 * 4], () => 0.3 * (r0() - 0.5)) },
        { name: 'b2', v: f32([10], () => 0) },
      ],
      inputs: [{ name: 'x', dims: ['N', 1, 12, 12] }],
      outputs: [{ name: 'z', dims: ['N', 10] }],
    }),
  );
  writeFileSync(join(dir, 'calib.npy'), writeNpy(f32([20, 1, 12, 12], () => r0())));
  const r = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'espforge.js'), 'build', join(dir, 'lenet_tanh.onnx'), '--calib', join(dir, 'calib.npy'), '--target', 'esp32s3', '--out', join(dir, 'p'), '--verify', 'host'],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /EF4003/);
});
