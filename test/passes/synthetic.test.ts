// Each pass on small hand-built graphs covering the patterns it rewrites: the float output before and after
// the pass agree (property: a pass must not change what the graph computes), the graph verifies, and the
// expected nodes are gone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import type { Value } from '../../src/ops/types.js';
import { PASSES, runPasses, tracePasses } from '../../src/passes/index.js';
import { runFloat } from '../../src/sim/float.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
const r = rng(42);
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => r() * 2 * scale);
const pos = (n: number) => Float32Array.from({ length: n }, () => 0.5 + r() + 0.5);

function outputsOf(g: Graph, x: Value): Float32Array {
  return runFloat(g, [x]).outputs[0].data as Float32Array;
}

function checkSame(g0: Graph, g1: Graph, x: Value, tol = 1e-4) {
  assert.deepEqual(verifyGraph(g1), []);
  const a = outputsOf(g0, x);
  const b = outputsOf(g1, x);
  assert.equal(a.length, b.length);
  let maxRef = 0;
  for (const v of a) maxRef = Math.max(maxRef, Math.abs(v));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, maxRef), `output ${i}: ${a[i]} vs ${b[i]}`);
}

function bn(b: GraphBuilder, name: string, x: number, C: number, shape: number[]): number {
  const y = b.tensor({ name: `${name}_y`, dtype: 'float32', shape });
  b.node({
    op: 'BatchNormalization',
    name,
    inputs: [x, b.constant(`${name}_s`, 'float32', [C], rand(C, 2)), b.constant(`${name}_b`, 'float32', [C], rand(C)), b.constant(`${name}_m`, 'float32', [C], rand(C)), b.constant(`${name}_v`, 'float32', [C], pos(C))],
    outputs: [y],
    attrs: { epsilon: 1e-5 },
  });
  return y;
}

function convBnReluGraph(): Graph {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [-1, 6, 6, 3] });
  b.inputs = [x];
  const c1 = b.tensor({ name: 'c1', dtype: 'float32', shape: [1, 4, 4, 4] });
  const x0 = bn(b, 'bn0', x, 3, [1, 6, 6, 3]);
  b.node({ op: 'Conv', name: 'conv1', inputs: [x0, b.constant('w1', 'float32', [4, 3, 3, 3], rand(108)), b.constant('b1', 'float32', [4], rand(4))], outputs: [c1], attrs: {} });
  const y1 = bn(b, 'bn1', c1, 4, [1, 4, 4, 4]);
  const r1 = b.tensor({ name: 'r1', dtype: 'float32', shape: [1, 4, 4, 4] });
  b.node({ op: 'Relu', name: 'relu1', inputs: [y1], outputs: [r1], attrs: {} });
  // depthwise conv without bias, then BN, then Clip(0,6)
  const c2 = b.tensor({ name: 'c2', dtype: 'float32', shape: [1, 4, 4, 4] });
  b.node({ op: 'Conv', name: 'dw', inputs: [r1, b.constant('w2', 'float32', [4, 3, 3, 1], rand(36))], outputs: [c2], attrs: { group: 4, pads: [1, 1, 1, 1] } });
  const y2 = bn(b, 'bn2', c2, 4, [1, 4, 4, 4]);
  const r2 = b.tensor({ name: 'r2', dtype: 'float32', shape: [1, 4, 4, 4] });
  b.node({ op: 'Clip', name: 'relu6', inputs: [y2], outputs: [r2], attrs: { min: 0, max: 6 } });
  // standalone BN (input is a graph-level Identity output), then reshape + FC + BN
  const id = b.tensor({ name: 'id', dtype: 'float32', shape: [1, 4, 4, 4] });
  b.node({ op: 'Identity', name: 'ident', inputs: [r2], outputs: [id], attrs: {} });
  const mp = b.tensor({ name: 'mp', dtype: 'float32', shape: [1, 2, 2, 4] });
  b.node({ op: 'MaxPool', name: 'pool', inputs: [id], outputs: [mp], attrs: { kernel: [2, 2], strides: [2, 2] } });
  const y3 = bn(b, 'bn3', mp, 4, [1, 2, 2, 4]);
  const shp = b.tensor({ name: 'flat', dtype: 'float32', shape: [1, 16] });
  b.node({ op: 'Reshape', name: 'flatten', inputs: [y3], outputs: [shp], attrs: { shape: [-1, 16] } });
  const f = b.tensor({ name: 'f', dtype: 'float32', shape: [1, 5] });
  b.node({ op: 'FullyConnected', name: 'fc', inputs: [shp, b.constant('wf', 'float32', [5, 16], rand(80)), b.constant('bf', 'float32', [5], rand(5))], outputs: [f], attrs: {} });
  const y4 = bn(b, 'bn4', f, 5, [1, 5]);
  b.outputs = [y4];
  return b.build();
}

function matmulAddGraph(): Graph {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [-1, 8] });
  b.inputs = [x];
  // weight built by a constant subgraph: Reshape(const) then Transpose (folded by canonicalise)
  const wr = b.tensor({ name: 'wr', dtype: 'float32', shape: [6, 8] });
  b.node({ op: 'Reshape', name: 'wreshape', inputs: [b.constant('w_flat', 'float32', [48], rand(48))], outputs: [wr], attrs: { shape: [6, 8] } });
  const wt = b.tensor({ name: 'wt', dtype: 'float32', shape: [8, 6] });
  b.node({ op: 'Transpose', name: 'wtrans', inputs: [wr], outputs: [wt], attrs: { perm: [1, 0] } });
  const m = b.tensor({ name: 'm', dtype: 'float32', shape: [1, 6] });
  b.node({ op: 'MatMul', name: 'mm', inputs: [x, wt], outputs: [m], attrs: {} });
  const a = b.tensor({ name: 'a', dtype: 'float32', shape: [1, 6] });
  b.node({ op: 'Add', name: 'bias', inputs: [b.constant('bias', 'float32', [1, 6], rand(6)), m], outputs: [a], attrs: {} });
  const rl = b.tensor({ name: 'rl', dtype: 'float32', shape: [1, 6] });
  b.node({ op: 'Relu', name: 'relu', inputs: [a], outputs: [rl], attrs: {} });
  // a Relu whose input has two readers must stay
  const s = b.tensor({ name: 's', dtype: 'float32', shape: [1, 6] });
  b.node({ op: 'Sub', name: 'sub', inputs: [rl, a], outputs: [s], attrs: {} });
  b.outputs = [s];
  return b.build();
}

test('pipeline on conv/BN/relu/FC graph: same output, BN and activations folded', () => {
  const g0 = convBnReluGraph();
  assert.deepEqual(verifyGraph(g0), []);
  const x: Value = { dtype: 'float32', shape: [1, 6, 6, 3], data: rand(108, 3) };
  const { graph, steps } = tracePasses(g0, undefined, { dumpAfter: 'all' });
  assert.deepEqual(steps.map((s) => s.name), PASSES.map((p) => p.name));
  for (const s of steps) checkSame(g0, s.graph!, x);
  const ops = graph.nodes.map((n) => n.op);
  // bn1, bn2, bn4 fold into conv/dw/fc; bn3 (after MaxPool, before Reshape → FC) folds forward into the FC;
  // bn0 on the graph input becomes Mul + Add; Identity dropped; Relu, Clip fused
  assert.deepEqual(ops, ['Mul', 'Add', 'Conv', 'Conv', 'MaxPool', 'Reshape', 'FullyConnected']);
  assert.equal(graph.nodes[2].attrs.activation, 'relu');
  assert.equal(graph.nodes[3].attrs.activation, 'relu6');
  assert.deepEqual(graph.tensors[graph.inputs[0]].shape, [1, 6, 6, 3]);
  assert.equal(graph.tensors[graph.outputs[0]].name, 'bn4_y');
});

test('constant folding, MatMul → FullyConnected, bias folding; a shared Relu input stays unfused', () => {
  const g0 = matmulAddGraph();
  const x: Value = { dtype: 'float32', shape: [1, 8], data: rand(8, 2) };
  const c = runPasses(g0, ['canonicalise']);
  checkSame(g0, c, x);
  assert.deepEqual(c.nodes.map((n) => n.op), ['MatMul', 'Add', 'Relu', 'Sub']);
  const g = runPasses(g0);
  checkSame(g0, g, x);
  // Add(bias) folds into the FC; the Relu cannot fuse because its input is also read by Sub
  assert.deepEqual(g.nodes.map((n) => n.op), ['FullyConnected', 'Relu', 'Sub']);
});

/** x → HardSigmoid(alpha, beta) → Mul with `other` (x itself unless given); returns the graph. */
function hardSigmoidMulGraph(alpha: number, beta: number, opts: { swap?: boolean; otherIsY?: boolean; gateAlsoOut?: boolean } = {}): Graph {
  const b = new GraphBuilder({ format: 'espforge' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 16] });
  b.inputs = [x];
  const h = b.tensor({ name: 'h', dtype: 'float32', shape: [1, 16] });
  b.node({ op: 'HardSigmoid', name: 'hsig', inputs: [x], outputs: [h], attrs: { alpha, beta } });
  let other = x;
  if (opts.otherIsY) {
    other = b.tensor({ name: 't', dtype: 'float32', shape: [1, 16] });
    b.node({ op: 'Tanh', name: 'tanh', inputs: [x], outputs: [other], attrs: {} });
  }
  const y = b.tensor({ name: 'y', dtype: 'float32', shape: [1, 16] });
  b.node({ op: 'Mul', name: 'mul', inputs: opts.swap ? [h, other] : [other, h], outputs: [y], attrs: {} });
  b.outputs = opts.gateAlsoOut ? [y, h] : [y];
  return b.build();
}

test('fuse-hardswish: PyTorch opset-13 nn.Hardswish (HardSigmoid(1/6, 1/2) times x, either operand order) becomes HardSwish', () => {
  const x: Value = { dtype: 'float32', shape: [1, 16], data: Float32Array.from({ length: 16 }, (_, i) => -4.5 + i * 0.6) };
  for (const swap of [false, true]) {
    const g0 = hardSigmoidMulGraph(Math.fround(1 / 6), 0.5, { swap });
    const g = runPasses(g0, ['fuse-hardswish']);
    checkSame(g0, g, x, 1e-6);
    assert.deepEqual(g.nodes.map((n) => n.op), ['HardSwish']);
    assert.equal(g.nodes[0].name, 'mul');
    assert.equal(g.tensors[g.outputs[0]].name, 'y');
    // independent formula: x * relu6(x + 3) / 6
    const out = outputsOf(g, x);
    (x.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(out[i] - (v * Math.min(Math.max(v + 3, 0), 6)) / 6) < 1e-5));
  }
  // not the pattern: other constants, a Mul by something else, a gate that is also read elsewhere
  for (const [g0, why] of [
    [hardSigmoidMulGraph(0.2, 0.5), 'ONNX default alpha'],
    [hardSigmoidMulGraph(Math.fround(1 / 6), 0.6), 'beta 0.6'],
    [hardSigmoidMulGraph(Math.fround(1 / 6), 0.5, { otherIsY: true }), 'Mul by another tensor'],
    [hardSigmoidMulGraph(Math.fround(1 / 6), 0.5, { gateAlsoOut: true }), 'gate is a graph output'],
  ] as const) {
    const g = runPasses(g0, ['fuse-hardswish']);
    assert.ok(g.nodes.some((n) => n.op === 'HardSigmoid'), why);
    assert.ok(!g.nodes.some((n) => n.op === 'HardSwish'), why);
  }
});

test('unknown pass names are a coded error', () => {
  assert.throws(() => runPasses(matmulAddGraph(), ['fold-bn']), /EF0006/);
});
