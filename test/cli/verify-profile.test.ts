// `espforge verify DIR --rv32 --profile`: rv32 instructions per layer of a built project, through the CLI.
// Expected values are properties, not figures from the code under test: every layer of report.json is listed (by
// name, in order), the per-layer counts add up to about the whole-invoke count of the separate unprofiled run
// (which also includes the input/output copies, the profiled one a few hook instructions per layer), and a layer
// with MACs retires at least one instruction per MAC (rv32imc has no SIMD multiply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { rv32Available } from '../helpers/rv32.js';
import { profileTable } from '../../src/cli/commands/verify.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

test('verify --rv32 --profile lists every layer; the layers add up to the whole invoke', (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_valid_q.tflite');
  if (!model || !rv32Available(t)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-profile-'));
  try {
    const proj = join(tmp, 'p');
    const b = cli('build', model, '--target', 'esp32c3', '--out', proj, '--name', 'prof', '--kernels', 'portable');
    assert.equal(b.status, 0, b.stderr);
    const layers = (JSON.parse(readFileSync(join(proj, 'report.json'), 'utf8')) as { layers: { name: string; op: string; macs: number }[] }).layers;
    assert.ok(layers.length >= 3, 'the model has several layers');

    const v = cli('verify', proj, '--profile', '--json'); // --profile implies --rv32
    assert.equal(v.status, 0, v.stderr + v.stdout);
    const r = JSON.parse(v.stdout) as {
      results: { target: string; instructions?: number }[];
      profile: { layers: { index: number; name: string; op: string; macs: number; instructions: number }[]; sum: number; invoke: number; macs: number };
    };
    const p = r.profile;
    assert.deepEqual(p.layers.map((l) => l.name), layers.map((l) => l.name), 'every layer of report.json, in order');
    assert.deepEqual(p.layers.map((l) => l.index), layers.map((_, i) => i));
    for (const l of p.layers) {
      assert.ok(Number.isInteger(l.instructions) && l.instructions > 0, `${l.name}: a positive instruction count`);
      if (l.macs > 0) assert.ok(l.instructions >= l.macs, `${l.name}: ${l.instructions} instructions for ${l.macs} MACs`);
    }
    assert.equal(p.sum, p.layers.reduce((a, l) => a + l.instructions, 0));
    const invoke = r.results.find((x) => x.target === 'rv32')?.instructions;
    assert.ok(invoke !== undefined && invoke === p.invoke, '--profile ran the (unprofiled) rv32 verification too, which reports the whole invoke');
    const gap = Math.abs(invoke - p.sum) / invoke;
    assert.ok(gap < 0.05, `sum of layers ${p.sum} vs whole invoke ${invoke}: ${(100 * gap).toFixed(2)}% apart`);

    // the human-readable form (same data, printed by the command without --json): one row per layer and the sum
    const text = profileTable(p);
    for (const l of layers) assert.ok(text.includes(l.name.length > 48 ? l.name.slice(0, 47) : l.name), `row for ${l.name}`);
    assert.match(text, new RegExp(`sum of layers: ${p.sum} instructions`));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('build --verify rv32 with ESP-NN kernels records instructions for every layer (report.json)', (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_valid_q.tflite');
  if (!model || !rv32Available(t)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-profile-espnn-'));
  try {
    const proj = join(tmp, 'p');
    // esp32s3 takes ESP-NN for the conv layers: the profiled run must link the ESP-NN test double too
    const b = cli('build', model, '--target', 'esp32s3', '--out', proj, '--name', 'prof', '--verify', 'rv32');
    assert.equal(b.status, 0, b.stderr);
    const rep = JSON.parse(readFileSync(join(proj, 'report.json'), 'utf8')) as { kernels: string; layers: { name: string; kernel: string; instructions?: number }[] };
    assert.equal(rep.kernels, 'esp-nn');
    assert.ok(rep.layers.some((l) => l.kernel.startsWith('esp-nn:')), 'some layer runs an ESP-NN kernel');
    for (const l of rep.layers) assert.ok(Number.isInteger(l.instructions) && l.instructions! > 0, `${l.name}: instructions ${l.instructions}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
