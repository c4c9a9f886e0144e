// Ops x quantization schemes, derived so that it cannot drift: the op list is the registry (src/ops/index.ts), and
// what the quantizer can make of each op under each scheme comes from the registry's per-op facts as the quantizer
// reads them (each op's integer kernel, INT8_ONLY_OPS, INT16_OPS). For every op the quantizer can produce as an integer
// layer, a small float branch using it is built here (a registry op with an integer kernel and no branch fails the
// test); all branches hang off one float input, the graph is quantized on random calibration data under int8,
// int16 and mixed (every eligible layer moved to int16), and the generated C must build and equal the integer
// simulator byte for byte (host; -Werror; ASan/UBSan; a sample on rv32imc under QEMU).
//
// These are consistency checks (C vs simulator, and what quantize produces vs what build accepts); whether the
// simulator equals TFLM is checked against TFLM's own outputs in test/sim (reference/tflm and tflm-random).

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { GraphBuilder, type Attrs, type Graph } from '../../src/ir/graph.js';
import { allocArray, shapeSize } from '../../src/ir/dtype.js';
import { OPS } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { INT8_ONLY_OPS, INT16_OPS, quantizeModel, type QuantScheme } from '../../src/quant/ptq.js';
import { intKernel } from '../../src/sim/int/index.js';
import { buildWarnings, emitC, INT16_C_OPS } from '../../src/codegen/c/emit.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { runFloat } from '../../src/sim/float.js';
import { checkRv32 } from '../helpers/rv32.js';
import { rng } from '../helpers/rng.js';

const R = rng(916);
const X_SHAPE = [1, 6, 6, 4];

type Branch = (b: GraphBuilder, x: number) => number[];

let seq = 0;
function f32(b: GraphBuilder, shape: number[], lo = -1, hi = 1): number {
  return b.constant(`k${seq++}`, 'float32', shape, Float32Array.from({ length: shapeSize(shape) }, () => lo + (hi - lo) * R()));
}
function op(b: GraphBuilder, o: string, inputs: number[], attrs: Attrs = {}): number {
  const y = b.tensor({ name: `${o}_${seq++}`, dtype: 'float32', shape: [] });
  b.node({ op: o, name: `${o.toLowerCase()}_${seq++}`, inputs, outputs: [y], attrs });
  return y;
}

/** One float branch per op the quantizer can make integer (x: float [1,6,6,4]). Variants cover the C paths. */
const BRANCHES: Record<string, Branch> = {
  Conv: (b, x) => [
    op(b, 'Conv', [x, f32(b, [5, 3, 3, 4]), f32(b, [5])], { pads: [1, 1, 1, 1] }),
    op(b, 'Conv', [x, f32(b, [8, 3, 3, 1]), f32(b, [8])], { group: 4, strides: [2, 2], pads: [0, 0, 1, 1] }),
    op(b, 'Conv', [x, f32(b, [3, 1, 1, 4])]),
  ],
  ConvTranspose: (b, x) => [
    op(b, 'ConvTranspose', [x, f32(b, [4, 3, 3, 5]), f32(b, [5])], { strides: [2, 2], pads: [1, 1, 0, 0], output_padding: [1, 1] }),
    op(b, 'ConvTranspose', [x, f32(b, [4, 2, 3, 3])], { dilations: [2, 1], activation: 'relu' }),
  ],
  FullyConnected: (b, x) => [op(b, 'FullyConnected', [op(b, 'Reshape', [x], { shape: [1, 144] }), f32(b, [7, 144], -0.2, 0.2), f32(b, [7])])],
  Add: (b, x) => [op(b, 'Add', [x, f32(b, [4], -2, 2)])],
  Sub: (b, x) => [op(b, 'Sub', [x, op(b, 'Relu', [x])])],
  Mul: (b, x) => [op(b, 'Mul', [x, x])],
  AveragePool: (b, x) => [op(b, 'AveragePool', [x], { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] })], // SAME (TFLite has no other padding)
  MaxPool: (b, x) => [op(b, 'MaxPool', [x], { kernel: [2, 2], strides: [2, 2] })],
  ReduceMean: (b, x) => [op(b, 'ReduceMean', [x], { axes: [1, 2], keepdims: 1 })],
  Softmax: (b, x) => [op(b, 'Softmax', [x], { axis: -1 })],
  LayerNormalization: (b, x) => [
    op(b, 'LayerNormalization', [x, f32(b, [4], 0.5, 1.5), f32(b, [4], -0.5, 0.5)], { axis: -1, epsilon: 1e-5 }),
    op(b, 'LayerNormalization', [x, f32(b, [1], -1, 1)], { axis: 2, epsilon: 1e-3 }),
  ],
  LogSoftmax: (b, x) => [op(b, 'LogSoftmax', [x], { axis: -1 })],
  Sigmoid: (b, x) => [op(b, 'Sigmoid', [x])],
  Tanh: (b, x) => [op(b, 'Tanh', [x])],
  Relu: (b, x) => [op(b, 'Relu', [x])],
  Clip: (b, x) => [op(b, 'Clip', [x], { min: -1, max: 1 })], // RELU_N1_TO_1 in TFLite (any bounds: qparams-property.test.ts)
  LeakyRelu: (b, x) => [op(b, 'LeakyRelu', [x], { alpha: 0.2 })],
  HardSwish: (b, x) => [op(b, 'HardSwish', [x])],
  Gelu: (b, x) => [op(b, 'Gelu', [x]), op(b, 'Gelu', [x], { approximate: 'tanh' })],
  HardSigmoid: (b, x) => [op(b, 'HardSigmoid', [x]), op(b, 'HardSigmoid', [x], { alpha: 0.7, beta: 0.3 })],
  PRelu: (b, x) => [op(b, 'PRelu', [x, f32(b, [4], -0.5, 0.5)]), op(b, 'PRelu', [x, f32(b, [1], 0.1, 0.3)])],
  Reshape: (b, x) => [op(b, 'Reshape', [x], { shape: [1, 36, 4] })],
  Transpose: (b, x) => [op(b, 'Transpose', [x], { perm: [0, 3, 1, 2] })],
  Pad: (b, x) => [op(b, 'Pad', [x], { pads: [0, 1, 2, 0, 0, 2, 1, 1] })],
  Concat: (b, x) => [op(b, 'Concat', [x, op(b, 'Sigmoid', [x])], { axis: 3 })],
  Slice: (b, x) => [op(b, 'Slice', [x], { starts: [1, 3], ends: [6, 0], axes: [1, 3], steps: [2, -1] })],
  Gather: (b, x) => [op(b, 'Gather', [x, b.constant(`idx${seq++}`, 'int64', [3], Float64Array.from([3, 0, 2]))], { axis: 3 })],
  Max: (b, x) => [op(b, 'Max', [x, op(b, 'Tanh', [x])])],
  Min: (b, x) => [op(b, 'Min', [x, op(b, 'Relu', [x])])],
  ReduceMax: (b, x) => [op(b, 'ReduceMax', [x], { axes: [3], keepdims: 1 })],
  Resize: (b, x) => [
    op(b, 'Resize', [x], { mode: 'nearest', sizes: [1, 9, 12, 4] }),
    // bilinear as PyTorch exports nn.Upsample(mode='bilinear', align_corners=False / True), and a downscale
    op(b, 'Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel', sizes: [1, 12, 12, 4] }),
    op(b, 'Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'align_corners', sizes: [1, 11, 7, 4] }),
    op(b, 'Resize', [x], { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [1, 4, 5, 4] }),
  ],
  // x viewed as a sequence [T=6, B=6, I=4]; H = 3; all three outputs (int8 Y, Y_h; int16 cell state Y_c)
  Lstm: (b, x) => {
    const outs = [0, 1, 2].map((k) => b.tensor({ name: `Lstm_${seq++}_${k}`, dtype: 'float32', shape: [] }));
    b.node({ op: 'Lstm', name: `lstm_${seq++}`, inputs: [op(b, 'Reshape', [x], { shape: [6, 6, 4] }), f32(b, [12, 4]), f32(b, [12, 3]), f32(b, [12])], outputs: outs, attrs: {} });
    return outs;
  },
};

/**
 * Registry ops with an integer kernel that are not float-model layers the quantizer converts (each with why),
 * and ops whose integer result cannot be a C output. Anything else with an integer kernel must have a branch.
 */
const NOT_BRANCHES: Record<string, string> = {
  Quantize: 'written by the quantizer itself (scheme boundaries, int8 islands): exercised by the int16 and mixed graphs below',
  Dequantize: 'written by the quantizer only around float islands, which the integer C library refuses (tested below)',
  Identity: 'removed by the canonicalise pass before quantization',
  ArgMax: 'int64 indices: the C library takes int8/uint8/int16 outputs; build refuses it with EF3002 (tested below)',
};

const SCHEMES: QuantScheme[] = ['int8', 'int16', 'mixed'];

function gccOr(t: TestContext): boolean {
  if (hasTool('gcc')) return true;
  if (process.env.CI === 'true') throw new Error('gcc missing under CI');
  t.skip('gcc not found (EF4002)');
  return false;
}

function floatModel(ops: string[]): { g: Graph; producers: Map<string, string[]> } {
  const b = new GraphBuilder({ format: 'espforge', source: 'ops-schemes' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: X_SHAPE });
  b.inputs = [x];
  const producers = new Map<string, string[]>();
  for (const o of ops) {
    const before = b.nodes.length;
    b.outputs.push(...BRANCHES[o](b, x));
    producers.set(o, b.nodes.slice(before).filter((n) => n.op === o).map((n) => n.name));
  }
  return { g: b.build(), producers };
}

function calibration(n: number): Value[][] {
  return Array.from({ length: n }, () => [{ dtype: 'float32', shape: X_SHAPE, data: Float32Array.from({ length: shapeSize(X_SHAPE) }, () => -3 + 6 * R()) }]);
}

/** What the quantizer's tables say it makes of `op` under `scheme`: the activation dtype of the layer. */
function expectedDtype(o: string, scheme: QuantScheme): 'int8' | 'int16' {
  if (scheme === 'int8') return 'int8';
  if (scheme === 'int16') return INT8_ONLY_OPS.has(o) ? 'int8' : 'int16';
  return 'int8'; // mixed: checked separately (moved layers are int16)
}

const branchOps: string[] = OPS.map((d) => d.name).filter((o) => intKernel(o) && !(o in NOT_BRANCHES));

test('every registry op with an integer kernel has a branch here or a stated reason (the list cannot drift)', () => {
  const missing = branchOps.filter((o) => !BRANCHES[o]);
  assert.deepEqual(missing, [], `ops the quantizer can make integer with no test branch: ${missing.join(', ')}`);
  const stale = Object.keys(BRANCHES).filter((o) => !branchOps.includes(o));
  assert.deepEqual(stale, [], `branches for ops that are no longer quantizable: ${stale.join(', ')}`);
  // every op that runs on int16 activations under --scheme int16 has an int16 C kernel
  const int16Made = branchOps.filter((o) => !INT8_ONLY_OPS.has(o));
  const noC16 = int16Made.filter((o) => !INT16_C_OPS.has(o));
  assert.deepEqual(noC16, [], `int16 layers without an int16 C kernel: ${noC16.join(', ')}`);
  // the mixed scheme only moves layers with an int16 C kernel
  assert.deepEqual([...INT16_OPS].filter((o) => !INT16_C_OPS.has(o)), []);
});

for (const scheme of SCHEMES) {
  test(`ops x ${scheme}: quantize makes every op integer, build accepts the graph, C == simulator (host, ASan/UBSan${scheme === 'int16' ? ', rv32' : ''})`, async (t) => {
    const { g, producers } = floatModel(branchOps);
    const q = await quantizeModel(g, calibration(24), { scheme, mixedThresholdDb: 1e9, mixedMaxInt16Layers: 1000, mixedSamples: 4 });
    const G = q.graph;
    // the quantizer's capability, checked on its output: every branch op is an integer layer of the expected dtype
    const matrix: string[] = [];
    for (const o of branchOps) {
      for (const name of producers.get(o)!) {
        const n = G.nodes.find((m) => m.name === name);
        assert.ok(n, `${scheme}: ${o} node '${name}' is missing from the quantized graph`);
        const dts = [...n.inputs.filter((id) => id >= 0 && !G.tensors[id].data), ...n.outputs].map((id) => G.tensors[id].dtype);
        assert.ok(!dts.includes('float32'), `${scheme}: ${o} '${name}' stayed float (${dts.join(',')})`);
        const inDt = G.tensors[n.inputs[0]].dtype;
        if (scheme === 'mixed') {
          const moved = q.mixed!.moved.some((l) => l.node === name);
          assert.equal(inDt, moved ? 'int16' : 'int8', `mixed: ${o} '${name}'`);
          if (moved) assert.ok(INT16_OPS.has(o));
          matrix.push(`${o}:${inDt}`);
        } else {
          assert.equal(inDt, expectedDtype(o, scheme), `${scheme}: ${o} '${name}' runs on ${inDt}`);
          matrix.push(`${o}:${inDt}`);
        }
      }
    }
    t.diagnostic(`${scheme}: ${[...new Set(matrix)].join(' ')}`);
    if (scheme === 'mixed') assert.ok(q.mixed!.moved.length >= 8, `mixed moved only ${q.mixed!.moved.length} layers`);
    if (scheme === 'int16')
      for (const o of INT8_ONLY_OPS) {
        const n = G.nodes.find((m) => m.op === o)!;
        const pre = G.nodes.find((m) => m.outputs.includes(n.inputs[0]))!;
        assert.equal(pre.op, 'Quantize', `int16: ${o} is reached through a QUANTIZE int16 -> int8`);
      }

    // the float reference executor: on calibration inputs (inside the calibrated ranges) every quantized output,
    // dequantized, tracks the float graph's output. The bound is the property of a correct quantized kernel, not a
    // figure taken from this code: the integer result within ~10% of the float signal's RMS (SQNR >= 20 dB), ~3%
    // (30 dB) where input and output are int16. Outputs without a quantization record (ArgMax indices) are compared
    // where the float winner is clear.
    const ref = calibration(4);
    const worst: string[] = [];
    let minDb = Infinity;
    for (const sample of ref) {
      const fo = runFloat(q.floatGraph, sample).outputs;
      const fByName = new Map(q.floatGraph.outputs.map((id, j) => [q.floatGraph.tensors[id].name, fo[j]]));
      const xin = G.tensors[G.inputs[0]];
      const xq = xin.quant!;
      const lim = xin.dtype === 'int16' ? 32767 : 127;
      const xi = allocArray(xin.dtype, shapeSize(xin.shape));
      sample[0].data.forEach((v, i) => (xi[i] = Math.max(-lim - 1, Math.min(lim, Math.round(Number(v) / xq.scale[0]) + xq.zeroPoint[0]))));
      const io = runInt(G, [{ dtype: xin.dtype, shape: xin.shape, data: xi }]).outputs;
      G.outputs.forEach((id, j) => {
        const t = G.tensors[id];
        const f = fByName.get(t.name);
        assert.ok(f, `${scheme}: output '${t.name}' has no float counterpart of that name`);
        if (!t.quant) return;
        let sig = 0;
        let err = 0;
        const { scale, zeroPoint } = t.quant;
        io[j].data.forEach((v, i) => {
          const r = (Number(v) - zeroPoint[0]) * scale[0];
          sig += Number(f.data[i]) ** 2;
          err += (r - Number(f.data[i])) ** 2;
        });
        const db = 10 * Math.log10(sig / Math.max(err, 1e-30));
        const need = xin.dtype === 'int16' && t.dtype === 'int16' ? 30 : 20;
        minDb = Math.min(minDb, db);
        if (!(db >= need)) worst.push(`'${t.name}' (${G.nodes.find((m) => m.outputs.includes(id))?.op}) ${db.toFixed(1)} dB < ${need}`);
      });
    }
    t.diagnostic(`${scheme}: lowest output SQNR against the float reference ${minDb.toFixed(1)} dB`);
    assert.deepEqual([...new Set(worst)], [], `${scheme}: quantized outputs far from the float reference`);

    let e;
    try {
      e = emitC(G, { name: `ops_${scheme}` });
    } catch (err) {
      if (err instanceof EspforgeError) assert.fail(`${scheme}: build refused what quantize produced: ${err.diagnostics.map((d) => `${d.code} ${d.node ?? ''}: ${d.message}`).join('; ')}`);
      throw err;
    }
    assert.deepEqual(buildWarnings(G), [], `${scheme}: quantize would warn about a graph build accepts`);
    if (!gccOr(t)) return;
    const cs = Array.from({ length: 4 }, (_, k) => {
      const inputs = G.inputs.map((id, j) => pseudoRandomInput(shapeSize(G.tensors[id].shape), G.tensors[id].dtype, 9100 + 31 * k + j));
      return { name: `r${k}`, inputs, expected: simulate(G, inputs) };
    });
    // the inputs must make every output move (a constant output would prove nothing)
    G.outputs.forEach((id, j) => assert.ok(new Set(cs.map((c) => c.expected[j].join(','))).size > 1, `${scheme}: output ${j} '${G.tensors[id].name}' is constant`));
    const spec = harnessSpec(G, e.prefix);
    const cmp = (label: string, run: ReturnType<typeof runHost>, n: number) => {
      assert.equal(run.cases.length, n, `${label}: cases run`);
      run.cases.forEach((c, k) =>
        c.outputs.forEach((o, j) => {
          const got = Array.from(o);
          const exp = cs[k].expected[j];
          const i = got.findIndex((v, m) => v !== exp[m]);
          assert.ok(i < 0 && got.length === exp.length, `${label} case ${k} output ${j} ('${G.tensors[G.outputs[j]].name}', made by ${G.nodes.find((m) => m.outputs.includes(G.outputs[j]))?.op}): element ${i}: C ${got[i]}, simulator ${exp[i]}`);
        }),
      );
    };
    cmp(`${scheme} host`, runHost(e.files, spec, cs, false), cs.length);
    cmp(`${scheme} ASan/UBSan`, runHost(e.files, spec, cs.slice(0, 2), true), 2);
    if (scheme === 'int16') checkRv32(t, 'ops x int16', e.files, spec, cs.slice(0, 1));
  });
}

/** Branch ops the TFLite writer cannot express (quantize --out refuses them with a coded diagnostic). */
// Lstm: its branch returns Y_c, the int16 cell state, which TFLite's LSTM keeps in a variable tensor and never
// outputs (the forms it has, the sequence and Y_h, export: test/import/tflite-lstm.test.ts).
// LayerNormalization: TFLite has no LAYER_NORM builtin (its converter decomposes the op), so there is nothing to
// write it as. HardSigmoid: TFLite has no HARD_SIGMOID builtin (its int8 kernel is espforge's own arithmetic).
// Every other branch exports, ConvTranspose (TRANSPOSE_CONV; its dilated branch with the taps spread and zeros
// between), Gelu (GELU) and the bilinear Resizes (RESIZE_BILINEAR) included.
const NO_TFLITE_FORM = ['Lstm', 'LayerNormalization', 'HardSigmoid'];

test('ops x schemes: what `quantize --out` writes re-imports and simulates to the same integers as the graph in memory', async () => {
  for (const scheme of SCHEMES) {
    const { g } = floatModel(branchOps.filter((o) => !NO_TFLITE_FORM.includes(o)));
    const G = (await quantizeModel(g, calibration(16), { scheme, mixedThresholdDb: 1e9, mixedMaxInt16Layers: 1000, mixedSamples: 4 })).graph;
    const back = prepareIntGraph(importTflite(exportTflite(G), `ops_${scheme}.tflite`));
    assert.deepEqual(back.outputs.map((id) => back.tensors[id].dtype), G.outputs.map((id) => G.tensors[id].dtype));
    for (let k = 0; k < 3; k++) {
      const inputs = G.inputs.map((id, j) => pseudoRandomInput(shapeSize(G.tensors[id].shape), G.tensors[id].dtype, 500 + 7 * k + j));
      assert.deepEqual(simulate(back, inputs), simulate(G, inputs), `${scheme}: exported .tflite simulates differently, case ${k}`);
    }
    // the exclusion list stays honest: those ops still have no TFLite form
    for (const o of NO_TFLITE_FORM) {
      const q = (await quantizeModel(floatModel([o]).g, calibration(4), { scheme })).graph;
      assert.throws(() => exportTflite(q), (e: unknown) => e instanceof EspforgeError && ['EF2002', 'EF2003'].includes(e.diagnostics[0].code), `${o} now exports: remove it from NO_TFLITE_FORM`);
    }
  }
});

test('ops without a C path: build refuses them with EF3002 naming the op, as quantize now warns', async () => {
  // ArgMax (int64 indices) quantizes for the simulator but has no C output type; an op with no integer kernel
  // (Elu) stays a float island. Both must be refused by build with a coded diagnostic naming the node.
  const b = new GraphBuilder({ format: 'espforge', source: 'refused' });
  const x = b.tensor({ name: 'x', dtype: 'float32', shape: X_SHAPE });
  b.inputs = [x];
  b.outputs = [op(b, 'ArgMax', [x], { axis: 3, keepdims: 1 }), op(b, 'Elu', [op(b, 'Conv', [x, f32(b, [2, 1, 1, 4])])])];
  for (const scheme of SCHEMES) {

    const q = await quantizeModel(b.build(), calibration(8), { scheme });
    assert.throws(
      () => emitC(q.graph, { name: 'refused' }),
      (err: unknown) => err instanceof EspforgeError && err.diagnostics.every((d) => d.code === 'EF3002') && /ArgMax/.test(err.message) && /Elu/.test(err.message),
      scheme,
    );
    // quantize's warnings (what the CLI prints after writing the model) name the same ops, as warnings
    const w = buildWarnings(q.graph, 'refused.onnx');
    assert.ok(w.length > 0 && w.every((d) => d.severity === 'warning' && d.code === 'EF3002' && d.file === 'refused.onnx'), JSON.stringify(w));
    assert.ok(w.some((d) => /ArgMax/.test(d.message)) && w.some((d) => /Elu/.test(d.message)), w.map((d) => d.message).join('; '));
  }
});
