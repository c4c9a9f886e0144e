// ESP-NN back end (src/codegen/espnn/lower.ts) and its test double (src/verify/espnn-double.ts).
// Expected outputs come from TensorFlow Lite Micro's reference kernels (../shared/reference/tflm), a peer's data:
// the generated ESP-NN calls, linked with the double, must reproduce them byte for byte. C-vs-simulator
// comparisons on top of that are consistency checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject, harnessSpec } from '../../src/pipeline/build.js';
import { runHost } from '../../src/verify/host.js';
import { loadModel } from '../../src/import/index.js';
import { readNpy } from '../../src/io/npy.js';
import { espnnDoubleFiles } from '../../src/verify/espnn-double.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { espnnMixModel } from './tiny-models.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

/** The component's C library files of a build, keyed by file name as the verification harness expects them. */
function libraryFiles(files: Record<string, string>, name: string): Record<string, string> {
  const pre = `components/${name}/`;
  return Object.fromEntries(
    Object.entries(files)
      .filter(([f]) => f.startsWith(pre) && /\.(c|h)$/.test(f))
      .map(([f, t]) => [f.slice(pre.length).replace(/^include\//, ''), t]),
  );
}

const POOL_CONV_FC = new Set(['Conv', 'FullyConnected', 'AveragePool', 'MaxPool']);

test('build person_detect --target esp32s3: ESP-NN for every conv, depthwise and pool layer; the component depends on espressif/esp-nn; host run with the ESP-NN double equals TFLM', async (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tflm-person-detect', 'person_detect.tflite');
  const ref = sharedPath(t, 'reference', 'tflm', 'tflm-person-detect', 'person_detect');
  if (!model || !ref) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-espnn-'));
  try {
    const out = join(tmp, 'p');
    const r = cli('build', model, '--target', 'esp32s3', '--out', out, '--verify', 'host', '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(rep.kernels, 'esp-nn');
    const heavy = rep.layers.filter((l: { op: string }) => POOL_CONV_FC.has(l.op));
    assert.ok(heavy.length >= 28, `${heavy.length} conv/pool layers`);
    for (const l of heavy) assert.match(l.kernel, /^esp-nn:esp_nn_(conv|depthwise_conv|avg_pool|max_pool|fully_connected(_per_ch)?)_s8$/, `layer ${l.index} ${l.op}: ${l.kernel}`);
    assert.ok(rep.layers.some((l: { kernel: string }) => l.kernel === 'esp-nn:esp_nn_depthwise_conv_s8'));
    assert.ok(rep.layers.some((l: { kernel: string }) => l.kernel === 'esp-nn:esp_nn_avg_pool_s8'));
    for (const v of rep.verification) assert.equal(v.identical, true, `${v.target}: ${v.mismatches}`);
    assert.equal(rep.idfHost?.ok, true, 'the ESP-IDF project (with the managed esp-nn component) built and ran on the host stand-in');
    assert.match(rep.idfHost.kind, /smoke test only, not ESP-IDF/);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /ESP-IDF project on the host: smoke test only, not ESP-IDF/);
    const yml = readFileSync(join(out, 'components/person_detect/idf_component.yml'), 'utf8');
    assert.match(yml, /^ {2}espressif\/esp-nn: "[^"]+"$/m);
    const c = readFileSync(join(out, 'components/person_detect/person_detect.c'), 'utf8');
    assert.match(c, /#include "esp_nn\.h"/);
    assert.match(c, /esp_nn_set_conv_scratch_buf\(\(void \*\)\(arena \+ \d+\)\)/, 'scratch is placed in the planned arena');
    assert.match(c, /if \(esp_nn_get_depthwise_conv_scratch_size\(&in_dims, &filter_dims, &out_dims, &cp\) > \d+\) return -1;/);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /Kernels: ESP-NN/);

    // peer data: TFLM's outputs for two of its reference inputs, through the ESP-NN calls on the host
    const npy = (p: string) => readNpy(new Uint8Array(readFileSync(p)), p);
    const ids = ['sample-person', 'rand-000'];
    const inputs = ids.map((id) => [Array.from(npy(join(ref, 'inputs', `${id}.npy`)).data as ArrayLike<number>)]);
    const want = ids.map((id) => Array.from(npy(join(ref, 'outputs', `${id}.out0.npy`)).data as ArrayLike<number>, (v) => v & 0xff));
    {
      const g = await loadModel(model);
      const b = buildProject(g, { target: 'esp32s3', inputs, dryRun: true });
      assert.equal(b.ok, true, JSON.stringify(b.diagnostics));
      assert.deepEqual(b.report!.golden.map((gc) => gc.expected[0]), want, 'simulator equals TFLM');
      const lib = libraryFiles(b.files, 'person_detect');
      const run = runHost({ ...lib, ...espnnDoubleFiles() }, harnessSpec(g, 'person_detect'), inputs.map((ins, k) => ({ name: ids[k], inputs: ins })), false);
      assert.deepEqual(run.cases.map((c) => Array.from(c.outputs[0])), want, 'the ESP-NN calls (with the double) on the host equal TFLM');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('ESP-NN on esp32p4 with rv32: conv, add, fully connected and softmax calls run under QEMU equal to TFLM', async (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_resnet_q.tflite');
  const ref = sharedPath(t, 'reference', 'tflm', 'tinymaix', 'mnist_resnet_q');
  if (!model || !ref) return;
  const npy = (p: string) => readNpy(new Uint8Array(readFileSync(p)), p);
  const cases: { id: string }[] = JSON.parse(readFileSync(join(ref, 'cases.json'), 'utf8')).cases.slice(0, 2);
  const inputs = cases.map((c) => [Array.from(npy(join(ref, 'inputs', `${c.id}.npy`)).data as ArrayLike<number>)]);
  const want = cases.map((c) => Array.from(npy(join(ref, 'outputs', `${c.id}.out0.npy`)).data as ArrayLike<number>, (v) => v & 0xff));
  const g = await loadModel(model);
  const b = buildProject(g, { target: 'esp32p4', inputs, verify: ['rv32'], dryRun: true });
  assert.equal(b.ok, true, JSON.stringify(b.diagnostics));
  const kernels = b.report!.layers.map((l) => l.kernel);
  for (const k of ['esp-nn:esp_nn_conv_s8', 'esp-nn:esp_nn_add_elementwise_s8', 'esp-nn:esp_nn_softmax_s8']) assert.ok(kernels.includes(k), k);
  assert.ok(kernels.some((k) => /^esp-nn:esp_nn_fully_connected(_per_ch)?_s8$/.test(k)), kernels.join(' '));
  assert.deepEqual(b.report!.golden.map((gc) => gc.expected[0]), want, 'simulator equals TFLM');
  assert.equal(b.report!.verification.length, 1);
  assert.equal(b.report!.verification[0].identical, true, `rv32: ${b.report!.verification[0].mismatches}`);
});

test('--kernels portable on esp32s3 emits no ESP-NN call and no dependency; esp-nn on esp32c3 is allowed; a bad value exits 2', async (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_dw_q.tflite');
  if (!model) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-espnn-'));
  try {
    const p = cli('build', model, '--target', 'esp32s3', '--kernels', 'portable', '--out', join(tmp, 'a'), '--json');
    assert.equal(p.status, 0, p.stderr);
    const rep = JSON.parse(readFileSync(join(tmp, 'a', 'report.json'), 'utf8'));
    assert.equal(rep.kernels, 'portable');
    assert.ok(rep.layers.every((l: { kernel: string }) => !l.kernel.startsWith('esp-nn')));
    assert.doesNotMatch(readFileSync(join(tmp, 'a', 'components/mnist_dw_q/mnist_dw_q.c'), 'utf8'), /esp_nn/);
    assert.doesNotMatch(readFileSync(join(tmp, 'a', 'components/mnist_dw_q/idf_component.yml'), 'utf8'), /esp-nn/);
    const bad = cli('build', model, '--target', 'esp32s3', '--kernels', 'cmsis', '--out', join(tmp, 'd'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--kernels.*cmsis.*(auto|portable|esp-nn)/s);
    {
      const g = await loadModel(model);
      assert.equal(buildProject(g, { target: 'esp32c3', kernels: 'esp-nn', dryRun: true }).report!.kernels, 'esp-nn');
      assert.equal(buildProject(g, { target: 'esp32c3', dryRun: true }).report!.kernels, 'portable', 'auto: portable on chips without SIMD');
      assert.equal(buildProject(g, { target: 'esp32p4', dryRun: true }).report!.kernels, 'esp-nn', 'auto: ESP-NN on esp32p4');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the generated scratch guard: when ESP-NN asks for more scratch than planned, NAME_invoke returns -1 instead of overrunning', (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_dw_q.tflite');
  if (!model) return;
  return loadModel(model).then((g) => {
    const b = buildProject(g, { target: 'esp32s3', dryRun: true, name: 'm' });
    assert.equal(b.ok, true);
    const tmp = mkdtempSync(join(tmpdir(), 'ef-espnn-'));
    try {
      const lib = Object.fromEntries(Object.entries(b.files).filter(([f]) => f.startsWith('components/m/')).map(([f, s]) => [f.replace(/^components\/m\/(include\/)?/, ''), s]));
      const files = { ...lib, ...espnnDoubleFiles(), 'main.c': '#include <stdio.h>\n#include "m.h"\nstatic int8_t in[M_INPUT_SIZE], out[M_OUTPUT_SIZE];\nint main(void)\n{\n    printf("%d\\n", m_invoke(in, out));\n    return 0;\n}\n' };
      for (const [f, s] of Object.entries(files)) writeFileSync(join(tmp, f), s);
      const srcs = Object.keys(files).filter((f) => f.endsWith('.c'));
      const run = (extra: string) => {
        const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', `-DESP_NN_DOUBLE_SCRATCH_EXTRA=${extra}`, '-o', join(tmp, 'a.out'), ...srcs.map((f) => join(tmp, f))], { encoding: 'utf8' });
        assert.equal(cc.status, 0, cc.stderr);
        return spawnSync(join(tmp, 'a.out'), { encoding: 'utf8' }).stdout.trim();
      };
      assert.equal(run('0'), '0');
      assert.equal(run('100000000'), '-1');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

test('ESP-NN max pool, mul, add and per-channel fully connected calls under rv32 equal the simulator (consistency check)', () => {
  const b = buildProject(espnnMixModel(), { target: 'esp32s3', dryRun: true, verify: ['rv32'] });
  assert.equal(b.ok, true, JSON.stringify(b.diagnostics));
  assert.deepEqual(
    b.report!.layers.map((l) => l.kernel),
    ['esp-nn:esp_nn_max_pool_s8', 'esp-nn:esp_nn_conv_s8', 'esp-nn:esp_nn_mul_elementwise_s8', 'esp-nn:esp_nn_add_elementwise_s8', 'copy', 'esp-nn:esp_nn_fully_connected_per_ch_s8'],
  );
  assert.equal(b.report!.verification[0].identical, true, b.report!.verification[0].mismatches.join(', '));
});
