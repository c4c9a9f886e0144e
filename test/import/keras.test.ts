// Keras (.h5, .keras) and TF.js layers import on the shared real models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { loadModel } from '../../src/import/index.js';
import { importKeras } from '../../src/import/keras/index.js';
import { runFloat } from '../../src/sim/float.js';
import { readNpz, readNpy } from '../../src/io/npy.js';
import { EspforgeError, toDiagnostics } from '../../src/diagnostics.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { kerasArchiveFromH5 } from '../helpers/keras3.js';
import { sharedPath } from '../helpers/shared.js';

function argmax(d: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[b]) b = i;
  return b;
}

/**
 * Run a graph on image k of an NHWC batch, reshaped to the graph's input shape. Returns the last graph output
 * (the TensorSpace LeNet exports every layer as an output for visualisation; the classifier is the last).
 */
function runOne(g: Graph, x: Value, k: number): Float32Array {
  const t = g.tensors[g.inputs[0]];
  const per = x.data.length / x.shape[0];
  const data = Float32Array.from(x.data.subarray(k * per, (k + 1) * per));
  const outs = runFloat(g, [{ dtype: 'float32', shape: t.shape, data }]).outputs;
  return outs[outs.length - 1].data as Float32Array;
}

async function codeOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
    return [];
  } catch (e) {
    return toDiagnostics(e).map((d) => d.code);
  }
}

test('TensorSpace LeNets (.h5 standalone Keras 2.1.6 list config, tf.keras dict config) label the digits', async (t) => {
  const dir = sharedPath(t, 'models', 'keras', 'tensorspace');
  if (!dir) return;
  const s = readNpz(readFileSync(join(dir, 'samples', 'mnist_digits.npz')));
  const x = s.get('x')!;
  const labels = Array.from(s.get('label')!.data);
  // The MANIFEST records an independent NumPy forward pass: tf_keras_model gets 10/10; mnist.h5 reads the "2" as 7.
  const expect: Record<string, number[]> = {
    'tf_keras_model.h5': labels,
    'mnist.h5': labels.map((l) => (l === 2 ? 7 : l)),
  };
  for (const [f, want] of Object.entries(expect)) {
    const g = await loadModel(join(dir, f));
    assert.deepEqual(verifyGraph(g), []);
    const got = labels.map((_, k) => argmax(runOne(g, x, k)));
    assert.deepEqual(got, want, f);
  }
});

test('TF.js layers: TensorSpace LeNet labels 10/10; abalone MLP gives 11.8128 on the documented input', async (t) => {
  const dir = sharedPath(t, 'models', 'tfjs');
  if (!dir) return;
  const s = readNpz(readFileSync(sharedPath(t, 'models', 'keras', 'tensorspace', 'samples', 'mnist_digits.npz')!));
  const x = s.get('x')!;
  const labels = Array.from(s.get('label')!.data);
  const g = await loadModel(join(dir, 'tensorspace-lenet', 'mnist.json'));
  assert.equal(g.outputs.length, 8, 'the TensorSpace LeNet declares 8 output layers');
  assert.deepEqual(labels.map((_, k) => argmax(runOne(g, x, k))), labels);
  const a = await loadModel(join(dir, 'tfjs-examples-abalone', 'model.json'));
  const y = runFloat(a, [{ dtype: 'float32', shape: [1, 8], data: Float32Array.from([0, 0.625, 0.495, 0.165, 1.262, 0.507, 0.318, 0.39]) }]).outputs[0];
  // 11.8128 from the MANIFEST's float64 NumPy pass; float32 accumulation differs in the 5th digit at most.
  assert.ok(Math.abs(y.data[0] - 11.8128) < 2e-3, `abalone output ${y.data[0]}`);
});

test('TinyMaix .h5 models agree with their float .tflite twins on the shared samples', async (t) => {
  const kdir = sharedPath(t, 'models', 'keras', 'tinymaix');
  const tdir = sharedPath(t, 'models', 'tflite', 'tinymaix');
  if (!kdir || !tdir) return;
  const samples: Record<string, string[]> = {
    mnist_valid: ['mnist_digit2.npy', 'mnist_digit9.npy'],
    mnist_dw: ['mnist_digit2.npy', 'mnist_digit9.npy'],
    mnist_resnet: ['mnist_digit2.npy', 'mnist_digit9.npy'],
  };
  for (const [m, files] of Object.entries(samples)) {
    const gk = await loadModel(join(kdir, `${m}.h5`));
    let gt: Graph;
    try {
      gt = await loadModel(join(tdir, `${m}_f.tflite`));
    } catch (e) {
      if (e instanceof EspforgeError && e.diagnostics[0].code === 'EF2007') return t.skip('TFLite importer not present');
      throw e;
    }
    for (const f of files) {
      const raw = readNpy(readFileSync(join(tdir, 'samples', f)));
      const shape = gk.tensors[gk.inputs[0]].shape;
      const x = { dtype: 'float32' as const, shape, data: Float32Array.from(raw.data, (v) => v / 255) };
      const yk = runFloat(gk, [x]).outputs[0].data;
      const yt = runFloat(gt, [x]).outputs[0].data;
      let maxd = 0;
      for (let i = 0; i < yk.length; i++) maxd = Math.max(maxd, Math.abs(yk[i] - yt[i]));
      // Same weights, float32 both ways; the converter folds BatchNormalization, so sums are ordered differently.
      assert.ok(maxd < 1e-4, `${m} ${f}: max |h5 - tflite| = ${maxd}`);
      assert.equal(argmax(yk), Number(/digit(\d)/.exec(f)![1]), `${m} ${f}`);
    }
  }
});

test('TinyMaix CIFAR-10 CNN and VWW MobileNet (.h5) agree with their float .tflite twins on all samples', async (t) => {
  const kdir = sharedPath(t, 'models', 'keras', 'tinymaix');
  const tdir = sharedPath(t, 'models', 'tflite', 'tinymaix');
  if (!kdir || !tdir) return;
  for (const m of ['cifar10', 'vww96']) {
    const gk = await loadModel(join(kdir, `${m}.h5`));
    const gt = await loadModel(join(tdir, `${m}_f.tflite`));
    assert.deepEqual(verifyGraph(gk), [], m);
    const s = readNpz(readFileSync(join(tdir, 'samples', `${m}_samples.npz`)));
    const x = s.get('x')!;
    const per = x.data.length / x.shape[0];
    const shape = gk.tensors[gk.inputs[0]].shape;
    for (let k = 0; k < x.shape[0]; k++) {
      const data = Float32Array.from(x.data.subarray(k * per, (k + 1) * per), (v) => v / 255);
      const yk = runFloat(gk, [{ dtype: 'float32', shape, data }]).outputs[0].data;
      const yt = runFloat(gt, [{ dtype: 'float32', shape, data }]).outputs[0].data;
      let maxd = 0;
      for (let i = 0; i < yk.length; i++) maxd = Math.max(maxd, Math.abs(yk[i] - yt[i]));
      // softmax outputs; BatchNormalization folded by the converter changes float32 rounding only
      assert.ok(maxd < 1e-4, `${m} sample ${k}: max |h5 - tflite| = ${maxd}`);
      assert.equal(argmax(yk), argmax(yt), `${m} sample ${k}`);
    }
  }
});

test('refusals: Lambda layers are all named at once; Embedding/GRU are unsupported', async (t) => {
  const nnom = sharedPath(t, 'models', 'keras', 'nnom', 'keras_mnist_model.h5');
  if (!nnom) return;
  await assert.rejects(loadModel(nnom), (e: unknown) => {
    assert.ok(e instanceof EspforgeError);
    const d = e.diagnostics.find((x) => x.code === 'EF2009');
    assert.ok(d, 'EF2009');
    for (let i = 1; i <= 10; i++) assert.match(d.message, new RegExp(`lambda_${i}\\b`));
    return true;
  });
  // With the explicit opt-in the rest of the DenseNet imports (its Lambdas are fake-quantisation identities).
  const g = await loadModel(nnom, { treatLambdaAsIdentity: true });
  assert.deepEqual(verifyGraph(g), []);
  const gru = sharedPath(t, 'models', 'tfjs', 'tfjs-e2e-embedding-gru', 'model.json')!;
  const codes = await codeOf(loadModel(gru));
  assert.deepEqual(codes, ['EF2008', 'EF2008']);
});

test('a .keras archive (config.json + metadata.json + model.weights.h5) round-trips; zip-slip and oversize entries are refused', async (t) => {
  const src = sharedPath(t, 'models', 'keras', 'tinymaix', 'mnist_valid.h5');
  if (!src) return;
  const g2 = await loadModel(src);
  const zip = await kerasArchiveFromH5(src); // the same layers in the Keras 3 layout
  const dir = mkdtempSync(join(tmpdir(), 'espforge-keras-'));
  writeFileSync(join(dir, 'm.keras'), zip);
  const g3 = await loadModel(join(dir, 'm.keras'));
  const x = { dtype: 'float32' as const, shape: [1, 28, 28, 1], data: Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 255) / 255) };
  assert.deepEqual(Array.from(runFloat(g3, [x]).outputs[0].data), Array.from(runFloat(g2, [x]).outputs[0].data));
  // hostile archives
  const slip = zipSync({ '../evil.json': new Uint8Array(4), 'config.json': new Uint8Array(2) });
  assert.deepEqual(await codeOf(importKeras(slip, 'slip.keras', {})), ['EF2011']);
  const abs = zipSync({ '/etc/passwd': new Uint8Array(4) });
  assert.deepEqual(await codeOf(importKeras(abs, 'abs.keras', {})), ['EF2011']);
  // declared size far beyond the limit: patch the central directory's uncompressed size field
  const big = zipSync({ 'config.json': new Uint8Array(8) }, { level: 0 });
  const cd = findCentralDir(big);
  new DataView(big.buffer).setUint32(cd + 24, 0xfff00000, true);
  assert.deepEqual(await codeOf(importKeras(big, 'big.keras', {})), ['EF2011']);
});

function findCentralDir(z: Uint8Array): number {
  for (let i = z.length - 4; i >= 0; i--) if (z[i] === 0x50 && z[i + 1] === 0x4b && z[i + 2] === 1 && z[i + 3] === 2) return i;
  throw new Error('no central directory');
}

test('truncated and bit-flipped .h5 / model.json copies give coded diagnostics only', async (t) => {
  const root = sharedPath(t, 'models');
  if (!root) return;
  const h5s = ['keras/tensorspace/mnist.h5', 'keras/tensorspace/tf_keras_model.h5', 'keras/tinymaix/mnist_valid.h5', 'keras/tinymaix/mnist_dw.h5', 'keras/tinymaix/mnist_resnet.h5', 'keras/tinymaix/cifar10.h5', 'keras/tinymaix/vww96.h5', 'keras/nnom/keras_mnist_model.h5'];
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
  for (const f of h5s) {
    const bytes = readFileSync(join(root, f));
    const variants: Uint8Array[] = [bytes.subarray(0, 100), bytes.subarray(0, bytes.length >> 1), bytes.subarray(0, bytes.length - 7)];
    for (let k = 0; k < 6; k++) {
      const c = new Uint8Array(bytes);
      for (let j = 0; j < 8; j++) c[rnd(Math.min(c.length, 4096))] ^= 1 << rnd(8);
      variants.push(c);
    }
    for (const v of variants) {
      const codes = await codeOf(importKeras(v, f, {}));
      assert.ok(!codes.includes('EF9001'), `${f}: internal error ${codes}`);
    }
  }
  // model.json: truncations and flipped characters, with the real shards next to it
  const dir = mkdtempSync(join(tmpdir(), 'espforge-tfjs-'));
  for (const m of ['tensorspace-lenet/mnist.json', 'tfjs-examples-abalone/model.json']) {
    const [folder, name] = m.split('/');
    const text = readFileSync(join(root, 'tfjs', m));
    for (const shard of folder === 'tensorspace-lenet' ? ['mnist.weights.bin'] : ['weights.bin']) copyFileSync(join(root, 'tfjs', folder, shard), join(dir, shard));
    const variants: Uint8Array[] = [text.subarray(0, text.length >> 1), text.subarray(0, 10)];
    for (let k = 0; k < 10; k++) {
      const c = new Uint8Array(text);
      c[rnd(c.length)] ^= 1 << rnd(7);
      variants.push(c);
    }
    for (const v of variants) {
      writeFileSync(join(dir, name), v);
      const codes = await codeOf(loadModel(join(dir, name)));
      assert.ok(!codes.includes('EF9001'), `${m}: internal error ${codes}`);
    }
  }
});
