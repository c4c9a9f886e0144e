// Near-dead channels and extreme biases, through the CLI: `quantize` must follow the TFLite converter's rules for
// degenerate weight ranges, and `build --verify host` (gcc, then ASan/UBSan) must run clean for every int32 bias an
// imported model can hold. The C-vs-simulator comparison inside `build --verify` is a consistency check of our two
// implementations; the properties asserted on the quantized file come from the converter's documented rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedPath } from '../helpers/shared.js';
import { deadChannelOnnx } from '../helpers/dead-channels.js';
import { loadModel } from '../../src/import/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runCli } from '../helpers/cli.js';

/** `build --verify host` through the CLI: exit 0, and both the plain and the sanitizer run identical. */
async function buildVerifies(model: string, out: string, extra: string[] = []): Promise<void> {
  const r = await runCli(['build', model, '--target', 'esp32s3', '--out', out, '--verify', 'host', '--force', '--json', ...extra]);
  assert.equal(r.code, 0, `${model}: ${r.stdout.slice(0, 2000)}\n${r.stderr}`);
  const j = JSON.parse(r.stdout);
  const kinds = j.report.verification.map((v: { target: string; identical: boolean }) => `${v.target}:${v.identical}`);
  assert.deepEqual(kinds, ['host:true', 'host-sanitize:true'], JSON.stringify(j.report.verification));
  // the report says plainly that this compared espforge with itself, not with TFLM
  for (const v of j.report.verification) assert.equal(v.compared.independent, false);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /consistency check of espforge's own two implementations[^\n]*no TensorFlow Lite Micro run/);
}

function skipWithoutGcc(t: { skip: (m: string) => void }): boolean {
  if (hasTool('gcc')) return false;
  if (process.env.CI === 'true') throw new Error('gcc missing under CI');
  t.skip('gcc missing');
  return true;
}

test('dead channels: quantize gives converter-like scales and biases; build --verify host runs clean under UBSan', async (t) => {
  if (skipWithoutGcc(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-dead-'));
  const model = join(dir, 'dead.onnx');
  writeFileSync(model, deadChannelOnnx());
  const calib = join(dir, 'calib.npy');
  const x = Float32Array.from({ length: 16 * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.37) * 2);
  writeFileSync(calib, writeNpy({ dtype: 'float32', shape: [16, 8, 8, 3], data: x }));
  const q = join(dir, 'dead_int8.tflite');
  const r = await runCli(['quantize', model, '--calib', calib, '--out', q, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);

  // the written file, as any TFLite consumer sees it
  const g = await loadModel(q);
  const conv = g.nodes.find((n) => n.op === 'Conv')!; // the first: 3x3, six channels
  const w = g.tensors[conv.inputs[1]];
  const b = g.tensors[conv.inputs[2]];
  const sIn = g.tensors[conv.inputs[0]].quant!.scale[0];
  const floatBias = [0.1, -0.2, 0.05, 0.5, -0.3, 1.0]; // deadChannelOnnx's first conv bias
  for (let c = 0; c < 6; c++) {
    const sw = w.quant!.scale[c];
    const bq = b.data![c];
    // MLIR quantizer: a weight range under 1e-6 widens to ±5e-7, so no scale below 5e-7/127 (never ~1e-32)
    assert.ok(sw >= Math.fround(5e-7 / 127), `channel ${c}: weight scale ${sw}`);
    // AdjustWeightsForBiasScale: the int32 bias stays within the middle half of the range (|b| ≤ 2^30, +1 rounding)
    assert.ok(Math.abs(bq) <= 2 ** 30 + 1, `channel ${c}: bias ${bq}`);
    // and still represents the float bias (relative error of one int32 step at most)
    assert.ok(Math.abs(bq * sIn * sw - floatBias[c]) <= Math.abs(floatBias[c]) * 1e-6 + sIn * sw, `channel ${c}: ${bq * sIn * sw} vs ${floatBias[c]}`);
  }
  // the dead channels (3: all-zero weights, 4: 1e-30) got the converter's bias of ±2^30
  assert.equal(Math.abs(b.data![3]), 2 ** 30);
  assert.equal(Math.abs(b.data![4]), 2 ** 30);
  await buildVerifies(q, join(dir, 'build'));
  // `verify` re-runs the recorded cases (under UBSan too) and says what it compared
  const v = await runCli(['verify', join(dir, 'build'), '--json']);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  const vj = JSON.parse(v.stdout);
  assert.deepEqual(vj.results.map((x: { target: string; identical: boolean }) => `${x.target}:${x.identical}`), ['host:true', 'host-sanitize:true']);
  assert.match(vj.note, /no TensorFlow Lite Micro run/);
  assert.match(vj.results[0].compared.expected, /recorded in report\.json/);

  // an imported int8 model may hold any int32 bias: the extremes must not make the generated C undefined, in any
  // int8 kernel with a bias (3x3 convolution, 1x1 GEMM, depthwise, fully connected)
  const biased = g.nodes.filter((n) => n.inputs[2] !== undefined && n.inputs[2] >= 0 && g.tensors[n.inputs[2]].dtype === 'int32');
  assert.deepEqual(biased.map((n) => n.op).sort(), ['Conv', 'Conv', 'Conv', 'FullyConnected']);
  for (const n of biased) {
    const d = g.tensors[n.inputs[2]].data!;
    d[0] = -2147483648;
    d[1] = 2147483647;
    if (d.length > 3) d[3] = -2147483648;
  }
  const extreme = join(dir, 'extreme_bias.tflite');
  writeFileSync(extreme, exportTflite(g));
  await buildVerifies(extreme, join(dir, 'build-extreme'));
});

test('the float VWW MobileNet (TinyMaix vww96_f.tflite) quantizes, builds and verifies under sanitizers', async (t) => {
  if (skipWithoutGcc(t)) return;
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'vww96_f.tflite');
  const ref = sharedPath(t, 'reference', 'tflm', 'tinymaix', 'vww96_f', 'inputs');
  if (!model || !ref) return;
  // calibration: the stored float inputs of the TFLM reference cases (six sample images)
  const files = ['sample-vww-person1', 'sample-vww-person2', 'sample-vww-person3', 'sample-vww-noperson1', 'sample-vww-noperson2', 'sample-vww-noperson3'];
  const vs = files.map((f) => readNpy(readFileSync(join(ref, `${f}.npy`))));
  const per = vs[0].data.length;
  const data = new Float32Array(per * vs.length);
  vs.forEach((v, i) => data.set(v.data as Float32Array, i * per));
  const dir = mkdtempSync(join(tmpdir(), 'espforge-vww-'));
  const calib = join(dir, 'calib.npy');
  writeFileSync(calib, writeNpy({ dtype: 'float32', shape: [vs.length, ...vs[0].shape.slice(1)], data }));
  await buildVerifies(model, join(dir, 'build'), ['--calib', calib]);
});
