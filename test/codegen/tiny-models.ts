// Tiny int8 models built in code (no downloads) for the C generator's golden files and fit-check tests.
// Weights come from a fixed integer recurrence so the files are reproducible.

import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

function bytes(n: number, seed: number, span = 255): Int8Array {
  const a = new Int8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = ((s >>> 16) % span) - (span >> 1);
  }
  return a;
}

/**
 * tiny_conv: 8x8x2 input → 3x3 conv (4 ch, SAME, relu) → depthwise 3x3 stride 2 → 1x1 conv (6 ch)
 * → average pool 2x2 → reshape → fully connected (3) → softmax. Per-channel weight scales.
 */
export function tinyConvModel(): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'tiny_conv' });
  const x = b.tensor({ name: 'input', dtype: 'int8', shape: [1, 8, 8, 2], quant: q(0.02, -5) });
  const w1 = b.tensor({ name: 'conv1/w', dtype: 'int8', shape: [4, 3, 3, 2], data: bytes(72, 1), quant: { scale: [0.01, 0.012, 0.008, 0.011], zeroPoint: [0, 0, 0, 0], axis: 0 } });
  const b1 = b.tensor({ name: 'conv1/b', dtype: 'int32', shape: [4], data: new Int32Array([120, -340, 55, 0]) });
  const y1 = b.tensor({ name: 'conv1', dtype: 'int8', shape: [1, 8, 8, 4], quant: q(0.03, -128) });
  const w2 = b.tensor({ name: 'dw/w', dtype: 'int8', shape: [4, 3, 3, 1], data: bytes(36, 2), quant: { scale: [0.02, 0.015, 0.018, 0.021], zeroPoint: [0, 0, 0, 0], axis: 0 } });
  const b2 = b.tensor({ name: 'dw/b', dtype: 'int32', shape: [4], data: new Int32Array([10, 20, -30, 40]) });
  const y2 = b.tensor({ name: 'dw', dtype: 'int8', shape: [1, 4, 4, 4], quant: q(0.05, 3) });
  const w3 = b.tensor({ name: 'pw/w', dtype: 'int8', shape: [6, 1, 1, 4], data: bytes(24, 3), quant: { scale: [0.01, 0.02, 0.03, 0.01, 0.02, 0.03], zeroPoint: new Array(6).fill(0), axis: 0 } });
  const y3 = b.tensor({ name: 'pw', dtype: 'int8', shape: [1, 4, 4, 6], quant: q(0.04, -2) });
  const y4 = b.tensor({ name: 'pool', dtype: 'int8', shape: [1, 2, 2, 6], quant: q(0.04, -2) });
  const r = b.tensor({ name: 'flat', dtype: 'int8', shape: [1, 24], quant: q(0.04, -2) });
  const wf = b.tensor({ name: 'fc/w', dtype: 'int8', shape: [3, 24], data: bytes(72, 4), quant: q(0.02, 0) });
  const bf = b.tensor({ name: 'fc/b', dtype: 'int32', shape: [3], data: new Int32Array([-50, 60, 7]) });
  const z = b.tensor({ name: 'logits', dtype: 'int8', shape: [1, 3], quant: q(0.1, 4) });
  const sm = b.tensor({ name: 'probs', dtype: 'int8', shape: [1, 3], quant: q(1 / 256, -128) });
  b.inputs = [x];
  b.outputs = [sm];
  b.node({ op: 'Conv', name: 'conv1', inputs: [x, w1, b1], outputs: [y1], attrs: { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, activation: 'relu' } });
  b.node({ op: 'Conv', name: 'dw', inputs: [y1, w2, b2], outputs: [y2], attrs: { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 1, 1], group: 4, activation: 'relu6' } });
  b.node({ op: 'Conv', name: 'pw', inputs: [y2, w3, -1], outputs: [y3], attrs: { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' } });
  b.node({ op: 'AveragePool', name: 'pool', inputs: [y3], outputs: [y4], attrs: { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil_mode: 0, count_include_pad: 0, activation: 'none' } });
  b.node({ op: 'Reshape', name: 'flat', inputs: [y4], outputs: [r], attrs: { shape: [1, 24] } });
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [r, wf, bf], outputs: [z], attrs: { activation: 'none' } });
  b.node({ op: 'Softmax', name: 'softmax', inputs: [z], outputs: [sm], attrs: { axis: -1 } });
  return prepareIntGraph(b.build());
}

/** A fully connected layer with `k*n` int8 weights (for the flash / partition check). */
export function bigFcModel(k: number, n: number): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'big_fc' });
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, k], quant: q(0.05, 0) });
  const w = b.tensor({ name: 'w', dtype: 'int8', shape: [n, k], data: bytes(n * k, 7), quant: q(0.001, 0) });
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: [1, n], quant: q(0.5, 0) });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [x, w, -1], outputs: [y], attrs: { activation: 'none' } });
  return prepareIntGraph(b.build());
}

/** Two chained 3x3 convs on an HxWxC image (for the RAM check). */
export function wideConvModel(h: number, w: number, c: number): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'wide_conv' });
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, h, w, 1], quant: q(0.02, 0) });
  const w1 = b.tensor({ name: 'w1', dtype: 'int8', shape: [c, 3, 3, 1], data: bytes(9 * c, 8), quant: q(0.01, 0) });
  const y1 = b.tensor({ name: 'y1', dtype: 'int8', shape: [1, h, w, c], quant: q(0.05, 0) });
  const w2 = b.tensor({ name: 'w2', dtype: 'int8', shape: [c, 3, 3, c], data: bytes(9 * c * c, 9), quant: q(0.01, 0) });
  const y2 = b.tensor({ name: 'y2', dtype: 'int8', shape: [1, h, w, c], quant: q(0.05, 0) });
  b.inputs = [x];
  b.outputs = [y2];
  const attrs = { strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, activation: 'relu' };
  b.node({ op: 'Conv', name: 'c1', inputs: [x, w1, -1], outputs: [y1], attrs });
  b.node({ op: 'Conv', name: 'c2', inputs: [y1, w2, -1], outputs: [y2], attrs });
  return prepareIntGraph(b.build());
}

/**
 * espnn_mix: the ESP-NN calls person_detect does not make: 8x8x8 input → max pool 2x2 → 1x1 conv (8 ch) →
 * mul(pool, conv) → add(mul, conv) → reshape → fully connected 128→16 with per-channel weight scales (rows and
 * channels multiples of 8, as ESP-NN's S3 fully connected documents).
 */
export function espnnMixModel(): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'espnn_mix' });
  const x = b.tensor({ name: 'input', dtype: 'int8', shape: [1, 8, 8, 8], quant: q(0.05, 3) });
  const mp = b.tensor({ name: 'pool', dtype: 'int8', shape: [1, 4, 4, 8], quant: q(0.05, 3) });
  const w = b.tensor({ name: 'pw/w', dtype: 'int8', shape: [8, 1, 1, 8], data: bytes(64, 7), quant: { scale: [0.01, 0.02, 0.015, 0.01, 0.012, 0.018, 0.02, 0.011], zeroPoint: new Array(8).fill(0), axis: 0 } });
  const wb = b.tensor({ name: 'pw/b', dtype: 'int32', shape: [8], data: new Int32Array([5, -9, 100, 0, -40, 17, 3, 8]) });
  const c = b.tensor({ name: 'pw', dtype: 'int8', shape: [1, 4, 4, 8], quant: q(0.06, -4) });
  const m = b.tensor({ name: 'mul', dtype: 'int8', shape: [1, 4, 4, 8], quant: q(0.1, 2) });
  const a = b.tensor({ name: 'add', dtype: 'int8', shape: [1, 4, 4, 8], quant: q(0.12, -1) });
  const r = b.tensor({ name: 'flat', dtype: 'int8', shape: [1, 128], quant: q(0.12, -1) });
  const wf = b.tensor({ name: 'fc/w', dtype: 'int8', shape: [16, 128], data: bytes(2048, 8), quant: { scale: Array.from({ length: 16 }, (_, k) => 0.004 + 0.0005 * k), zeroPoint: new Array(16).fill(0), axis: 0 } });
  const bf = b.tensor({ name: 'fc/b', dtype: 'int32', shape: [16], data: Int32Array.from({ length: 16 }, (_, k) => 37 * k - 200) });
  const z = b.tensor({ name: 'out', dtype: 'int8', shape: [1, 16], quant: q(0.25, 1) });
  b.inputs = [x];
  b.outputs = [z];
  b.node({ op: 'MaxPool', name: 'pool', inputs: [x], outputs: [mp], attrs: { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil_mode: 0, activation: 'none' } });
  b.node({ op: 'Conv', name: 'pw', inputs: [mp, w, wb], outputs: [c], attrs: { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' } });
  b.node({ op: 'Mul', name: 'mul', inputs: [mp, c], outputs: [m], attrs: { activation: 'none' } });
  b.node({ op: 'Add', name: 'add', inputs: [m, c], outputs: [a], attrs: { activation: 'relu' } });
  b.node({ op: 'Reshape', name: 'flat', inputs: [a], outputs: [r], attrs: { shape: [1, 128] } });
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [r, wf, bf], outputs: [z], attrs: { activation: 'none' } });
  return prepareIntGraph(b.build());
}
