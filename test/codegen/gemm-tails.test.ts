// The int8 GEMM of kernels/conv.c (sections gemm and gemmr: 1x1 convolutions and fully connected layers) takes two k
// per loop turn in its 2-row x 8-column tile, an odd depth ending with one single step, and runs its rows in bands
// (all rows: ef_gemm_s8, column-major; two rows: ef_gemmr_s8, pixel-major, used when the output overlaps the input).
// These shapes reach every tail: depths 1, 2, 3, 5, 7, 9, 33 (odd: the single step after the pairs; 1: no pair at
// all), odd row counts (the last row alone), column counts that leave blocks of 4 and single columns. The generated C
// (host gcc, ASan/UBSan) must equal both the integer simulator and an independent reference written here from
// TFLite's published arithmetic (QuantizeMultiplier from the float32 scales, MultiplyByQuantizedMultiplier with
// SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, in BigInt), which shares no code with the simulator.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';

interface Case {
  rows: number;
  depth: number;
  cols: number;
  fc: boolean;
  overlap: boolean;
}

// every scale a small multiple of a power of two, so its float32 rounding (TFLite stores scales as float32) is exact
const IN_S = 2 ** -6;
const IN_ZP = -9;
const OUT_ZP = 5;
const wScale = (o: number) => 2 ** -8 * (1 + (o % 7) / 8);

function weights(n: number, seed: number): Int8Array {
  const a = new Int8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = ((s >>> 16) % 256) - 128;
  }
  return a;
}

function model(c: Case): { g: Graph; w: Int8Array; bias: Int32Array; outS: number } {
  const b = new GraphBuilder({ format: 'espforge', source: 'gemm-tails' });
  const w = weights(c.cols * c.depth, 7 + c.depth * 31 + c.cols);
  const bias = Int32Array.from({ length: c.cols }, (_, o) => 613 * o - 4000);
  // about half the int8 range for a typical sum of `depth` products
  const outS = 2 ** Math.round(Math.log2((IN_S * 2 ** -8 * 128 * 64 * Math.sqrt(c.depth)) / 64));
  const side = c.fc ? undefined : [1, c.rows, 1];
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: side ? [...side, c.depth] : [c.rows, c.depth], quant: { scale: [IN_S], zeroPoint: [IN_ZP], axis: 0 } });
  const wq = { scale: Array.from({ length: c.cols }, (_, o) => wScale(o)), zeroPoint: new Array(c.cols).fill(0), axis: 0 };
  const wt = b.tensor({ name: 'w', dtype: 'int8', shape: c.fc ? [c.cols, c.depth] : [c.cols, 1, 1, c.depth], data: w, quant: wq });
  const bt = b.tensor({ name: 'b', dtype: 'int32', shape: [c.cols], data: bias });
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: side ? [...side, c.cols] : [c.rows, c.cols], quant: { scale: [outS], zeroPoint: [OUT_ZP], axis: 0 } });
  b.inputs = [x];
  b.outputs = [y];
  if (c.fc) b.node({ op: 'FullyConnected', name: 'fc', inputs: [x, wt, bt], outputs: [y], attrs: { activation: 'none' } });
  else b.node({ op: 'Conv', name: 'conv', inputs: [x, wt, bt], outputs: [y], attrs: { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' } });
  return { g: prepareIntGraph(b.build()), w, bias, outS };
}

// ---- independent reference: TFLite's QuantizeMultiplier and MultiplyByQuantizedMultiplier (int32, per channel)

function quantizeMultiplier(m: number): [bigint, number] {
  if (m === 0) return [0n, 0];
  let e = Math.floor(Math.log2(m)) + 1;
  let f = m / 2 ** e;
  if (f >= 1) (f /= 2), e++;
  if (f < 0.5) (f *= 2), e--;
  let q = Math.round(f * 2 ** 31);
  if (q === 2 ** 31) (q /= 2), e++;
  return [BigInt(q), e];
}

const I32_MIN = -(2n ** 31n);
function srdhm(a: bigint, b: bigint): bigint {
  if (a === I32_MIN && b === I32_MIN) return 2n ** 31n - 1n;
  const ab = a * b;
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const s = ab + nudge;
  // C++ integer division truncates toward zero
  const d = 1n << 31n;
  return s >= 0n ? s / d : -(-s / d);
}
function rdbpot(x: bigint, e: number): bigint {
  const E = BigInt(e);
  const mask = (1n << E) - 1n;
  const rem = x & mask;
  const thr = (mask >> 1n) + (x < 0n ? 1n : 0n);
  return (x >> E) + (rem > thr ? 1n : 0n);
}
const wrap32 = (v: bigint) => BigInt.asIntN(32, v);

function reference(c: Case, w: Int8Array, bias: Int32Array, outS: number, x: ArrayLike<number>): number[] {
  const out: number[] = [];
  const mults = Array.from({ length: c.cols }, (_, o) => quantizeMultiplier((IN_S * wScale(o)) / outS));
  for (let p = 0; p < c.rows; p++)
    for (let o = 0; o < c.cols; o++) {
      let acc = BigInt(bias[o]);
      for (let k = 0; k < c.depth; k++) acc += BigInt(w[o * c.depth + k]) * BigInt(x[p * c.depth + k] - IN_ZP);
      const [M, shift] = mults[o];
      const left = shift > 0 ? shift : 0;
      const right = shift > 0 ? 0 : -shift;
      const v = Number(rdbpot(srdhm(wrap32(acc * (1n << BigInt(left))), M), right)) + OUT_ZP;
      out.push(Math.min(127, Math.max(-128, v)));
    }
  return out;
}

test('int8 GEMM tails (odd depth, odd rows, 4- and 1-column blocks; column- and pixel-major): C = simulator = a BigInt TFLite reference', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const cases: Case[] = [];
  for (const depth of [1, 2, 3, 5, 7, 9, 33])
    for (const [rows, cols] of [[7, 8], [5, 13], [4, 21], [1, 16]]) cases.push({ rows, depth, cols, fc: false, overlap: false });
  for (const [rows, depth, cols] of [[9, 3, 16], [15, 9, 13], [6, 5, 24], [3, 1, 12]]) cases.push({ rows, depth, cols, fc: false, overlap: true });
  for (const [rows, depth, cols] of [[3, 17, 10], [1, 2, 9], [2, 35, 8]]) cases.push({ rows, depth, cols, fc: true, overlap: false });
  let pixelMajor = 0;
  for (const c of cases) {
    const label = `${c.fc ? 'FC' : '1x1'} rows ${c.rows} depth ${c.depth} cols ${c.cols}${c.overlap ? ' overlapped' : ''}`;
    const { g, w, bias, outS } = model(c);
    const e = emitC(g, { name: 'gt', ...(c.overlap ? { overlapAt: 'below' as const, planAlignment: 1 } : { overlap: false }) });
    if (c.overlap) {
      if (e.kernels.includes('gemmr')) pixelMajor++;
      else assert.ok(e.kernels.includes('gemm'), `${label}: built with ${e.kernels.join(',')}`);
    } else assert.ok(e.kernels.includes('gemm') && !e.kernels.includes('gemmr'), `${label}: built with ${e.kernels.join(',')}, not gemm alone`);
    const n = shapeSize(g.tensors[g.inputs[0]].shape);
    const runs = [0, 1].map((k) => {
      const inputs = [k === 0 ? new Array<number>(n).fill(-128) : pseudoRandomInput(n, 'int8', 900 + c.depth * 13 + c.rows + k)];
      // the simulator and the harness give the output bytes (two's complement read as 0..255); as int8 here
      const sim = simulate(g, inputs)[0].map((v) => (v << 24) >> 24);
      const ref = reference(c, w, bias, outS, inputs[0]);
      assert.deepEqual(sim, ref, `${label}: simulator vs the BigInt reference, case ${k}`);
      return { name: `c${k}`, inputs, expected: [ref] };
    });
    const run = runHost(e.files, harnessSpec(g, e.prefix), runs, true);
    run.cases.forEach((r, k) => assert.deepEqual(Array.from(r.outputs[0], (v) => (v << 24) >> 24), runs[k].expected[0], `${label}: C (ASan/UBSan) vs the reference, case ${k}`));
  }
  // the overlapped cases must really reach the pixel-major kernel
  assert.ok(pixelMajor >= 3, `only ${pixelMajor} overlapped cases were built with gemmr`);
});
