// An operator whose data input is a constant tensor (a constant operand of Add / Concat, a pool over a constant)
// used to crash the C emitter (no arena place for a constant, EF9001). Constants now go to flash as const arrays.
// The generated C is compiled and its output compared byte for byte with the integer simulator (a consistency
// check of C against the simulator, whose arithmetic is tested against TFLM elsewhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { buildProject } from '../../src/pipeline/build.js';

const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });

function model() {
  const b = new GraphBuilder({ format: 'espforge', source: 'const_in' });
  const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, 4, 4, 2], quant: q(0.05, 1) });
  const c = b.tensor({ name: 'bias_map', dtype: 'int8', shape: [1, 4, 4, 2], data: Int8Array.from({ length: 32 }, (_, i) => ((i * 37) % 200) - 100), quant: q(0.03, -3) });
  const s = b.tensor({ name: 'sum', dtype: 'int8', shape: [1, 4, 4, 2], quant: q(0.08, 0) });
  const pc = b.tensor({ name: 'pooled_const', dtype: 'int8', shape: [1, 2, 2, 2], quant: q(0.03, -3) });
  const ps = b.tensor({ name: 'pooled_sum', dtype: 'int8', shape: [1, 2, 2, 2], quant: q(0.08, 0) });
  const cat = b.tensor({ name: 'cat', dtype: 'int8', shape: [1, 2, 2, 4], quant: q(0.08, 0) });
  b.inputs = [x];
  b.outputs = [cat];
  b.node({ op: 'Add', name: 'add_const', inputs: [c, x], outputs: [s], attrs: { activation: 'none' } });
  b.node({ op: 'MaxPool', name: 'pool_const', inputs: [c], outputs: [pc], attrs: { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil_mode: 0, activation: 'none' } });
  b.node({ op: 'MaxPool', name: 'pool_sum', inputs: [s], outputs: [ps], attrs: { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil_mode: 0, activation: 'none' } });
  b.node({ op: 'Concat', name: 'cat', inputs: [ps, pc], outputs: [cat], attrs: { axis: 3 } });
  return prepareIntGraph(b.build());
}

test('constant data inputs: emitted as flash arrays; the C compiles and matches the simulator', async (t) => {
  const dry = buildProject(model(), { target: 'esp32s3', dryRun: true });
  assert.equal(dry.ok, true, JSON.stringify(dry.diagnostics));
  const w = Object.entries(dry.files).find(([f]) => f.endsWith('_weights.c'))![1];
  assert.match(w, /bias_map/, 'the constant is in the weights file');
  const { hasTool } = await import('../../src/verify/toolchain.js');
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found');
    return;
  }
  const r = buildProject(model(), { target: 'esp32s3', dryRun: true, verify: ['host'] });
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  for (const v of r.report!.verification) assert.equal(v.identical, true, `${v.target}: ${v.mismatches.join(', ')}`);
});
