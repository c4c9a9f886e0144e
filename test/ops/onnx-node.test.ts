// The ONNX backend node tests (../shared/conformance/onnx-node) for the element-wise, activation, softmax and
// shape ops, run straight through the registry's float kernels. These ops are layout-agnostic, so the NCHW
// test data is fed as is; ONNX inputs that espforge holds as attributes (Clip min/max, Pad pads/value/axes,
// Slice starts/ends/axes/steps, Reshape shape, QuantizeLinear scale/zero point) are read from the test's
// input tensors, as the ONNX importer will fold them. Comparison: |a - e| <= 1e-7 + 1e-3·|e| (the onnx
// runner's defaults, conformance MANIFEST) for floats; exact for integer outputs.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AttrValue } from '../../src/ir/graph.js';
import { num, onnx } from '../../src/import/onnx/proto.js';
import { readTensorProto } from '../../src/import/onnx/tensor.js';
import type { Value } from '../../src/ops/types.js';
import { sharedPath } from '../helpers/shared.js';
import { run } from './kit.js';

const PREFIXES = [
  'test_add', 'test_sub', 'test_mul', 'test_div', 'test_max_', 'test_min_', 'test_clip', 'test_relu', 'test_leakyrelu',
  'test_prelu', 'test_sigmoid', 'test_hardsigmoid', 'test_hardswish', 'test_tanh', 'test_elu', 'test_selu',
  'test_softmax', 'test_logsoftmax', 'test_concat', 'test_reshape', 'test_transpose', 'test_constant_pad',
  'test_edge_pad', 'test_reflect_pad', 'test_wrap_pad', 'test_slice', 'test_gather', 'test_identity', 'test_argmax',
  'test_quantizelinear', 'test_dequantizelinear',
];

type Attr = onnx.AttributeProto;
function attrValue(a: Attr): AttrValue {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return num(a.i);
    case 3:
      return new TextDecoder().decode(a.s);
    case 6:
      return Array.from(a.floats);
    case 7:
      return Array.from(a.ints, num);
    default:
      throw new Error(`attribute ${a.name} of type ${a.type}`);
  }
}

const ints = (v: Value | undefined): number[] => (v ? Array.from(v.data) : []);
const DTYPE_CODE: Record<number, string> = { 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16' };

/** Map one ONNX node to (canonical op, inputs, attrs), or a reason to skip. */
function lower(op: string, a: Record<string, AttrValue>, ins: (Value | undefined)[]): { op: string; ins: Value[]; attrs: Record<string, AttrValue> } | string {
  const x = ins[0]!;
  switch (op) {
    case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Max': case 'Min': case 'Relu': case 'Sigmoid': case 'Tanh':
    case 'Identity': case 'PRelu': case 'HardSwish':
      return { op, ins: ins as Value[], attrs: {} };
    case 'LeakyRelu': case 'Elu': case 'Selu': case 'HardSigmoid': case 'Softmax': case 'LogSoftmax': case 'Concat':
    case 'Transpose': case 'Gather': case 'ArgMax':
      return { op, ins: ins as Value[], attrs: a };
    case 'Clip': {
      const attrs: Record<string, AttrValue> = {};
      if (ins[1]) attrs.min = ins[1].data[0];
      if (ins[2]) attrs.max = ins[2].data[0];
      return { op, ins: [x], attrs };
    }
    case 'Pad': {
      const r = x.shape.length;
      const p = ints(ins[1]);
      const axes = ins[3] ? ints(ins[3]).map((v) => (v < 0 ? v + r : v)) : [...Array(r).keys()];
      const pads = new Array<number>(2 * r).fill(0);
      axes.forEach((ax, k) => {
        pads[ax] = p[k];
        pads[ax + r] = p[k + axes.length];
      });
      return { op, ins: [x], attrs: { pads, mode: a.mode ?? 'constant', value: ins[2] ? ins[2].data[0] : 0 } };
    }
    case 'Slice': {
      const attrs: Record<string, AttrValue> = { starts: ints(ins[1]), ends: ints(ins[2]) };
      if (ins[3]) attrs.axes = ints(ins[3]);
      if (ins[4]) attrs.steps = ints(ins[4]);
      return { op, ins: [x], attrs };
    }
    case 'Reshape': {
      // the importer's job, done here the same way: 0 copies the input dim unless allowzero = 1
      const shape = ints(ins[1]).map((d, i) => (d === 0 && !a.allowzero ? x.shape[i] : d));
      return { op, ins: [x], attrs: { shape } };
    }
    case 'QuantizeLinear':
    case 'DequantizeLinear': {
      if (a.block_size) return 'blocked quantization is not supported';
      const attrs: Record<string, AttrValue> = { scale: Array.from(ins[1]!.data), axis: (a.axis as number) ?? 1 };
      if (ins[2]) attrs.zero_point = ints(ins[2]);
      if (op === 'QuantizeLinear') {
        attrs.to = ins[2] ? ins[2].dtype : DTYPE_CODE[a.output_dtype as number] ?? 'uint8';
        attrs.rounding = 'half_even';
      }
      return { op: op === 'QuantizeLinear' ? 'Quantize' : 'Dequantize', ins: [x], attrs };
    }
    default:
      return `no mapping for ${op}`;
  }
}

describe('ONNX backend node tests through the float kernels', () => {
  it('every selected test passes (or is skipped for a stated reason)', (t) => {
    const root = sharedPath(t, 'conformance', 'onnx-node');
    if (!root) return;
    const dirs = readdirSync(root).filter((d) => PREFIXES.some((p) => d.startsWith(p)) && !d.includes('expanded'));
    assert.ok(dirs.length > 100, `found ${dirs.length} test directories`);
    let passed = 0;
    const skipped: string[] = [];
    const failures: string[] = [];
    for (const d of dirs.sort()) {
      const model = onnx.ModelProto.decode(readFileSync(join(root, d, 'model.onnx')));
      const g = model.graph as onnx.GraphProto;
      assert.equal(g.node.length, 1, `${d}: single-node test`);
      const n = g.node[0] as onnx.NodeProto;
      const inits = new Set(g.initializer.map((i) => i.name ?? ''));
      const feeds = new Map<string, Value>();
      g.input.filter((i) => !inits.has(i.name ?? '')).forEach((inp, k) => {
        const f = join(root, d, 'test_data_set_0', `input_${k}.pb`);
        if (existsSync(f)) feeds.set(inp.name ?? '', readTensorProto(readFileSync(f)));
      });
      const ins = n.input.map((name) => (name ? feeds.get(name) : undefined));
      const attrs: Record<string, AttrValue> = {};
      for (const a of n.attribute as Attr[]) attrs[a.name] = attrValue(a);
      const low = lower(n.opType ?? '', attrs, ins);
      if (typeof low === 'string') {
        skipped.push(`${d}: ${low}`);
        continue;
      }
      try {
        const [y] = run(low.op, low.ins, low.attrs);
        const e = readTensorProto(readFileSync(join(root, d, 'test_data_set_0', 'output_0.pb')));
        assert.deepEqual(y.shape, e.shape, 'shape');
        assert.equal(y.dtype, e.dtype, 'dtype');
        const exact = e.dtype !== 'float32' && e.dtype !== 'float64';
        for (let i = 0; i < e.data.length; i++) {
          const a = y.data[i];
          const b = e.data[i];
          const ok = exact ? a === b : Math.abs(a - b) <= 1e-7 + 1e-3 * Math.abs(b) || (Number.isNaN(a) && Number.isNaN(b));
          if (!ok) throw new Error(`element ${i}: got ${a}, expected ${b}`);
        }
        passed++;
      } catch (err) {
        failures.push(`${d}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    t.diagnostic(`passed ${passed}, skipped ${skipped.length}: ${skipped.join('; ')}`);
    assert.deepEqual(failures, [], `failures:\n${failures.join('\n')}`);
    assert.ok(passed >= 100, `only ${passed} passed`);
  });
});
