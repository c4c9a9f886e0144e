// The command line as a user runs it: exit codes (0 ok, 1 user error, 2 usage), no stack traces, JSON output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { readNpy } from '../../src/io/npy.js';
import * as tensorMod from '../../src/import/onnx/tensor.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

test('usage errors exit 2; --help exits 0', () => {
  assert.equal(cli('--help').status, 0);
  assert.equal(cli('no-such-command').status, 2);
  assert.equal(cli('inspect').status, 2);
});

test('a missing or non-model file is a coded user error (exit 1)', () => {
  const r = cli('inspect', '/nonexistent/model.onnx');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EF0001/);
  const dir = mkdtempSync(join(tmpdir(), 'espforge-cli-'));
  writeFileSync(join(dir, 'junk.bin'), 'this is not a model at all');
  const j = cli('inspect', join(dir, 'junk.bin'));
  assert.equal(j.status, 1);
  assert.match(j.stderr, /EF0002|EF2001/);
});

test('inspect --json on a real Keras model reports layers, parameters and MACs', (t) => {
  const p = sharedPath(t, 'models', 'keras', 'tensorspace', 'tf_keras_model.h5');
  if (!p) return;
  const r = cli('inspect', p, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.ok, true);
  // LeNet-5 (tf.keras): conv 6@5x5 on 32x32 (padded) + conv 16@5x5 + 400→120→84→10 dense.
  // params: 6*25+6 + 16*150+16 + 400*120+120 + 120*84+84 + 84*10+10 = 61706
  assert.equal(j.totals.params, 61706);
  // MACs: 28*28*6*25 + 10*10*16*150 + 400*120 + 120*84 + 84*10 = 117600 + 240000 + 48000 + 10080 + 840
  const convAndFc = 117600 + 240000 + 48000 + 10080 + 840;
  assert.ok(j.totals.macs >= convAndFc && j.totals.macs < convAndFc * 1.1, `MACs ${j.totals.macs}`);
});

test('run: ONNX .pb input in NCHW, output .npy matches the official expected output of mnist-8', (t) => {
  const dir = sharedPath(t, 'models', 'onnx', 'mnist-8');
  if (!dir) return;
  const out = join(mkdtempSync(join(tmpdir(), 'espforge-cli-')), 'y.npy');
  const r = cli('run', join(dir, 'model.onnx'), '--input', join(dir, 'test_data_set_0', 'input_0.pb'), '--output', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /argmax: 2/); // the MANIFEST: set 0 → 2
  const y = readNpy(readFileSync(out));
  assert.deepEqual(y.shape, [1, 10]);
  const { readTensorProto } = tensorMod;
  const want = readTensorProto(readFileSync(join(dir, 'test_data_set_0', 'output_0.pb')));
  for (let i = 0; i < 10; i++) assert.ok(Math.abs(y.data[i] - want.data[i]) <= 1e-3 * Math.abs(want.data[i]) + 1e-3, `logit ${i}`);
});

test('run --quantized on a float model without calibration data is a coded user error', (t) => {
  const dir = sharedPath(t, 'models', 'onnx', 'mnist-8');
  if (!dir) return;
  const r = cli('run', join(dir, 'model.onnx'), '--input', join(dir, 'test_data_set_0', 'input_0.pb'), '--quantized');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EF3001/);
});

test('--treat-lambda-as-identity is a global opt-in; without it the Lambda layers are refused (EF2009)', (t) => {
  const p = sharedPath(t, 'models', 'keras', 'nnom', 'keras_mnist_model.h5');
  if (!p) return;
  const refused = cli('inspect', p);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /EF2009/);
  const ok = cli('--treat-lambda-as-identity', 'inspect', p, '--json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).info.lambda_as_identity.split(', ').length, 13);
});

test('inspect reports the per-chip fit: person_detect fits every chip with an arena no larger than TFLM needs', (t) => {
  const p = sharedPath(t, 'models', 'tflite', 'tflm-person-detect', 'person_detect.tflite');
  const cases = sharedPath(t, 'reference', 'tflm', 'tflm-person-detect', 'person_detect', 'cases.json');
  if (!p || !cases) return;
  const r = cli('inspect', p, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.fit.basis, 'quantized model');
  assert.deepEqual(j.fit.chips.map((c: { chip: string }) => c.chip), ['esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c6', 'esp32p4']);
  assert.ok(j.fit.chips.every((c: { fits: boolean }) => c.fits));
  // TensorFlow Lite Micro's own arena for this model (peer figure recorded with the reference vectors)
  const tflmArena = JSON.parse(readFileSync(cases, 'utf8')).rv32_arena_used_bytes as number;
  assert.ok(j.fit.arenaBytes <= tflmArena, `arena ${j.fit.arenaBytes} vs TFLM ${tflmArena}`);
  // weights: every int8 weight and int32 bias of the file must be in flash (at least the parameter count)
  assert.ok(j.fit.weightBytes >= j.totals.params);
});

test('file-system problems are coded user errors without stack traces (directory as input, unwritable output)', (t) => {
  const dir = sharedPath(t, 'models', 'onnx', 'mnist-8');
  if (!dir) return;
  // a folder is a batch of images; one without any is a coded error
  const asInput = cli('run', join(dir, 'model.onnx'), '--input', mkdtempSync(join(tmpdir(), 'espforge-empty-')));
  assert.equal(asInput.status, 1);
  assert.match(asInput.stderr, /EF0001: .*holds no images/);
  const out = cli('quantize', join(dir, 'model.onnx'), '--calib', 'builtin:mnist', '--calib-count', '20', '--input-scale', '255', '--out', '/nonexistent-dir/x.tflite');
  assert.equal(out.status, 1);
  assert.match(out.stderr, /EF0001: \/nonexistent-dir\/x\.tflite: no such file or directory/);
  assert.doesNotMatch(out.stderr, /EF9001/);
});

test('targets lists only formats build accepts; --format tflite is refused with EF0006', (t) => {
  const tfl = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_valid_q.tflite');
  if (!tfl) return;
  const j = JSON.parse(cli('targets', '--json').stdout);
  assert.deepEqual(Object.keys(j.formats).sort(), ['c', 'espdl']);
  const out = mkdtempSync(join(tmpdir(), 'espforge-cli-'));
  const r = cli('build', tfl, '--target', 'esp32s3', '--format', 'tflite', '--out', join(out, 'x'));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /EF0006: .*--format tflite is not available in build \(use c or espdl\)/);
});
