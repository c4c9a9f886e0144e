// One calibration rule (src/pipeline/samples.ts): every command calibrates on the training split only, at most
// CALIB_COUNT samples. Checked through the command line: `build --calib` and `quantize` + `build` of the same
// model and data write the same project, and calibration never reads a sample of the test split.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';
import { model } from '../helpers/onnx-model.js';
import { writeNpz } from '../../src/io/npy.js';
import { loadModel } from '../../src/import/index.js';
import { calibrationSamples, CALIB_COUNT } from '../../src/pipeline/samples.js';

function files(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(root, p));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/**
 * A project's text with what legitimately depends on the model FILE rather than the int8 model neutralised:
 * the provenance banner (command line, model file name and SHA-256) and the layer names (a .tflite stores no
 * operator names, so its importer names each layer after its output tensor; the ONNX file names its nodes).
 */
function normalise(dir: string, rel: string): string {
  let s = readFileSync(join(dir, rel), 'utf8');
  if (rel === 'report.json') {
    const r = JSON.parse(s);
    delete r.model; // file name and SHA-256 of the model file
    r.layers.forEach((l: { name: string }, i: number) => (l.name = `layer ${i}`));
    // the float model's output per embedded sample: known only when the float model is part of the build
    for (const c of r.samples?.cases ?? []) delete c.float;
    return JSON.stringify(r, null, 1);
  }
  const layers: { name: string }[] = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).layers;
  s = s.replace(/^.*(command|model): .*$/gm, '<provenance>');
  const order = layers.map((l, i) => [l.name, i] as const).sort((a, b) => b[0].length - a[0].length);
  for (const [name, i] of order) s = s.split(`'${name}'`).join(`'layer ${i}'`).split(`| ${name} |`).join(`| layer ${i} |`);
  if (rel === 'report.md') s = s.replace(/Model `[^`]*` \(sha256 [0-9a-f]+\)\./, '<model file>');
  return s;
}

test('build --calib and quantize + build write the same project (one calibration rule)', async (t) => {
  const onnx = sharedPath(t, 'models', 'onnx', 'mnist-8', 'model.onnx');
  if (!onnx) return;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-calib-rule-'));
  try {
    const data = ['--calib', 'builtin:mnist', '--input-scale', '255'];
    const [b1, q] = await Promise.all([
      runCli(['build', onnx, '--target', 'esp32s3', ...data, '--name', 'm', '--out', join(dir, 'p1')]),
      runCli(['quantize', onnx, ...data, '--out', join(dir, 'm.tflite'), '--json']),
    ]);
    assert.equal(b1.code, 0, b1.stderr);
    assert.equal(q.code, 0, q.stderr);
    const qj = JSON.parse(q.stdout);
    assert.equal(qj.samples, CALIB_COUNT);
    assert.match(qj.calibSource, /\(train\)/);
    // the same golden inputs: build --calib embeds 4 samples of the test split of its data by default
    const b2 = await runCli(['build', join(dir, 'm.tflite'), '--target', 'esp32s3', '--samples', 'builtin:mnist:4', '--input-scale', '255', '--name', 'm', '--out', join(dir, 'p2')]);
    assert.equal(b2.code, 0, b2.stderr);
    const p1 = join(dir, 'p1');
    const p2 = join(dir, 'p2');
    assert.deepEqual(files(p1), files(p2));
    // report.html differs by design: with the float model at hand it adds the float-vs-int8 per-layer chart
    const compared = files(p1).filter((f) => f !== 'report.html' && f !== '.espforge-manifest.json');
    assert.ok(compared.some((f) => f.endsWith('_weights.c')) && compared.includes('main/app_main.c'));
    for (const f of compared) assert.equal(normalise(p2, f), normalise(p1, f), `${f} differs between build --calib and quantize + build`);
    // the weights and the embedded sample bytes are identical without any normalisation but the banner
    const strip = (d: string, f: string) => readFileSync(join(d, f), 'utf8').replace(/^.*(command|model): .*$/gm, '');
    assert.equal(strip(p2, 'main/app_main.c'), strip(p1, 'main/app_main.c'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('calibration reads the training split only, at most CALIB_COUNT samples', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-calib-split-'));
  try {
    // stored train/test parts: training samples in [0, 1), test samples all 1000 (any one of them would show)
    const nTrain = 40;
    const nTest = 400;
    const xTrain = new Float32Array(nTrain * 4).map((_, i) => (i % 97) / 97);
    const xTest = new Float32Array(nTest * 4).fill(1000);
    const npz = join(dir, 'd.npz');
    writeFileSync(npz, writeNpz({
      x_train: { dtype: 'float32', shape: [nTrain, 4], data: xTrain },
      y_train: { dtype: 'int32', shape: [nTrain], data: new Int32Array(nTrain) },
      x_test: { dtype: 'float32', shape: [nTest, 4], data: xTest },
      y_test: { dtype: 'int32', shape: [nTest], data: new Int32Array(nTest) },
    }));
    const m = join(dir, 'relu.onnx');
    writeFileSync(m, model({ opset: 13, nodes: [{ op: 'Relu', ins: ['x'], outs: ['y'] }], inputs: [{ name: 'x', dims: [1, 4] }], outputs: ['y'] }));
    const g = await loadModel(m);
    const s = await calibrationSamples(g, npz);
    assert.equal(s.samples.length, nTrain);
    for (const v of s.samples) assert.ok(Math.max(...v[0].data) < 1, 'a test-split sample was used for calibration');
    // through the command: the calibrated input range is the training data's, not the test data's
    const q = await runCli(['quantize', m, '--calib', npz, '--out', join(dir, 'q.tflite'), '--json']);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(JSON.parse(q.stdout).samples, nTrain);
    const qg = await loadModel(join(dir, 'q.tflite'));
    const inT = qg.tensors[qg.inputs[0]];
    const scale = inT.quant?.scale[0] ?? qg.tensors.find((x) => x.quant && !x.data)!.quant!.scale[0];
    assert.ok(scale * 255 < 2, `input scale ${scale} covers the test data's range`);
    // more training samples than CALIB_COUNT: exactly CALIB_COUNT are taken
    const big = join(dir, 'big.npz');
    writeFileSync(big, writeNpz({ x: { dtype: 'float32', shape: [1000, 4], data: new Float32Array(4000).map((_, i) => (i % 13) / 13) } }));
    assert.equal((await calibrationSamples(g, big)).samples.length, CALIB_COUNT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
