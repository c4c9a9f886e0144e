// `build --format espdl`: a float model quantized with ESP-DL's scheme, written as an .espdl with an embedded
// test input and the simulated output, plus an ESP-IDF project on the espressif/esp-dl component. Checks:
// - round trip (consistency): re-importing the export and running its embedded test reproduces the output the
//   build embedded, byte for byte, for esp32s3 and esp32p4;
// - peer oracle: an ESP-DL tutorial file (esp-ppq's export) re-exported by espforge still reproduces esp-ppq's own
//   embedded test output after re-import — the writer keeps the model's arithmetic;
// - flatc decodes the file with ESP-DL's schema (schema/espdl.fbs), and the decoded fields are the ones ESP-DL's
//   loader reads (quant_type, activation, exponents, blocked layouts, 16-byte aligned payload);
// - the quantized model stays close to the float ONNX model it came from (property: SQNR).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/import/index.js';
import { espdlTestVectors } from '../../src/import/espdl/index.js';
import { readEspdl } from '../../src/import/espdl/reader.js';
import { writeNpy } from '../../src/io/npy.js';
import { runFloat } from '../../src/sim/float.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

function calib(dir: string): string {
  const rand = rng(2024);
  const n = 24;
  const d = new Float32Array(n * 24 * 16);
  for (let i = 0; i < d.length; i++) d[i] = rand() * 2 - 1;
  const p = join(dir, 'calib.npy');
  writeFileSync(p, writeNpy({ dtype: 'float32', shape: [n, 24, 16], data: d }));
  return p;
}

test('build --format espdl: project on esp-dl, embedded test reproduced after re-import (S3 and P4), flatc decodes it', async (t) => {
  const onnx = sharedPath(t, 'models/espdl', 'tutorial_audio_cnn_s3.onnx');
  if (!onnx) return;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-espdl-'));
  const cal = calib(dir);
  const haveFlatc = spawnSync('flatc', ['--version']).status === 0;
  for (const target of ['esp32s3', 'esp32p4']) {
    const out = join(dir, target);
    const r = cli('build', onnx, '--format', 'espdl', '--target', target, '--calib', cal, '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.files, ['CMakeLists.txt', 'README.md', 'main/CMakeLists.txt', 'main/app_main.cpp', 'main/idf_component.yml', 'main/models/model.espdl', 'partitions.csv', 'sdkconfig.defaults']);
    assert.match(readFileSync(join(out, 'main/idf_component.yml'), 'utf8'), /espressif\/esp-dl: "\^3/);
    const main = readFileSync(join(out, 'main/CMakeLists.txt'), 'utf8');
    assert.match(main, /target_add_aligned_binary_data\(\$\{COMPONENT_LIB\} "models\/model.espdl" BINARY\)/);
    const app = readFileSync(join(out, 'main/app_main.cpp'), 'utf8');
    assert.match(app, /_binary_model_espdl_start/);
    assert.match(app, /model->test\(\)/);
    assert.match(readFileSync(join(out, 'sdkconfig.defaults'), 'utf8'), new RegExp(`CONFIG_IDF_TARGET="${target}"`));
    const file = join(out, 'main/models/model.espdl');
    // every tensor's data is 16-byte aligned in the payload, so ESP-DL can use it in place from rodata
    const { model } = readEspdl(new Uint8Array(readFileSync(file)), file);
    assert.ok(model.initializers.length > 20);
    for (const ti of model.initializers) assert.equal(ti.start % 16, 0, `${ti.name} at ${ti.start}`);

    // round trip through the CLI: the re-imported file's embedded test passes (consistency of writer + reader)
    const rt = cli('--espdl-chip', target, 'run', file, '--test', '--json');
    assert.equal(rt.status, 0, rt.stdout + rt.stderr);
    const rj = JSON.parse(rt.stdout);
    assert.deepEqual(rj.test.outputs[0].data, j.testOutput[0]);

    // property: the int8 model tracks the float model on the embedded input (dequantized)
    const g = await loadModel(file, { espdlChip: target as 'esp32s3' });
    const tv = espdlTestVectors(g)!;
    const ein = Math.log2(g.tensors[g.inputs[0]].quant!.scale[0]);
    const eout = Math.log2(g.tensors[g.outputs[0]].quant!.scale[0]);
    const fg = await loadModel(onnx);
    const xin = Float32Array.from(tv.inputs[0].data, (v) => v * 2 ** ein);
    const fy = runFloat(fg, [{ dtype: 'float32', shape: [1, 24, 16], data: xin }]).outputs[0].data;
    let sig = 0;
    let err = 0;
    tv.outputs[0].data.forEach((q, i) => {
      sig += fy[i] ** 2;
      err += (q * 2 ** eout - fy[i]) ** 2;
    });
    const sqnr = 10 * Math.log10(sig / Math.max(err, 1e-30));
    t.diagnostic(`${target}: int8 vs float SQNR ${sqnr.toFixed(1)} dB, ${readFileSync(file).length} bytes`);
    assert.ok(sqnr > 15, `${target}: SQNR ${sqnr.toFixed(1)} dB`);

    if (!haveFlatc) {
      if (process.env.CI === 'true') assert.fail('flatc is required under CI');
      continue;
    }
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'EDL2');
    assert.equal(bytes.readUInt32LE(8), bytes.length - 16);
    writeFileSync(join(dir, `${target}.bin`), bytes.subarray(16));
    execFileSync('flatc', ['--json', '--strict-json', '--raw-binary', '-o', dir, join(REPO_ROOT, 'schema/espdl.fbs'), '--', join(dir, `${target}.bin`)]);
    const m = JSON.parse(readFileSync(join(dir, `${target}.json`), 'utf8'));
    assert.equal(m.producer_name, 'espforge');
    const nodes = m.graph.node as { op_type: string; attribute: { name: string; s?: number[] }[]; input: string[] }[];
    for (const n of nodes) assert.ok(n.attribute.some((a) => a.name === 'quant_type' && String.fromCharCode(...a.s!) === 'S8'), n.op_type);
    const convs = nodes.filter((n) => n.op_type === 'Conv' || n.op_type === 'Gemm');
    assert.equal(convs.length, 9);
    for (const n of convs) assert.ok(n.attribute.some((a) => a.name === 'activation'));
    const inits = new Map((m.graph.initializer as { name: string; dims: number[]; doc_string?: string; exponents: number[] }[]).map((x) => [x.name, x]));
    for (const n of convs) {
      const w = inits.get(n.input[1])!;
      assert.match(w.doc_string ?? '', /^layout ==> N16HWC16(_UNALIGNED)?$/);
      assert.equal(w.exponents.length, 1);
    }
    const gemm = inits.get(nodes.find((n) => n.op_type === 'Gemm')!.input[1])!;
    assert.deepEqual(gemm.dims, [1, 1, 48, 16]);
    const vis = new Set((m.graph.value_info as { name: string }[]).map((v) => v.name));
    for (const n of nodes) for (const o of (n as unknown as { output: string[] }).output) assert.ok(vis.has(o) || o === m.graph.output[0].name, `value info for ${o}`);
    const to = m.graph.test_outputs_value[0];
    assert.deepEqual(Array.from(Buffer.from(to.raw_data.flatMap((c: { bytes: number[] }) => c.bytes)).subarray(0, 16), (b) => (b << 24) >> 24), j.testOutput[0]);
  }
});

test('an esp-ppq tutorial file re-exported by espforge still reproduces esp-ppq\'s embedded output (P4 and S3)', async (t) => {
  const dir = sharedPath(t, 'models/espdl');
  if (!dir) return;
  const tmp = mkdtempSync(join(tmpdir(), 'espforge-espdl-rt-'));
  for (const [f, chip] of [['tutorial_audio_cnn_p4.espdl', 'esp32p4'], ['tutorial_gemm3_s3.espdl', 'esp32s3']]) {
    const out = join(tmp, chip);
    const b = cli('--espdl-chip', chip, 'build', join(dir, f), '--format', 'espdl', '--target', chip, '--out', out, '--json');
    assert.equal(b.status, 0, b.stderr);
    const again = cli('--espdl-chip', chip, 'run', join(out, 'main/models/model.espdl'), '--test', '--json');
    assert.equal(again.status, 0, again.stdout + again.stderr);
    // the re-exported file embeds the original test input; its output equals the one esp-ppq embedded
    const imported = await loadModel(join(dir, f), { espdlChip: chip as 'esp32p4' });
    const ppq = espdlTestVectors(imported)!;
    assert.deepEqual(JSON.parse(again.stdout).test.outputs[0].data, Array.from(ppq.outputs[0].data, Number));
  }
});

test('every exported op round-trips: a synthetic graph (ReLU6, Resize, MaxPool, LeakyRelu, Concat, Pad, AveragePool, Sigmoid, Sub, global pool, dense) → .espdl → import', async () => {
  const { GraphBuilder } = await import('../../src/ir/graph.js');
  const { inferGraph } = await import('../../src/ops/infer.js');
  const { quantizeEspdl } = await import('../../src/codegen/espdl/quantize.js');
  const { writeEspdl } = await import('../../src/codegen/espdl/writer.js');
  const { importEspdl } = await import('../../src/import/espdl/index.js');
  const { prepareIntGraph, runInt } = await import('../../src/sim/int.js');
  const rand = rng(99);
  const w = (shape: number[], s = 0.3) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rand() * 2 - 1) * s);
  const b = new GraphBuilder({ format: 'test' });
  const t = (name: string) => b.tensor({ name, dtype: 'float32', shape: [] });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 8, 8, 3] });
  b.inputs = [x];
  const c1 = t('c1');
  b.node({ op: 'Conv', name: 'conv1', inputs: [x, b.constant('w1', 'float32', [8, 3, 3, 3], w([8, 3, 3, 3])), b.constant('b1', 'float32', [8], w([8], 0.1))], outputs: [c1], attrs: { pads: [1, 1, 1, 1], activation: 'relu6' } });
  const r = t('up');
  b.node({ op: 'Resize', name: 'up', inputs: [c1], outputs: [r], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', sizes: [1, 16, 16, 8] } });
  const mp = t('mp');
  b.node({ op: 'MaxPool', name: 'mp', inputs: [r], outputs: [mp], attrs: { kernel: [2, 2], strides: [2, 2] } });
  const lr = t('lr');
  b.node({ op: 'LeakyRelu', name: 'lr', inputs: [mp], outputs: [lr], attrs: { alpha: 0.1 } });
  const c2 = t('c2');
  b.node({ op: 'Conv', name: 'conv2', inputs: [x, b.constant('w2', 'float32', [4, 1, 1, 3], w([4, 1, 1, 3], 2)), b.constant('b2', 'float32', [4], w([4], 0.5))], outputs: [c2], attrs: {} });
  const cat = t('cat');
  b.node({ op: 'Concat', name: 'cat', inputs: [lr, c2], outputs: [cat], attrs: { axis: 3 } });
  const pd = t('pd');
  b.node({ op: 'Pad', name: 'pd', inputs: [cat], outputs: [pd], attrs: { pads: [0, 1, 1, 0, 0, 1, 1, 0] } });
  const ap = t('ap');
  b.node({ op: 'AveragePool', name: 'ap', inputs: [pd], outputs: [ap], attrs: { kernel: [3, 3], count_include_pad: 1 } });
  const sg = t('sg');
  b.node({ op: 'Sigmoid', name: 'sg', inputs: [ap], outputs: [sg], attrs: {} });
  const sb = t('sb');
  b.node({ op: 'Sub', name: 'sb', inputs: [sg, ap], outputs: [sb], attrs: {} });
  const gp = t('gp');
  b.node({ op: 'ReduceMean', name: 'gp', inputs: [sb], outputs: [gp], attrs: { axes: [1, 2], keepdims: 0 } });
  const y = t('y');
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [gp, b.constant('w3', 'float32', [5, 12], w([5, 12])), b.constant('b3', 'float32', [5], w([5], 0.1))], outputs: [y], attrs: {} });
  b.outputs = [y];
  const g = inferGraph(b.build());
  const samples = Array.from({ length: 6 }, () => [{ dtype: 'float32' as const, shape: [1, 8, 8, 3], data: w([1, 8, 8, 3], 1) }]);
  for (const chip of ['esp32s3', 'esp32p4']) {
    const { graph } = await quantizeEspdl(g, samples, chip);
    const ops = graph.nodes.map((n) => n.op);
    for (const op of ['Clip', 'Resize', 'MaxPool', 'LeakyRelu', 'Identity', 'Concat', 'Pad', 'AveragePool', 'Sigmoid', 'Sub', 'ReduceMean', 'Reshape', 'FullyConnected'])
      assert.ok(ops.includes(op), `${chip}: ${op} in ${ops}`);
    const pq = prepareIntGraph(graph);
    const input = [{ dtype: 'int8' as const, shape: [1, 8, 8, 3], data: Int8Array.from({ length: 192 }, () => Math.floor(rand() * 200) - 100) }];
    const out = runInt(pq, input).outputs;
    const bytes = writeEspdl(graph, { test: { inputs: input, outputs: out } });
    const back = importEspdl(bytes, `synthetic-${chip}.espdl`, { espdlChip: chip as 'esp32s3' });
    const again = runInt(prepareIntGraph(back), input).outputs[0];
    assert.deepEqual(Array.from(again.data), Array.from(out[0].data), chip);
    assert.ok(out[0].data.some((v) => v !== 0), 'output is not all zero');
  }
});
