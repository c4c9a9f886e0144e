// A whole model quantized with --scheme int16 (16x8: int16 activations, int8 weights, int64 bias) builds for a
// chip: mnist-8 (raw 0..255 input, calibrated on builtin MNIST digits) becomes int16 graph I/O, Conv/MaxPool/
// FullyConnected run as 16x8 kernels, and the generated C gives the integer simulator's int16 values on real
// digits on the host and under ASan/UBSan, and on rv32 under QEMU. The C's top-1 (= the simulator's, checked)
// equals the float model's, and the ESP-IDF sample embeds int16_t literals equal to the golden case.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPath } from '../helpers/shared.js';
import { loadModel } from '../../src/import/index.js';
import { loadDataset } from '../../src/data/index.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { quantizeInput } from '../../src/quant/report.js';
import { buildProject } from '../../src/pipeline/build.js';
import { runFloat } from '../../src/sim/float.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { QEMU_RV32, RV32_GCC } from '../../src/verify/host.js';
import type { Value } from '../../src/ops/types.js';

async function digits(split: 'train' | 'test', n: number): Promise<Value[][]> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  return Array.from({ length: n }, (_, i) => [{ dtype: 'float32' as const, shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map((x) => x * 255) }]);
}

const argmax = (d: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
};

/** The values of `static const <type> NAME[...] = { ... };` in a C source. */
function cArray(src: string, type: string, name: string): number[] {
  const m = new RegExp(`static const ${type} ${name}\\[[^\\]]*\\] = \\{([^}]*)\\}`).exec(src);
  assert.ok(m, `${type} ${name} in the source`);
  return m[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
}

test('mnist-8 quantized with scheme int16: builds, C equals the simulator on host + ASan/UBSan and rv32, int16 sample in app_main.c', async (t) => {
  const p = sharedPath(t, 'models/onnx/mnist-8/model.onnx');
  if (!p) return;
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const rv32 = hasTool(RV32_GCC) && hasTool(QEMU_RV32);
  if (!rv32) {
    if (process.env.CI === 'true') throw new Error('rv32 toolchain missing under CI');
    t.diagnostic('rv32 toolchain missing: rv32 part skipped (EF4002)');
  }
  const g = await loadModel(p);
  const q = await quantizeModel(g, await digits('train', 60), { scheme: 'int16' });
  const test6 = await digits('test', 6);
  const inT = q.graph.tensors[q.graph.inputs[0]];
  assert.equal(inT.dtype, 'int16');
  const inputs = test6.map((s) => [Array.from(quantizeInput(s[0], inT).data as ArrayLike<number>)]);
  assert.ok(inputs[0][0].some((v) => v > 127 || v < -128), 'quantized inputs use the int16 range');

  const r = buildProject(q.graph, { target: 'esp32s3', verify: rv32 ? ['host', 'rv32'] : ['host'], inputs, dryRun: true, modelFile: p });
  assert.ok(r.ok, r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  const rep = r.report!;
  // the 16x8 convs run a blocked kernel (convb16, or convb16i when the sums provably fit int32) when ungrouped,
  // conv16 otherwise
  const kernels = rep.layers.map((l) => l.kernel);
  assert.ok(['conv16', 'convb16', 'convb16i'].some((k) => kernels.includes(k)), kernels.join(','));
  assert.ok(kernels.includes('maxpool16'), kernels.join(','));
  assert.deepEqual(
    rep.verification.map((v) => [v.target, v.identical, v.cases]),
    [['host', true, 6], ['host-sanitize', true, 6], ...(rv32 ? [['rv32', true, 6]] : [])],
  );
  const rvRun = rep.verification.find((v) => v.target === 'rv32');
  if (rvRun) t.diagnostic(`rv32: ${rvRun.instructions} instructions per inference (${rvRun.instructionsPerMac?.toFixed(2)} per MAC)`);

  // golden outputs are signed int16 values (not bytes), and pick the float model's class on every digit
  const hdr = Object.entries(r.files).find(([f, s]) => f.endsWith('.h') && s.includes('_invoke('))![1];
  assert.match(hdr, /int \w+_invoke\(const int16_t \*input, int16_t \*output\)/);
  assert.ok(rep.golden.some((gc) => gc.expected[0].some((v) => v < -128 || v > 255)), 'outputs carried as int16 values');
  rep.golden.forEach((gc, k) => {
    assert.ok(gc.expected[0].every((v) => Number.isInteger(v) && v >= -32768 && v <= 32767));
    assert.equal(argmax(gc.expected[0]), argmax(runFloat(q.floatGraph, test6[k]).outputs[0].data as ArrayLike<number>), `digit ${k}`);
  });

  // the ESP-IDF app embeds the first case as int16_t arrays, value for value
  const app = r.files['main/app_main.c'];
  assert.deepEqual(cArray(app, 'int16_t', 'sample_input'), rep.golden[0].inputs[0]);
  assert.deepEqual(cArray(app, 'int16_t', 'expected_output'), rep.golden[0].expected[0]);
});
