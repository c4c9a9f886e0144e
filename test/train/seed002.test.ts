// The seed-002 recipe end to end through the CLI, as a user runs it: `split` an image folder, `train` one spec with
// stages (head only, then fine-tune the top 70 % of a MobileNetV2-0.35 base loaded from a Keras-applications
// weights file, pruning 50→80 %), validating on the split's val/ folder, then `build --zip`.
// What is checked against what: the stage boundaries (frozen layer counts = round(0.3 × base layers)), that layers
// frozen in both stages still hold exactly the weights file's values, that the pruned head reaches the final
// sparsity, and that the zip holds the project, the library and a .tflite that re-imports and simulates to the
// same bytes as the project's recorded golden outputs (a consistency check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { unzipSync } from 'fflate';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';
import { kerasMobileNetV2Layers, writeKerasWeightsH5 } from '../helpers/keras-mobilenetv2.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { simulate, integerIO } from '../../src/pipeline/build.js';
import { prepareIntGraph } from '../../src/sim/int.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

test('seed-002: one staged train command on a split image folder with Keras weights, then build --zip', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ef-seed002-'));
  try {
    const r = rng(21);
    // photos: two classes of 40x40 RGB images (resized to the input by the loader), reddish vs bluish noise
    for (const [cls, ch] of [['red', 0], ['blue', 2]] as const) {
      mkdirSync(join(tmp, 'photos', cls), { recursive: true });
      for (let i = 0; i < 8; i++) {
        const px = Buffer.alloc(40 * 40 * 3);
        for (let j = 0; j < px.length; j++) px[j] = j % 3 === ch ? 150 + Math.floor(r() * 100) : Math.floor(r() * 120);
        await sharp(px, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(join(tmp, 'photos', cls, `${i}.png`));
      }
    }
    const sp = cli('split', join(tmp, 'photos'), '--out', join(tmp, 'split'), '--ratios', '0.5,0.25,0.25', '--seed', '1');
    assert.equal(sp.status, 0, sp.stderr);
    // the weights file, in Keras' layout, with seeded values
    // 48x48 instead of the recipe's 96x96 keeps the test short (the weights do not depend on the size)
    const wfile = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_48_no_top.h5';
    const written = new Map<string, Float32Array>();
    await writeKerasWeightsH5(join(tmp, wfile), kerasMobileNetV2Layers(0.35, false), (l, w, shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = Float32Array.from({ length: n }, () => (w === 'moving_variance' || w === 'gamma' ? 0.5 + r() : (r() - 0.5) * 0.3));
      written.set(`${l}/${w}`, v);
      return v;
    });
    const spec = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', '10-seed-002-staged.json'), 'utf8'));
    spec.input = [48, 48, 3];
    spec.base.weights = wfile;
    spec.stages[0].epochs = 1;
    spec.stages[1].epochs = 2;
    spec.train.batchSize = 4;
    writeFileSync(join(tmp, 'spec.json'), JSON.stringify(spec));

    const t = cli('train', join(tmp, 'spec.json'), '--data', join(tmp, 'split'), '--out', join(tmp, 'model'), '--json');
    assert.equal(t.status, 0, t.stderr);
    const j = JSON.parse(t.stdout);
    assert.match(j.validation, /split \(val\)$/);
    assert.equal(j.stages.length, 2);
    const baseLayers = j.stages[0].frozenBaseLayers;
    assert.ok(baseLayers > 100, `${baseLayers} base layers frozen in the head stage`);
    assert.equal(j.stages[1].frozenBaseLayers, Math.round(0.3 * baseLayers));
    assert.deepEqual(j.stages[1].prune, [0.5, 0.8]);
    const sp2 = Object.fromEntries(j.sparsity.map((s: { layer: string; sparsity: number }) => [s.layer, s.sparsity]));
    assert.ok(sp2.L0_dense > 0.79 && sp2.Conv_1 > 0.79, `pruned to 80 %: ${sp2.L0_dense}, ${sp2.Conv_1}`);
    assert.equal(sp2.Conv1, 0, 'frozen bottom layers are not pruned');

    // frozen in both stages: the saved model still holds the file's exact values for Conv1 and bn_Conv1
    const mj = JSON.parse(readFileSync(join(tmp, 'model', 'model.json'), 'utf8'));
    const bin = readFileSync(join(tmp, 'model', 'weights.bin'));
    let off = 0;
    const saved = new Map<string, Float32Array>();
    for (const w of mj.weightsManifest[0].weights as { name: string; shape: number[] }[]) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      saved.set(w.name, new Float32Array(bin.buffer.slice(bin.byteOffset + off, bin.byteOffset + off + 4 * n)));
      off += 4 * n;
    }
    assert.deepEqual(saved.get('Conv1/kernel'), written.get('Conv1/kernel'));
    assert.deepEqual(saved.get('bn_Conv1/gamma'), written.get('bn_Conv1/gamma'));
    assert.notDeepEqual(saved.get('Conv_1/kernel'), written.get('Conv_1/kernel'), 'the top of the base was fine-tuned');
    assert.deepEqual(mj.userDefinedMetadata.classes, ['blue', 'red']);

    // build --zip
    const zip = join(tmp, 'deploy.zip');
    const b = cli('build', join(tmp, 'model', 'model.json'), '--target', 'esp32s3', '--calib', join(tmp, 'split'), '--name', 'seed002', '--out', join(tmp, 'fw'), '--zip', zip);
    assert.equal(b.status, 0, b.stderr);
    const files = unzipSync(readFileSync(zip));
    for (const f of ['seed002/esp-idf/main/app_main.c', 'seed002/esp-idf/components/seed002/include/seed002.h', 'seed002/library/seed002/library.json',
      'seed002/library/seed002/library.properties', 'seed002/library/seed002/src/seed002.h', 'seed002/library/seed002/src/seed002_weights.c',
      'seed002/library/seed002/examples/seed002_basic/seed002_basic.ino', 'seed002/seed002_int8.tflite', 'seed002/report.md', 'seed002/report.json', 'seed002/report.html'])
      assert.ok(files[f], `${f} in the zip`);
    // built from a float model: report.html also has the float-vs-int8 error per layer
    assert.match(new TextDecoder().decode(files['seed002/report.html']), /<section class="chart" id="layer-error">/);
    const lib = JSON.parse(new TextDecoder().decode(files['seed002/library/seed002/library.json']));
    assert.deepEqual(lib.frameworks, ['arduino', 'espidf']);
    const rep = JSON.parse(new TextDecoder().decode(files['seed002/report.json']));
    assert.deepEqual(rep.classes, ['blue', 'red']);
    const g = integerIO(prepareIntGraph(await importTflite(files['seed002/seed002_int8.tflite'], 'seed002_int8.tflite')));
    assert.deepEqual(simulate(g, rep.golden[0].inputs), rep.golden[0].expected, 'the zip\'s .tflite computes the recorded golden output');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
