// The gradient kernels we register for the wasm backend, checked against the cpu backend (whose kernels are
// tfjs's reference JS implementations) on random inputs, through tf.grads — the path training takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/train/backend.js';
import '@tensorflow/tfjs-backend-cpu';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function rand(n: number, r: () => number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Gradients of sum(f(inputs) * R) w.r.t. every input, on a given backend. */
async function gradsOn(backend: string, f: (xs: tf.Tensor[]) => tf.Tensor, data: { v: Float32Array; shape: number[] }[], outWeights: (shape: number[]) => Float32Array): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = data.map((d) => tf.tensor(d.v, d.shape));
    const probe = f(xs);
    const r = tf.tensor(outWeights(probe.shape), probe.shape);
    const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(a), r)))(xs);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / Math.max(scale, 1e-6);
}

async function compare(name: string, f: (xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], seed: number, tol: number, lo = -1) {
  const r = rng(seed);
  const data = shapes.map((s) => ({ v: rand(s.reduce((a, b) => a * b, 1), r, lo), shape: s }));
  const ow = (shape: number[]) => rand(shape.reduce((a, b) => a * b, 1), rng(seed + 1000));
  const want = await gradsOn('cpu', f, data, ow);
  const got = await gradsOn('wasm', f, data, ow);
  await tf.setBackend('wasm');
  want.forEach((w, i) => {
    const d = maxRelDiff(got[i], w);
    assert.ok(d < tol, `${name}: gradient ${i} differs from cpu by ${d} (relative to max |g|)`);
  });
}

// float32 sums of a few hundred products in a different order: 1e-4 relative to the largest gradient.
const TOL = 1e-4;

test('backend initialises to wasm', async () => {
  const b = await initBackend();
  assert.ok(b === 'wasm' || b === 'tensorflow');
  await import('@tensorflow/tfjs-backend-cpu');
});

for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    test(`Conv2DBackpropFilter (and input) vs cpu, stride ${stride}, ${pad}`, async () => {
      await initBackend();
      await compare(`conv s${stride} ${pad}`, ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), [[3, 9, 8, 4], [3, 3, 4, 5]], 11 + stride, TOL);
      // even kernel + odd size: asymmetric 'same' padding
      await compare(`conv 2x2 s${stride} ${pad}`, ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), [[2, 7, 6, 3], [2, 2, 3, 2]], 21 + stride, TOL);
    });
    test(`DepthwiseConv2dNative backprop filter + input vs cpu, stride ${stride}, ${pad}`, async () => {
      await initBackend();
      await compare(`dw s${stride} ${pad}`, ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), [[2, 9, 10, 6], [3, 3, 6, 1]], 31 + stride, TOL);
      await compare(`dw 5x5 s${stride} ${pad}`, ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), [[2, 11, 8, 3], [5, 5, 3, 1]], 41 + stride, TOL);
    });
    test(`MaxPoolGrad vs cpu incl. all-negative windows, stride ${stride}, ${pad}`, async () => {
      await initBackend();
      // inputs all negative: the case the stock wasm kernel gets wrong
      await compare(`maxpool neg s${stride} ${pad}`, ([x]) => tf.maxPool(x as tf.Tensor4D, 3, stride, pad), [[2, 7, 8, 3]], 51 + stride, 1e-6, -2);
      await compare(`maxpool s${stride} ${pad}`, ([x]) => tf.maxPool(x as tf.Tensor4D, 2, stride, pad), [[2, 8, 7, 3]], 61 + stride, 1e-6);
    });
  }
}

test('MaxPoolGrad all-negative window example from the measurements', async () => {
  await initBackend();
  const x = tf.tensor4d([-1.6, -1.49, -0.55, -0.5], [1, 2, 2, 1]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
  assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 1]);
});
