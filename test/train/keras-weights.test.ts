// Keras-applications MobileNetV2 weights into the built-in base ("base": {"type": "mobilenetv2", "weights": FILE}).
// The file is written in exactly the layout Keras writes (test/helpers/keras-mobilenetv2.ts: layer names, weight
// order and shapes from keras_applications' mobilenet_v2.py, not from espforge's builder). Proof of equality: a
// base built from seed 3 and loaded from the file computes what the model whose weights were written (seed 11,
// with non-trivial batch-norm statistics) computes, on the same inputs. Mismatches are EF5003 naming what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';
import { kerasMobileNetV2Layers, writeKerasWeightsH5 } from '../helpers/keras-mobilenetv2.js';
import { initBackend, tf } from '../../src/train/backend.js';
import { buildModel, loadSpecBase, parseSpec } from '../../src/train/spec.js';
import { EspforgeError } from '../../src/diagnostics.js';
import * as tfl from '@tensorflow/tfjs-layers';

const NAME = (alpha: string, size: number, top = true) => `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha}_${size}${top ? '' : '_no_top'}.h5`;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

async function code(f: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await f();
  } catch (e) {
    if (e instanceof EspforgeError) return { code: e.diagnostics[0].code, message: e.diagnostics[0].message };
    throw e;
  }
  return { code: 'none', message: '' };
}

test('a Keras-layout MobileNetV2 weights file loads into the built-in base and computes the same; mismatches are EF5003', async () => {
  await initBackend();
  const tmp = mkdtempSync(join(tmpdir(), 'ef-kw-'));
  try {
    const spec = (weights: string, input = [96, 96, 3], alpha = 0.35) =>
      parseSpec({ name: 'kw', input, base: { type: 'mobilenetv2', alpha, weights }, layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, join(tmp, 'spec.json'));
    // the source of the weights: a base from seed 11 with its batch-norm statistics set to non-trivial values
    const src = buildModel(parseSpec({ input: [96, 96, 3], base: { type: 'mobilenetv2', alpha: 0.35 }, layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }), { seed: 11 });
    const r = rng(9);
    for (const l of src.layers)
      if (l.getClassName() === 'BatchNormalization') {
        const [g, b, m, v] = l.getWeights().map((t) => t.shape[0]);
        const u = (n: number, lo: number, hi: number) => tf.tensor1d(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
        l.setWeights([u(g, 0.5, 1.5), u(b, -0.2, 0.2), u(m, -0.3, 0.3), u(v, 0.5, 2)]);
      }
    const layers = kerasMobileNetV2Layers(0.35, true);
    const value = (layer: string, weight: string, shape: number[]): Float32Array => {
      if (layer === 'Logits') return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5);
      const w = src.getLayer(layer).weights.find((x) => (x.originalName ?? x.name).replace(/:\d+$/, '').endsWith('/' + weight))!;
      assert.ok(w, `${layer}/${weight} exists in the built-in base`);
      assert.deepEqual(w.shape, shape, `${layer}/${weight}: built-in base shape equals Keras'`);
      return w.read().dataSync() as Float32Array;
    };
    const file = join(tmp, NAME('0.35', 96));
    await writeKerasWeightsH5(file, layers, value);

    // loaded into a base that starts from other weights (seed 3): same outputs as the source on 3 inputs
    const s = await loadSpecBase(spec(NAME('0.35', 96)), join(tmp, 'spec.json'));
    const loaded = buildModel(s, { seed: 3 });
    const fresh = buildModel(parseSpec({ input: [96, 96, 3], base: { type: 'mobilenetv2', alpha: 0.35 }, layers: [{ type: 'dense', units: 3 }] }), { seed: 3 });
    const feat = (m: typeof src) => tfl.model({ inputs: m.inputs, outputs: m.getLayer('global_average_pooling2d').output as never });
    const x = tf.tensor(Float32Array.from({ length: 3 * 96 * 96 * 3 }, () => r() * 2 - 1), [3, 96, 96, 3]);
    const want = (feat(src).predict(x) as tf.Tensor).dataSync();
    const got = (feat(loaded).predict(x) as tf.Tensor).dataSync();
    const other = (feat(fresh).predict(x) as tf.Tensor).dataSync();
    let maxErr = 0;
    let maxRef = 0;
    let diffOther = 0;
    for (let i = 0; i < want.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
      diffOther = Math.max(diffOther, Math.abs(other[i] - want[i]));
    }
    assert.ok(maxRef > 0.01, 'features are not trivially zero');
    assert.ok(diffOther > 100 * maxErr, 'the seed-3 base without the file computes something else');
    assert.equal(maxErr, 0, `loaded base features equal the source model's (max |err| ${maxErr})`);

    // mismatches → EF5003 naming what differs
    cpSync(file, join(tmp, NAME('0.5', 96)));
    const a = await code(() => loadSpecBase(spec(NAME('0.5', 96)), join(tmp, 'spec.json')));
    assert.equal(a.code, 'EF5003');
    assert.match(a.message, /alpha 0\.5 but the base has alpha 0\.35/);
    cpSync(file, join(tmp, NAME('0.35', 128, false)));
    const z = await code(() => loadSpecBase(spec(NAME('0.35', 128, false)), join(tmp, 'spec.json')));
    assert.equal(z.code, 'EF5003');
    assert.match(z.message, /128x128 inputs but the spec's input is 96x96/);
    // a renamed file with alpha 0.35 weights into an alpha 0.5 base: shapes differ → named
    cpSync(file, join(tmp, 'renamed.h5'));
    const sh = await code(async () => buildModel(await loadSpecBase(spec('renamed.h5', [96, 96, 3], 0.5), join(tmp, 'spec.json')), { seed: 1 }));
    assert.equal(sh.code, 'EF5003');
    assert.match(sh.message, /layer 'Conv1': 'kernel' is \[3,3,3,16\] in the file but \[3,3,3,16\]|layer '\w+': '\w+' is \[/);
    // a layer name that is not Keras MobileNetV2's
    const bad = join(tmp, 'badnames.h5');
    await writeKerasWeightsH5(bad, layers.map((l) => (l.name === 'block_3_expand' ? { ...l, name: 'block_3_expnd' } : l)), (l, w, sh) =>
      value(l === 'block_3_expnd' ? 'block_3_expand' : l, w, sh),
    );
    const n = await code(async () => buildModel(await loadSpecBase(spec('badnames.h5'), join(tmp, 'spec.json')), { seed: 1 }));
    assert.equal(n.code, 'EF5003');
    assert.match(n.message, /layer 'block_3_expand' of the MobileNetV2 base has no weights in the file/);

    // through the CLI: a typo in the base is an unknown key (no silent random weights), exit 1
    writeFileSync(join(tmp, 'typo.json'), JSON.stringify({ input: [96, 96, 3], base: { type: 'mobilenetv2', alpha: 0.35, weigths: NAME('0.35', 96) }, layers: [{ type: 'dense', units: 2 }] }));
    mkdirSync(join(tmp, 'd', 'a'), { recursive: true });
    const t = cli('train', join(tmp, 'typo.json'), '--data', join(tmp, 'd'), '--out', join(tmp, 'o'));
    assert.equal(t.status, 1);
    assert.match(t.stderr, /EF5003.*unknown mobilenetv2 base key\(s\) "weigths"/);
    writeFileSync(join(tmp, 'typo2.json'), JSON.stringify({ input: [8], layers: [{ type: 'dense', units: 2 }], train: { learning_rate: 0.1 } }));
    const t2 = cli('train', join(tmp, 'typo2.json'), '--data', join(tmp, 'd'), '--out', join(tmp, 'o'));
    assert.equal(t2.status, 1);
    assert.match(t2.stderr, /EF5003.*unknown "train" key\(s\) "learning_rate"/);
    assert.ok(readFileSync(file).length > 1000);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
