// The per-op facts on the registry entries (OpDef.quant, OpDef.int, OpDef.layout) are consistent with each other
// and with the op's ports, and the fixed output quantizations are TFLite's (the TFLite int8 quantization spec:
// LOGISTIC and SOFTMAX output 1/256 zp −128, TANH 1/128 zp 0, LOG_SOFTMAX 16/256 zp 127; 16x8: 1/32768 zp 0).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getOp, OPS } from '../../src/ops/index.js';
import { intKernel } from '../../src/sim/int/index.js';

test('an op has an integer kernel exactly when its quant policy names the activation dtypes it runs', () => {
  for (const d of OPS) {
    assert.equal(!!d.int, !!d.quant?.activations, `${d.name}: int and quant.activations disagree`);
    assert.equal(intKernel(d.name), d.int, d.name);
  }
  assert.equal(intKernel('NoSuchOp'), undefined);
});

test('weight and bias ports are constant inputs of the op (or the op says when PTQ keeps it float)', () => {
  for (const d of OPS) {
    const w = d.quant?.weights;
    if (!w) continue;
    for (const k of [w.port, w.biasPort]) {
      if (k === undefined) continue;
      assert.ok(k < d.inputs.length, `${d.name}: weight port ${k} does not exist`);
      assert.ok(d.inputs[k].constant || d.quant?.keepsFloat, `${d.name}: weight port ${k} is not a constant input and nothing keeps the op float`);
    }
  }
});

test('shared ports exist; fixed and shared quantization only on ops with an integer kernel', () => {
  for (const d of OPS) {
    const q = d.quant;
    if (Array.isArray(q?.sharedPorts)) for (const k of q.sharedPorts) assert.ok(k < d.inputs.length, `${d.name}: shared port ${k}`);
    if (q?.sharedPorts || q?.fixedOutput) assert.ok(d.int, `${d.name}: quantization constraint without an integer kernel`);
    if (q?.activations === 'int8') assert.equal(q.fixedOutput?.int16, undefined, `${d.name}: int8-only op with an int16 fixed output`);
  }
});

test("fixed output quantizations are TFLite's", () => {
  const f = (op: string) => getOp(op).quant?.fixedOutput;
  assert.deepEqual(f('Softmax'), { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } });
  assert.deepEqual(f('Sigmoid'), { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } });
  assert.deepEqual(f('Tanh'), { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } });
  assert.deepEqual(f('LogSoftmax'), { int8: { scale: 16 / 256, zeroPoint: 127 } });
  const fixed = OPS.filter((d) => d.quant?.fixedOutput).map((d) => d.name).sort();
  assert.deepEqual(fixed, ['LogSoftmax', 'Sigmoid', 'Softmax', 'Tanh']);
});

test('layout roles: spatial ops take NHWC data at port 0', () => {
  for (const d of OPS.filter((o) => o.layout === 'spatial')) assert.ok(d.inputs.length >= 1 && !d.inputs[0].constant, d.name);
});
