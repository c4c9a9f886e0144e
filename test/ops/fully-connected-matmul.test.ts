// FullyConnected and MatMul against naive references (explicit index sums), hand values, errors and MACs.
//
// Tolerance: sums in doubles in different orders, rounded once to float32: rtol 1e-6, atol 1e-5.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertClose, node, randInt, randVal, rng, run, size, throwsCode, unravel, val } from './kit.js';

function macsOf(op: string, inputs: { dtype: 'float32'; shape: number[] }[], attrs: Record<string, any> = {}): number {
  const def = getOp(op);
  const n = node(op, attrs);
  const ctx = { node: n, attrs: normalizeAttrs(def, attrs, n.name), inputs };
  return def.macs(ctx, def.infer(ctx));
}

test('FullyConnected: random shapes (leading dims flattened) match the naive reference', () => {
  const r = rng(11);
  for (let t = 0; t < 60; t++) {
    const K = randInt(r, 1, 40);
    const N = randInt(r, 1, 13);
    const lead = Array.from({ length: randInt(r, 0, 3) }, () => randInt(r, 1, 3));
    const x = randVal(r, [...lead, K]);
    const w = randVal(r, [N, K]);
    const b = r() < 0.5 ? randVal(r, [N]) : undefined;
    const act = ['none', 'relu', 'relu6', 'relu_n1_to_1'][t % 4];
    const [lo, hi] = { none: [-Infinity, Infinity], relu: [0, Infinity], relu6: [0, 6], relu_n1_to_1: [-1, 1] }[act]!;
    const rows = size(lead);
    const exp: number[] = [];
    for (let i = 0; i < rows * N; i++) {
      const row = Math.floor(i / N);
      const n = i % N;
      let s = b ? b.data[n] : 0;
      for (let k = 0; k < K; k++) s += x.data[row * K + k] * w.data[n * K + k];
      exp.push(Math.min(hi, Math.max(lo, s)));
    }
    assertClose(run('FullyConnected', [x, w, b], { activation: act })[0], [...lead, N], exp, 1e-6, 1e-5, `case ${t}`);
  }
});

test('FullyConnected: hand values, errors, macs', () => {
  // [1,2,3]·[[1,0,0],[1,1,1]]ᵀ + [0.5,-7] = [1.5, -1]
  const y = run('FullyConnected', [val('float32', [1, 3], [1, 2, 3]), val('float32', [2, 3], [1, 0, 0, 1, 1, 1]), val('float32', [2], [0.5, -7])])[0];
  assertClose(y, [1, 2], [1.5, -1]);
  throwsCode(() => run('FullyConnected', [val('float32', [1, 3], [1, 2, 3]), val('float32', [2, 4], new Array(8).fill(0))]), 'EF1004');
  throwsCode(() => run('FullyConnected', [val('float32', [1, 3], [1, 2, 3]), val('float32', [6], new Array(6).fill(0))]), 'EF1004');
  throwsCode(() => run('FullyConnected', [val('float32', [1, 3], [1, 2, 3]), val('float32', [2, 3], new Array(6).fill(0)), val('float32', [3], [0, 0, 0])]), 'EF1004');
  throwsCode(() => macsOf('FullyConnected', [{ dtype: 'float32', shape: [1e6, 1e3] }, { dtype: 'float32', shape: [1e3, 1e3] }]), 'EF1007');
  assert.equal(macsOf('FullyConnected', [{ dtype: 'float32', shape: [2, 3, 64] }, { dtype: 'float32', shape: [10, 64] }]), 6 * 64 * 10);
});

/** Naive numpy matmul on coordinates. */
function naiveMatMul(a: Value, b: Value): { shape: number[]; data: number[] } {
  const A = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const B = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const M = A[A.length - 2];
  const K = A[A.length - 1];
  const N = B[B.length - 1];
  const ab = A.slice(0, -2);
  const bb = B.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) batch.push(Math.max(ab[ab.length - r + i] ?? 1, bb[bb.length - r + i] ?? 1));
  const full = [...batch, M, N];
  const data: number[] = [];
  const index = (shape: number[], bshape: number[], coord: number[], row: number, col: number) => {
    // batch coordinates aligned right, broadcast dims read index 0
    let off = 0;
    const bc = coord.slice(coord.length - bshape.length);
    for (let i = 0; i < bshape.length; i++) off = off * bshape[i] + (bshape[i] === 1 ? 0 : bc[i]);
    return (off * shape[shape.length - 2] + row) * shape[shape.length - 1] + col;
  };
  for (let i = 0; i < size(full); i++) {
    const c = unravel(i, full);
    const bcoord = c.slice(0, -2);
    const [m, n] = c.slice(-2);
    let s = 0;
    for (let k = 0; k < K; k++) s += a.data[index(A, ab, bcoord, m, k)] * b.data[index(B, bb, bcoord, k, n)];
    data.push(s);
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(M);
  if (b.shape.length > 1) shape.push(N);
  return { shape, data };
}

test('MatMul: numpy semantics (1-D promotion, batch broadcasting) match the naive reference', () => {
  const r = rng(5);
  const fixed: [number[], number[]][] = [
    [[4], [4]],
    [[4], [2, 4, 3]],
    [[2, 3, 4], [4]],
    [[1, 3, 5, 4], [2, 1, 4, 2]],
    [[3, 4], [2, 4, 6]],
    [[5, 1], [1, 7]],
  ];
  for (let t = 0; t < 40; t++) {
    let as: number[];
    let bs: number[];
    if (t < fixed.length) [as, bs] = fixed[t];
    else {
      const K = randInt(r, 1, 6);
      const batch = Array.from({ length: randInt(r, 0, 2) }, () => randInt(r, 1, 3));
      const ba = batch.map((d) => (r() < 0.3 ? 1 : d)).slice(randInt(r, 0, batch.length));
      const bb = batch.map((d) => (r() < 0.3 ? 1 : d));
      as = r() < 0.15 ? [K] : [...ba, randInt(r, 1, 5), K];
      bs = r() < 0.15 ? [K] : [...bb, K, randInt(r, 1, 5)];
    }
    const a = randVal(r, as);
    const b = randVal(r, bs);
    const ref = naiveMatMul(a, b);
    assertClose(run('MatMul', [a, b])[0], ref.shape, ref.data, 1e-6, 1e-5, `[${as}]·[${bs}]`);
  }
});

test('MatMul: hand values, errors, macs', () => {
  // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]
  assertClose(run('MatMul', [val('float32', [2, 2], [1, 2, 3, 4]), val('float32', [2, 2], [5, 6, 7, 8])])[0], [2, 2], [19, 22, 43, 50]);
  // 1-D · 1-D = scalar: 1*4+2*5+3*6 = 32
  assertClose(run('MatMul', [val('float32', [3], [1, 2, 3]), val('float32', [3], [4, 5, 6])])[0], [], [32]);
  throwsCode(() => run('MatMul', [val('float32', [2, 3], new Array(6).fill(0)), val('float32', [2, 3], new Array(6).fill(0))]), 'EF1004');
  throwsCode(() => run('MatMul', [val('float32', [2, 2, 3], new Array(12).fill(0)), val('float32', [3, 3, 1], new Array(9).fill(0))]), 'EF1004');
  throwsCode(() => run('MatMul', [val('float32', [2, 3], new Array(6).fill(0)), val('int8', [3, 1], [0, 0, 0])]), 'EF1005');
  assert.equal(macsOf('MatMul', [{ dtype: 'float32', shape: [2, 1, 3, 4] }, { dtype: 'float32', shape: [5, 4, 6] }]), 2 * 5 * 3 * 4 * 6);
});
