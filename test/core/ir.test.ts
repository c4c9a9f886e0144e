import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, pruneGraph, type Graph } from '../../src/ir/graph.js';
import { verifyGraph } from '../../src/ops/verify.js';
import { inferGraph } from '../../src/ops/infer.js';
import { transposeValue, toStoredLayout, toSourceLayout, invertPerm } from '../../src/ir/layout.js';
import { runFloat } from '../../src/sim/float.js';
import { EspforgeError, didYouMean } from '../../src/diagnostics.js';
import { normalizeAttrs, getOp, OPS } from '../../src/ops/index.js';

function tiny(): Graph {
  const b = new GraphBuilder({ format: 'test' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: [1, 2, 2, 3] });
  const c = b.constant('c', 'float32', [3], Float32Array.from([1, -10, 0.5]));
  const y = b.tensor({ name: 'y', dtype: 'float32', shape: [] });
  const z = b.tensor({ name: 'z', dtype: 'float32', shape: [] });
  const dead = b.tensor({ name: 'dead', dtype: 'float32', shape: [] });
  b.inputs = [x];
  b.node({ op: 'Add', name: 'add', inputs: [x, c], outputs: [y], attrs: {} });
  b.node({ op: 'Relu', name: 'relu', inputs: [y], outputs: [z], attrs: {} });
  b.node({ op: 'Relu', name: 'unused', inputs: [x], outputs: [dead], attrs: {} });
  b.outputs = [z];
  return b.build();
}

test('inferGraph fills shapes and defaults; the verifier accepts the result', () => {
  const g = inferGraph(tiny());
  assert.deepEqual(g.tensors[2].shape, [1, 2, 2, 3]);
  assert.equal(g.nodes[0].attrs.activation, 'none');
  assert.deepEqual(verifyGraph(g), []);
});

test('the verifier reports order, double production and missing tensors', () => {
  const g = inferGraph(tiny());
  const swapped: Graph = { ...g, nodes: [g.nodes[1], g.nodes[0], g.nodes[2]] };
  assert.ok(verifyGraph(swapped).some((d) => d.code === 'EF1001'));
  const twice: Graph = { ...g, nodes: [...g.nodes, { ...g.nodes[1], name: 'again' }] };
  assert.ok(verifyGraph(twice).some((d) => d.code === 'EF1003'));
  const missing: Graph = { ...g, outputs: [99] };
  assert.ok(verifyGraph(missing).length > 0);
  const badConst: Graph = { ...g, tensors: g.tensors.map((t) => (t.name === 'c' ? { ...t, shape: [4] } : t)) };
  assert.ok(verifyGraph(badConst).some((d) => d.code === 'EF1004'));
});

test('pruneGraph drops dead nodes and renumbers consistently', () => {
  const g = inferGraph(tiny());
  const p = pruneGraph(g);
  assert.equal(p.nodes.length, 2);
  assert.deepEqual(verifyGraph(p), []);
  const x = { dtype: 'float32' as const, shape: [1, 2, 2, 3], data: Float32Array.from({ length: 12 }, (_, i) => i - 6) };
  const a = runFloat(g, [x]).outputs[0].data;
  const b = runFloat(p, [x]).outputs[0].data;
  assert.deepEqual(Array.from(b), Array.from(a));
  // relu(x + c) by hand for the first pixel: x = [-6,-5,-4], c = [1,-10,0.5] → [0,0,0]
  assert.deepEqual(Array.from(a.subarray(0, 3)), [0, 0, 0]);
  // last pixel: x = [3,4,5] → [4,0,5.5]
  assert.deepEqual(Array.from(a.subarray(9, 12)), [4, 0, 5.5]);
});

test('unknown attributes are errors with a suggestion', () => {
  assert.throws(
    () => normalizeAttrs(getOp('Add'), { activaton: 'relu' }, 'n1'),
    (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF1006' && /activation/.test(e.diagnostics[0].suggestion ?? ''),
  );
  assert.throws(() => normalizeAttrs(getOp('Add'), { activation: 'relu7' }, 'n1'), EspforgeError);
  assert.equal(didYouMean('Cnov', ['Conv', 'Relu']), 'Conv');
});

test('registry names are unique', () => {
  const names = OPS.map((d) => d.name);
  assert.equal(new Set(names).size, names.length);
});

test('layout: transposing NCHW data to NHWC and back is the identity, and matches index math', () => {
  const shape = [2, 3, 4, 5];
  const data = Float32Array.from({ length: 120 }, (_, i) => i);
  const v = { dtype: 'float32' as const, shape, data };
  const nhwc = transposeValue(v, [0, 2, 3, 1]);
  assert.deepEqual(nhwc.shape, [2, 4, 5, 3]);
  for (const [n, c, h, w] of [[0, 0, 0, 0], [1, 2, 3, 4], [1, 1, 2, 0], [0, 2, 0, 3]]) {
    assert.equal(nhwc.data[((n * 4 + h) * 5 + w) * 3 + c], data[((n * 3 + c) * 4 + h) * 5 + w]);
  }
  const back = transposeValue(nhwc, invertPerm([0, 2, 3, 1]));
  assert.deepEqual(Array.from(back.data), Array.from(data));
  const t = { id: 0, name: 'in', dtype: 'float32' as const, shape: [2, 4, 5, 3], sourcePerm: [0, 2, 3, 1] };
  assert.deepEqual(Array.from(toStoredLayout(v, t).data), Array.from(nhwc.data));
  assert.deepEqual(Array.from(toSourceLayout(nhwc, t).data), Array.from(data));
  assert.throws(() => toStoredLayout({ ...v, shape: [2, 3, 20] }, t), EspforgeError);
});
