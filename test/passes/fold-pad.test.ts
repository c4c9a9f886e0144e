// fold-pad on int8 and float graphs: Pad (zero point fill) + Conv(VALID) and the folded Conv with explicit pads
// give the same bytes in the integer simulator — each side runs kernels that equal TFLM elsewhere (PAD, CONV_2D,
// DEPTHWISE_CONV_2D in test/verify/tflm-random.test.ts), so the property is checked independently of the fold.
// Pads the fold must not touch (non-zero fill, channel pads, two readers) stay.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, type Graph, type QuantParams } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import { foldPad } from '../../src/passes/fold-pad.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { runFloat } from '../../src/sim/float.js';

interface Case {
  label: string;
  xs: number[];
  pads: number[]; // IR Pad order: begins [N,H,W,C], then ends
  k: number;
  stride: number;
  depthwise: boolean;
  zp: number;
}

const CASES: Case[] = [
  { label: 'stride 2, pad 1 all round (PyTorch on an even input)', xs: [1, 8, 8, 3], pads: [0, 1, 1, 0, 0, 1, 1, 0], k: 3, stride: 2, depthwise: false, zp: -7 },
  { label: 'asymmetric pads, stride 1', xs: [1, 5, 6, 2], pads: [0, 2, 0, 0, 0, 1, 3, 0], k: 3, stride: 1, depthwise: false, zp: 33 },
  { label: 'depthwise, stride 2', xs: [1, 9, 7, 4], pads: [0, 1, 1, 0, 0, 1, 1, 0], k: 3, stride: 2, depthwise: true, zp: -128 },
  { label: 'Conv1d as 1xN (pads on W only)', xs: [1, 1, 16, 2], pads: [0, 0, 2, 0, 0, 0, 2, 0], k: 5, stride: 2, depthwise: false, zp: 5 },
];

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s >>> 24);
}

function padConv(c: Case, o: { value?: number; twoReaders?: boolean } = {}): Graph {
  const b = new GraphBuilder({ format: 'espforge' });
  const next = seeded(c.xs.reduce((a, d) => a * 31 + d, c.zp + 1000));
  const qx: QuantParams = { scale: [0.05], zeroPoint: [c.zp], axis: 0 };
  const C = c.xs[3];
  const cout = c.depthwise ? C : 5;
  const kh = c.xs[1] === 1 ? 1 : c.k;
  const ps = c.xs.map((d, a) => d + c.pads[a] + c.pads[a + 4]);
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: c.xs, quant: qx });
  const p = b.tensor({ name: 'p', dtype: 'int8', shape: ps, quant: qx });
  b.node({ op: 'Pad', name: 'pad', inputs: [x], outputs: [p], attrs: { pads: c.pads, mode: 'constant', value: o.value ?? 0 } });
  const wShape = c.depthwise ? [C, kh, c.k, 1] : [cout, kh, c.k, C];
  const n = wShape.reduce((a, d) => a * d, 1);
  const w = b.constant('w', 'int8', wShape, Int8Array.from({ length: n }, () => next() - 128));
  b.tensors[w].quant = { scale: Array.from({ length: cout }, (_, i) => 0.01 + 0.002 * i), zeroPoint: new Array(cout).fill(0), axis: 0 };
  const bias = b.constant('b', 'int32', [cout], Int32Array.from({ length: cout }, (_, i) => (i - 2) * 37));
  b.tensors[bias].quant = { scale: Array.from({ length: cout }, (_, i) => 0.05 * (0.01 + 0.002 * i)), zeroPoint: new Array(cout).fill(0), axis: 0 };
  const oh = Math.floor((ps[1] - kh) / (kh === 1 ? 1 : c.stride)) + 1;
  const ow = Math.floor((ps[2] - c.k) / c.stride) + 1;
  const y = b.tensor({ name: 'y', dtype: 'int8', shape: [1, oh, ow, cout], quant: { scale: [0.09], zeroPoint: [3], axis: 0 } });
  const strides = [kh === 1 ? 1 : c.stride, c.stride];
  b.node({ op: 'Conv', name: 'conv', inputs: [p, w, bias], outputs: [y], attrs: { strides, dilations: [1, 1], pads: [0, 0, 0, 0], group: c.depthwise ? C : 1, activation: 'none' } });
  b.inputs = [x];
  b.outputs = o.twoReaders ? [y, p] : [y];
  return b.build();
}

test('fold-pad: Pad(zero point) + Conv(VALID) and the folded Conv give the same int8 bytes', () => {
  for (const c of CASES) {
    const g = padConv(c);
    const f = foldPad(g);
    assert.deepEqual(verifyGraph(f), [], c.label);
    assert.deepEqual(f.nodes.map((n) => n.op), ['Conv'], c.label);
    assert.deepEqual(f.nodes[0].attrs.pads, [c.pads[1], c.pads[2], c.pads[5], c.pads[6]], c.label);
    const [a, b] = [prepareIntGraph(g), prepareIntGraph(f)];
    const next = seeded(99 + c.zp);
    for (let k = 0; k < 3; k++) {
      const x = { dtype: 'int8' as const, shape: c.xs, data: Int8Array.from({ length: c.xs.reduce((s, d) => s * d, 1) }, () => next() - 128) };
      const ya = runInt(a, [x]).outputs[0].data;
      const yb = runInt(b, [x]).outputs[0].data;
      assert.deepEqual(Array.from(yb), Array.from(ya), `${c.label}, case ${k}`);
    }
  }
});

test('fold-pad leaves a Pad with another fill, on channels, or with a second reader', () => {
  const c = CASES[0];
  assert.deepEqual(foldPad(padConv(c, { value: 0.5 })).nodes.map((n) => n.op), ['Pad', 'Conv']);
  assert.deepEqual(foldPad(padConv(c, { twoReaders: true })).nodes.map((n) => n.op), ['Pad', 'Conv']);
  assert.deepEqual(foldPad(padConv({ ...c, pads: [0, 1, 1, 1, 0, 1, 1, 0] })).nodes.map((n) => n.op), ['Pad', 'Conv']);
});

test('fold-pad on a float graph keeps the float output', () => {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 6, 6, 2] });
  const p = b.tensor({ name: 'p', dtype: 'float32', shape: [1, 8, 8, 2] });
  b.node({ op: 'Pad', name: 'pad', inputs: [x], outputs: [p], attrs: { pads: [0, 1, 1, 0, 0, 1, 1, 0], mode: 'constant', value: 0 } });
  const w = b.constant('w', 'float32', [3, 3, 3, 2], Float32Array.from({ length: 54 }, (_, i) => Math.sin(i)));
  const y = b.tensor({ name: 'y', dtype: 'float32', shape: [1, 3, 3, 3] });
  b.node({ op: 'Conv', name: 'conv', inputs: [p, w], outputs: [y], attrs: { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 } });
  b.inputs = [x];
  b.outputs = [y];
  const g = b.build();
  const f = foldPad(g);
  assert.deepEqual(f.nodes.map((n) => n.op), ['Conv']);
  const xin = { dtype: 'float32' as const, shape: [1, 6, 6, 2], data: Float32Array.from({ length: 72 }, (_, i) => Math.cos(i * 0.3)) };
  assert.deepEqual(Array.from(runFloat(f, [xin]).outputs[0].data), Array.from(runFloat(g, [xin]).outputs[0].data));
});
