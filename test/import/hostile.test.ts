// Minimal reproducers of every class the fuzz campaign found (issue 15), through the boundary a user touches
// (loadModel / the array readers / the CLI): each must give the coded diagnostic named here, never EF9001, a
// hang or a giant allocation. Expected codes and behaviours come from the issue and the file formats' rules
// (numpy's header is a Python literal; TFLite zero points lie in the tensor type's range), not from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { EspforgeError, attemptAsync, type Diagnostic } from '../../src/diagnostics.js';
import { loadModel } from '../../src/import/index.js';
import { FlatReader } from '../../src/import/tflite/reader.js';
import { FIELD } from '../../src/import/tflite/generated/schema.js';
import { onnx } from '../../src/import/onnx/proto.js';
import { readNpy, readNpz, writeNpy } from '../../src/io/npy.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { fitSummary } from '../../src/inspect.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

function tmp(t: import('node:test').TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'ef-hostile-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function codes(p: Promise<unknown>): Promise<Diagnostic[]> {
  const r = await attemptAsync(() => p);
  assert.equal(r.ok, false, 'expected a coded refusal');
  for (const d of r.diagnostics) assert.notEqual(d.code, 'EF9001', d.message);
  return r.diagnostics;
}

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.doesNotMatch(r.stderr ?? '', /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace:\n${r.stderr}`);
  return r;
}

/** Positions of the scale (f32) and zero-point (i64) vectors of every quantized int8 tensor of a .tflite. */
function quantVectors(b: Uint8Array): { scale: number; zp: number; name: string }[] {
  const r = new FlatReader(b, 'x');
  const out: { scale: number; zp: number; name: string }[] = [];
  for (const sg of r.tables(r.root(), FIELD.Model.subgraphs, 'sg'))
    for (const t of r.tables(sg, FIELD.SubGraph.tensors, 't')) {
      const q = r.sub(t, FIELD.Tensor.quantization, 'q');
      const s = q && r.vec(q, FIELD.QuantizationParameters.scale, 4, 's');
      const z = q && r.vec(q, FIELD.QuantizationParameters.zero_point, 8, 'z');
      if (s && z && s.length && z.length && r.scalar(t, FIELD.Tensor.type, 'i8', 0) === 9) out.push({ scale: s.start, zp: z.start, name: r.str(t, FIELD.Tensor.name, 'n') ?? '' });
    }
  return out;
}

test('TFLite: an int8 zero point of 1000, and NaN / negative / subnormal scales, are refused at import (EF2012) and by build', async (t) => {
  const src = sharedPath(t, 'models', 'tflite', 'tflm-hello-world', 'hello_world_int8.tflite');
  if (!src) return;
  const d = tmp(t);
  const orig = new Uint8Array(readFileSync(src));
  const [v] = quantVectors(orig);
  assert.ok(v, 'the model has int8 quantized tensors');
  const zp = orig.slice();
  new DataView(zp.buffer).setBigInt64(v.zp, 1000n, true);
  writeFileSync(join(d, 'zp.tflite'), zp);
  const r = cli(d, 'build', 'zp.tflite', '--target', 'esp32', '--out', 'p', '--json');
  assert.equal(r.status, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.diagnostics[0].code, 'EF2012');
  assert.match(j.diagnostics[0].message, /zero point 1000/);
  assert.match(j.diagnostics[0].message, new RegExp(v.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  for (const s of [NaN, -0.5, 0, 1e-45, Infinity]) {
    const b = orig.slice();
    new DataView(b.buffer).setFloat32(v.scale, s, true);
    writeFileSync(join(d, 's.tflite'), b);
    const ds = await codes(loadModel(join(d, 's.tflite')));
    assert.equal(ds[0].code, 'EF2012', `scale ${s}`);
  }
});

test('extreme but valid scale ratios fail at prepare as EF3004 naming the layer and the value', async (t) => {
  const src = sharedPath(t, 'models', 'tflite', 'tflm-hello-world', 'hello_world_int8.tflite');
  if (!src) return;
  const d = tmp(t);
  const b = new Uint8Array(readFileSync(src));
  // every int8 tensor gets a large scale except the graph's last one, which gets a tiny one: in·w/out = 2^160,
  // far beyond a Q31 multiplier with a shift in [-31, 31]
  const vs = quantVectors(b);
  vs.forEach((v, i) => new DataView(b.buffer).setFloat32(v.scale, i === vs.length - 1 ? 2 ** -100 : 2 ** 30, true));
  writeFileSync(join(d, 'x.tflite'), b);
  const r = cli(d, 'build', 'x.tflite', '--target', 'esp32', '--out', 'p', '--json');
  assert.equal(r.status, 1);
  const diag = JSON.parse(r.stdout).diagnostics[0];
  assert.equal(diag.code, 'EF3004');
  assert.ok(diag.node, 'names the layer');
  assert.match(diag.message, /(shift|mult)\S* = -?\d+/);
});

test('.npy headers are parsed as the Python literal: duplicate keys, unterminated literals, unknown keys and bad types are refused', () => {
  const good = writeNpy({ dtype: 'float32', shape: [784], data: new Float32Array(784).fill(1) });
  assert.deepEqual(readNpy(good).shape, [784]);
  const withHeader = (h: string) => {
    let hb = h;
    while ((10 + hb.length + 1) % 64) hb += ' ';
    hb += '\n';
    const data = good.subarray(10 + (good[8] | (good[9] << 8)));
    const out = new Uint8Array(10 + hb.length + data.length);
    out.set(good.subarray(0, 8));
    out[8] = hb.length;
    out.set(new TextEncoder().encode(hb), 10);
    out.set(data, 10 + hb.length);
    return out;
  };
  // numpy itself writes this spacing; with and without the trailing comma
  assert.deepEqual(readNpy(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (784,), }")).shape, [784]);
  assert.deepEqual(readNpy(withHeader('{"descr":"<f4","fortran_order":False,"shape":(28, 28)}')).shape, [28, 28]);
  for (const h of [
    "{'descr': '<f4', 'fortran_order': False, 'shape': (784,), 'shape': (5,), }", // numpy: the last key wins; never 5 of 784
    "{'descr': '<f4', 'fortran_order': False, 'shape': (784,",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (784,), 'evil': __import__('os'), }",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (784,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 3), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': [784], }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (784,), } trailing",
  ])
    assert.throws(() => readNpy(withHeader(h)), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF0004', h);
});

test('ONNX: a graph with no outputs is refused; NaN weights warn at import and are refused by quantize', async (t) => {
  const src = sharedPath(t, 'models', 'onnx', 'mnist-8', 'model.onnx');
  if (!src) return;
  const d = tmp(t);
  const m = onnx.ModelProto.decode(readFileSync(src));
  const noOut = onnx.ModelProto.decode(readFileSync(src));
  noOut.graph!.output = [];
  writeFileSync(join(d, 'noout.onnx'), onnx.ModelProto.encode(noOut).finish());
  assert.equal((await codes(loadModel(join(d, 'noout.onnx'))))[0].code, 'EF2001');
  const init = m.graph!.initializer!.find((x) => x.dataType === 1 && ((x.rawData?.length ?? 0) >= 4 || (x.floatData?.length ?? 0) > 0))!;
  if (init.floatData?.length) init.floatData[0] = NaN;
  else {
    const raw = new Uint8Array(init.rawData!);
    new DataView(raw.buffer, raw.byteOffset).setFloat32(0, NaN, true);
    init.rawData = raw;
  }
  writeFileSync(join(d, 'nan.onnx'), onnx.ModelProto.encode(m).finish());
  const g = await loadModel(join(d, 'nan.onnx'));
  assert.equal(g.meta.warnings?.[0]?.code, 'EF2012');
  assert.equal(g.meta.warnings?.[0]?.severity, 'warning');
  const x = { dtype: 'float32' as const, shape: [1, 1, 28, 28], data: new Float32Array(784).fill(0.5) };
  const q = await codes(quantizeModel(g, [[x]]));
  assert.equal(q[0].code, 'EF2012');
  assert.match(q[0].message, /NaN/);
  assert.ok(q[0].node, 'names the node reading the weight');
});

test('TF.js: mistyped manifests and topologies, repeated, special and mis-sized shards give coded errors without reading them', async (t) => {
  const src = sharedPath(t, 'models', 'tfjs', 'tfjs-examples-abalone');
  if (!src) return;
  const d = tmp(t);
  const base = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const write = (name: string, j: unknown, shard: string | null = 'weights.bin') => {
    const dir = join(d, name);
    mkdirSync(dir);
    if (shard) copyFileSync(join(src, 'weights.bin'), join(dir, shard));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
    return join(dir, 'model.json');
  };
  const clone = () => JSON.parse(JSON.stringify(base));
  const cases: [string, (j: any) => void, string][] = [
    ['name-not-string', (j) => (j.weightsManifest[0].weights[0].name = 7), 'EF2001'],
    ['null-entry', (j) => (j.weightsManifest[0] = null), 'EF2001'],
    ['null-weight', (j) => (j.weightsManifest[0].weights[1] = null), 'EF2001'],
    ['repeated-shard', (j) => (j.weightsManifest[0].paths = Array(20000).fill(j.weightsManifest[0].paths[0])), 'EF2001'],
    ['null-layer', (j) => (j.modelTopology.config.layers[1] = null), 'EF2001'],
    ['bad-batch-input-shape', (j) => (j.modelTopology.config.layers[0].config.batch_input_shape = 'x'), 'EF2001'],
    ['bad-inbound', (j) => (j.modelTopology.config.layers[1].inbound_nodes = [[7]]), 'EF2001'],
    // 5 weights of 2^27 float32 values: 2.5 GiB described; refused before any shard is read
    ['over-2gib', (j) => (j.weightsManifest[0].weights = Array.from({ length: 5 }, (_, i) => ({ name: `w${i}`, shape: [1 << 27], dtype: 'float32' }))), 'EF1007'],
  ];
  for (const [name, f, code] of cases) {
    const j = clone();
    f(j);
    if (name === 'bad-inbound' && !j.modelTopology.config.layers[1].inbound_nodes) continue;
    const ds = await codes(loadModel(write(name, j)));
    assert.equal(ds[0].code, code, `${name}: ${ds[0].message}`);
  }
  // a shard that is a FIFO, or a symbolic link to /dev/zero: refused without reading (would block / never end)
  const fifoDir = join(d, 'fifo');
  mkdirSync(fifoDir);
  writeFileSync(join(fifoDir, 'model.json'), JSON.stringify(base));
  if (spawnSync('mkfifo', [join(fifoDir, base.weightsManifest[0].paths[0])]).status === 0) {
    const t0 = Date.now();
    assert.equal((await codes(loadModel(join(fifoDir, 'model.json'))))[0].code, 'EF2010');
    assert.ok(Date.now() - t0 < 10_000);
  }
  const zeroDir = join(d, 'zero');
  mkdirSync(zeroDir);
  writeFileSync(join(zeroDir, 'model.json'), JSON.stringify(base));
  symlinkSync('/dev/zero', join(zeroDir, base.weightsManifest[0].paths[0]));
  assert.equal((await codes(loadModel(join(zeroDir, 'model.json'))))[0].code, 'EF2010');
  // a shard larger than the manifest describes is not read whole
  const big = write('big', clone());
  writeFileSync(join(d, 'big', base.weightsManifest[0].paths[0]), new Uint8Array(4 * 1024 * 1024));
  assert.equal((await codes(loadModel(big)))[0].code, 'EF2010');
});

/**
 * A zip bomb: entries of zeros whose headers declare `mb` megabytes in total. Built small (1 MB per entry, deflated)
 * and then given the bomb's declared sizes in the local and central headers — the sizes a reader must budget before
 * inflating (fflate never inflates past the declared size).
 */
function bomb(names: string[], mb: number): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const n of names) files[n] = new Uint8Array(1 << 20);
  const z = zipSync(files, { level: 1 });
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const each = Math.floor((mb * 1024 * 1024) / names.length);
  for (let i = 0; i + 4 <= z.length; i++) {
    const sig = dv.getUint32(i, true);
    if (sig === 0x04034b50) dv.setUint32(i + 22, each, true); // local header: uncompressed size
    if (sig === 0x02014b50) dv.setUint32(i + 24, each, true); // central directory: uncompressed size
  }
  return z;
}

test('zip bombs: a 400 MB .keras and a 300 MB .npz (one entry, or many under the per-entry cap) are refused before inflating (EF2011)', async (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'b1.keras'), bomb(['model.weights.h5'], 400));
  writeFileSync(join(d, 'b2.keras'), bomb(['config.json', 'model.weights.h5', 'metadata.json'], 400));
  const npz = [bomb(['x.npy'], 300), bomb(['a.npy', 'b.npy', 'c.npy', 'd.npy', 'e.npy', 'f.npy'], 300)];
  const t0 = Date.now();
  assert.equal((await codes(loadModel(join(d, 'b1.keras'))))[0].code, 'EF2011');
  assert.equal((await codes(loadModel(join(d, 'b2.keras'))))[0].code, 'EF2011');
  for (const b of npz) assert.throws(() => readNpz(b, 'b.npz'), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF2011');
  assert.ok(Date.now() - t0 < 5_000, `refused in ${Date.now() - t0} ms (nothing was inflated)`);
  // an ordinary archive still reads
  const ok = zipSync({ 'x.npy': writeNpy({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }) });
  assert.deepEqual(Array.from(readNpz(ok).get('x')!.data as Float32Array), [1, 2]);
});

test('HDF5: external links are refused, the reader runs under a watchdog (EF2013), and Keras config errors surface as themselves', async (t) => {
  const src = sharedPath(t, 'models', 'keras', 'tinymaix', 'mnist_valid.h5');
  if (!src) return;
  const d = tmp(t);
  const h5 = await import('h5wasm/node');
  await h5.ready;
  // a copy of a real model with one layer's class renamed (a Keras config problem) and an external link added
  const edit = (out: string, f: (file: import('h5wasm/node').File, cfg: any) => void) => {
    const bytes = readFileSync(src);
    const p = `/hostile-${process.pid}-${out}.h5`;
    h5.FS!.writeFile(p, bytes);
    const file = new h5.File(p, 'a');
    const cfg = JSON.parse(file.attrs['model_config'].value as string);
    f(file, cfg);
    file.close();
    writeFileSync(join(d, out), h5.FS!.readFile(p) as Uint8Array);
    h5.FS!.unlink(p);
  };
  edit('cls.h5', (file, cfg) => {
    cfg.config.layers[1].class_name = 'NoSuchLayer';
    file.delete_attribute('model_config');
    file.create_attribute('model_config', JSON.stringify(cfg));
  });
  const ds = await codes(loadModel(join(d, 'cls.h5')));
  assert.equal(ds[0].code, 'EF2008');
  assert.match(ds[0].message, /NoSuchLayer/);
  writeFileSync(join(d, 'fifo-target'), '');
  edit('ext.h5', (file) => {
    (file.get('model_weights') as import('h5wasm/node').Group).create_external_link(join(d, 'fifo-target'), '/x', 'evil');
  });
  const ext = await codes(loadModel(join(d, 'ext.h5')));
  assert.equal(ext[0].code, 'EF2001');
  assert.match(ext[0].message, /external link/);
  // the watchdog: with a 1 ms budget any file is "too slow" — the worker is stopped and the error is coded
  const old = process.env.ESPFORGE_H5_TIMEOUT_MS;
  process.env.ESPFORGE_H5_TIMEOUT_MS = '1';
  try {
    assert.equal((await codes(loadModel(src)))[0].code, 'EF2013');
  } finally {
    if (old === undefined) delete process.env.ESPFORGE_H5_TIMEOUT_MS;
    else process.env.ESPFORGE_H5_TIMEOUT_MS = old;
  }
});

test("inspect's fit estimate uses batch 1: a batch of 65,536 costs no more than a batch of 1", async (t) => {
  const src = sharedPath(t, 'models', 'tfjs', 'tfjs-examples-abalone');
  if (!src) return;
  const d = tmp(t);
  const j = JSON.parse(readFileSync(join(src, 'model.json'), 'utf8'));
  const first = j.modelTopology.config.layers[0].config;
  const shape = first.batch_input_shape ?? first.batch_shape;
  shape[0] = 65536;
  copyFileSync(join(src, 'weights.bin'), join(d, 'weights.bin'));
  writeFileSync(join(d, 'model.json'), JSON.stringify(j));
  const g = await loadModel(join(d, 'model.json'));
  assert.equal(g.tensors[g.inputs[0]].shape[0], 65536);
  const t0 = Date.now();
  const f = await fitSummary(g);
  assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
  const g1 = await loadModel(join(src, 'model.json'));
  // property: the per-inference arena of the batch-65536 model equals that of the batch-1 model
  assert.equal(f.arenaBytes, (await fitSummary(g1)).arenaBytes);
});
