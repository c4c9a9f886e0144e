// quantize warns (EF3005) when a layer's quantized output carries almost no signal. Property: give one layer an
// output scale 10^4 times too large — every value then rounds to the zero point, so its SQNR against float is
// about 0 dB — and the warning must name exactly that layer; the correctly quantized model gets no warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/import/index.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { layerErrors, sqnrWarnings } from '../../src/quant/report.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { sharedPath } from '../helpers/shared.js';

test('a layer quantized to ~0 dB SQNR is warned about (EF3005); a sound quantization is not', async (t) => {
  const p = sharedPath(t, 'models', 'tflite', 'tflm-hello-world', 'hello_world_float.tflite');
  if (!p) return;
  const g = await loadModel(p);
  const samples = Array.from({ length: 32 }, (_, i) => [{ dtype: 'float32' as const, shape: [1, 1], data: new Float32Array([(i / 31) * 2 * Math.PI]) }]);
  const q = await quantizeModel(g, samples, { prepare: false });
  const good = await layerErrors(q.floatGraph, prepareIntGraph(q.graph), samples);
  assert.deepEqual(sqnrWarnings(good), []);
  const target = q.graph.nodes[0];
  const out = target.outputs[0];
  const broken = {
    ...q.graph,
    tensors: q.graph.tensors.map((tt) => (tt.id === out ? { ...tt, quant: { ...tt.quant!, scale: tt.quant!.scale.map((s) => s * 1e4) } } : tt)),
  };
  const bad = await layerErrors(q.floatGraph, prepareIntGraph(broken), samples);
  const w = sqnrWarnings(bad, p);
  assert.ok(w.length >= 1, JSON.stringify(bad.layers.map((l) => [l.node, l.sqnrDb])));
  assert.equal(w[0].code, 'EF3005');
  assert.equal(w[0].severity, 'warning');
  assert.equal(w[0].node, target.name);
});
