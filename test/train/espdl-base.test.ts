// ESP-DL's ImageNet MobileNetV2 (.espdl, int8 for the ESP32-S3) as a pretrained base in training specs: the
// file is imported, dequantized (weights = q · 2^exponent), cut with "auto" after the global pool (1280
// features), and runs at other input sizes since it is fully convolutional. The measured comparison with a
// random-init base is in bench/results.md (section espdl); here: structure, a consistency check of the
// converted base against the float interpreter, and a short training run that learns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { attemptAsync } from '../../src/diagnostics.js';
import { loadDataset, type Dataset } from '../../src/data/index.js';
import { initBackend, tf } from '../../src/train/backend.js';
import { cutGraph, dequantizeGraph, resizeBaseInput } from '../../src/train/from-ir/index.js';
import { buildModel, describeBase, loadSpecBase, parseSpec } from '../../src/train/spec.js';
import { trainModel } from '../../src/train/train.js';
import { loadModel } from '../../src/import/index.js';
import { runFloat } from '../../src/sim/float.js';
import { sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

function spec(file: string, input: number[], units = 10) {
  return parseSpec({ name: 'espdl_head', input, base: { file, cut: 'auto', trainable: 0 }, layers: [{ type: 'dense', units, activation: 'softmax' }] }, 'spec.json');
}

test('the ImageNet .espdl is a base: cut "auto" gives 1280 features, at 224, 96 and 32 pixels; a 1-channel input is refused', async (t) => {
  const file = sharedPath(t, 'models/espdl', 'imagenet_cls_mobilenetv2_s8_v1.espdl');
  if (!file) return;
  await initBackend();
  for (const size of [224, 96, 32]) {
    const s = spec(file, [size, size, 3], 4);
    await loadSpecBase(s);
    assert.equal(describeBase(s)?.tensor, '/GlobalAveragePool_output_0');
    const m = buildModel(s);
    const feat = m.layers[m.layers.length - 2];
    assert.deepEqual(feat.outputShape, [null, 1280], `${size}: features`);
    assert.deepEqual(m.outputs[0].shape, [null, 4]);
    // frozen base: only the head's kernel and bias train
    assert.equal(m.trainableWeights.length, 2);
  }
  const r = await attemptAsync(() => loadSpecBase(spec(file, [32, 32, 1])));
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.diagnostics[0].code, 'EF5003');
});

test('converted .espdl base = float interpreter on the dequantized graph (consistency, 96x96)', async (t) => {
  const file = sharedPath(t, 'models/espdl', 'imagenet_cls_mobilenetv2_s8_v1.espdl');
  if (!file) return;
  await initBackend();
  const s = spec(file, [96, 96, 3]);
  await loadSpecBase(s);
  const m = buildModel(s);
  const features = tfl.model({ inputs: m.inputs, outputs: m.layers[m.layers.length - 2].output as tfl.SymbolicTensor });
  const rand = rng(5);
  const x = Float32Array.from({ length: 96 * 96 * 3 }, () => rand() * 4 - 2);
  const got = (features.predict(tf.tensor(x, [1, 96, 96, 3])) as tf.Tensor).dataSync();
  const cut = cutGraph(await loadModel(file), 'auto');
  const want = runFloat(resizeBaseInput(cut.graph, [96, 96, 3]), [{ dtype: 'float32', shape: [1, 96, 96, 3], data: x }]).outputs[0].data;
  assert.equal(want.length, 1280);
  let max = 0;
  let err = 0;
  for (let i = 0; i < 1280; i++) {
    max = Math.max(max, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  assert.ok(max > 0.1, 'features are not all zero');
  assert.ok(err <= 1e-4 * Math.max(1, max), `max |tfjs − interpreter| = ${err} (max feature ${max})`);
  // the dequantized weights are the file's integers times 2^exponent
  const q = await loadModel(file);
  const w = q.tensors[q.nodes[0].inputs[1]];
  const d = dequantizeGraph(q).tensors[w.id];
  assert.equal(d.data![7], w.data![7] * w.quant!.scale[0]);
  assert.ok(Number.isInteger(Math.log2(w.quant!.scale[0])));
});

test('a head on the frozen ImageNet base learns Fashion-MNIST from 240 images in 3 epochs (32x32)', async (t) => {
  const file = sharedPath(t, 'models/espdl', 'imagenet_cls_mobilenetv2_s8_v1.espdl');
  if (!file) return;
  if (!existsSync(FASHION)) {
    if (process.env.CI === 'true') throw new Error('dataset-fashion-mnist is not installed');
    t.skip('dataset-fashion-mnist not installed');
    return;
  }
  await initBackend();
  const S = 32;
  const up = (d: Dataset): Dataset => {
    const n = d.x.length / (28 * 28 * 3);
    const x = new Float32Array(n * S * S * 3);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < S; y++)
        for (let xx = 0; xx < S; xx++)
          for (let c = 0; c < 3; c++) x[((i * S + y) * S + xx) * 3 + c] = (d.x[((i * 28 + Math.floor((y * 28) / S)) * 28 + Math.floor((xx * 28) / S)) * 3 + c] - 0.45) / 0.226;
    return { ...d, x, shape: [S, S, 3] };
  };
  const train = up(await loadDataset(FASHION, { split: 'train', inputShape: [28, 28, 3], channels: 3, limit: 240, seed: 1 }));
  const test_ = up(await loadDataset(FASHION, { split: 'test', inputShape: [28, 28, 3], channels: 3, limit: 200, seed: 1 }));
  const s = spec(file, [S, S, 3]);
  await loadSpecBase(s);
  const m = buildModel(s, { seed: 0 });
  const r = await trainModel(m, train, { epochs: 3, batchSize: 32, learningRate: 0.005, validationData: test_, seed: 0 });
  const acc = r.history[r.history.length - 1].valAccuracy ?? 0;
  t.diagnostic(`test accuracy after 3 epochs: ${(100 * acc).toFixed(1)}% (10 classes)`);
  assert.ok(acc > 0.3, `test accuracy ${acc}`);
});
