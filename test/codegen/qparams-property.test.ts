// Property test over quantization parameters, for every integer kernel with arithmetic (int8 and int16):
// zero points drawn over [-128, 127] (int16: 0, as TFLite's 16x8 scheme requires), scales log-uniform over
// [1e-6, 10], per-channel weight scales along the output-channel axis, random biases, fused activations, clip
// bounds and slopes. Each draw is one layer with its own graph inputs and output; a draw the prepare step refuses
// with a coded diagnostic (EF3004: a multiplier or scale outside what TFLM accepts) is redrawn and counted. All
// accepted layers of a dtype go into one graph, so the whole campaign is a few compilations: the generated C must
// be accepted by the emitter for every layer the simulator accepted (build and simulator agree on the domain)
// and must equal the integer simulator element for element on the host, under ASan/UBSan, and (int16) on rv32.
// A consistency check: C vs simulator. The simulator itself is checked against TFLM in test/sim.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { GraphBuilder, type Attrs, type QuantParams } from '../../src/ir/graph.js';
import { shapeSize, type DType } from '../../src/ir/dtype.js';
import { inferGraph } from '../../src/ops/infer.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { checkRv32 } from '../helpers/rv32.js';
import { rng } from '../helpers/rng.js';

type R = () => number;
/** Draws per layer kind (one compilation whatever the count; QPROP_SEED/QPROP_PER widen a local campaign). */
const PER = Number(process.env.QPROP_PER ?? 6);
const SEED = Number(process.env.QPROP_SEED ?? 0);
const f32 = Math.fround;
const scale = (r: R, lo = 1e-6, hi = 10) => f32(lo * (hi / lo) ** r());
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const q1 = (s: number, zp: number): QuantParams => ({ scale: [s], zeroPoint: [zp], axis: 0 });

interface Ctx {
  b: GraphBuilder;
  r: R;
  dt: DType;
  /** A graph input of this dtype with random quantization (int16: zp 0). */
  input(shape: number[], q?: QuantParams): number;
  /** An output tensor (made a graph output). */
  output(shape: number[], q: QuantParams, dt?: DType): number;
  zp(): number;
  node(op: string, inputs: number[], outputs: number[], attrs?: Attrs): void;
  weights(shape: number[], perChannel: boolean, positive?: boolean): number;
  bias(n: number, dt: 'int32' | 'int64', mag: number): number;
}

/** One layer kind: draws its parameters from ctx.r and adds its tensors and node. */
type Layer = (c: Ctx) => void;

const ACTS = ['none', 'relu', 'relu6', 'relu_n1_to_1'];

const conv =
  (kind: 'full' | 'dw' | 'pw', biasDt?: 'int32' | 'int64'): Layer =>
  (c) => {
    const C = 3;
    const x = c.input([1, 6, 5, C]);
    const act = ACTS[int(c.r, 0, 3)];
    if (kind === 'dw') {
      const w = c.weights([C * 2, 3, 3, 1], true);
      const y = c.output([1, 3, 3, C * 2], q1(scale(c.r), c.zp()));
      c.node('Conv', [x, w, c.bias(C * 2, biasDt ?? 'int32', 1e5)], [y], { strides: [2, 2], pads: [1, 1, 1, 1], group: C, activation: act, dilations: [1, 1] });
    } else if (kind === 'pw') {
      const w = c.weights([4, 1, 1, C], true);
      const y = c.output([1, 6, 5, 4], q1(scale(c.r), c.zp()));
      c.node('Conv', [x, w, biasDt ? c.bias(4, biasDt, 3e4) : -1], [y], { strides: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: act, dilations: [1, 1] });
    } else {
      const w = c.weights([4, 3, 3, C], true);
      const y = c.output([1, 3, 5, 4], q1(scale(c.r), c.zp()));
      c.node('Conv', [x, w, c.bias(4, biasDt ?? 'int32', 1e6)], [y], { strides: [2, 1], pads: [1, 1, 0, 1], group: 1, activation: act, dilations: [1, 1] });
    }
  };

const fc =
  (perChannel: boolean, biasDt: 'int32' | 'int64'): Layer =>
  (c) => {
    const x = c.input([2, 12]);
    const w = c.weights([5, 12], perChannel);
    const y = c.output([2, 5], q1(scale(c.r), c.zp()));
    c.node('FullyConnected', [x, w, c.bias(5, biasDt, 1e5)], [y], { activation: ACTS[int(c.r, 0, 3)] });
  };

const binary =
  (op: 'Add' | 'Sub' | 'Mul'): Layer =>
  (c) => {
    const a = c.input([1, 4, 3, 3]);
    const b = c.input(c.r() < 0.5 ? [3] : [1, 4, 3, 3]);
    const y = c.output([1, 4, 3, 3], q1(scale(c.r), c.zp()));
    c.node(op, [a, b], [y], { activation: ACTS[int(c.r, 0, 3)] });
  };

const LAYERS8: Record<string, Layer> = {
  Conv: conv('full'),
  'Conv depthwise': conv('dw'),
  'Conv 1x1': conv('pw', 'int32'),
  'FullyConnected per-tensor': fc(false, 'int32'),
  'FullyConnected per-channel': fc(true, 'int32'),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  AveragePool: (c) => {
    const q = q1(scale(c.r), c.zp());
    c.node('AveragePool', [c.input([1, 7, 6, 3], q)], [c.output([1, 4, 3, 3], q)], { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 0], activation: ACTS[int(c.r, 0, 3)] });
  },
  MaxPool: (c) => {
    const q = q1(scale(c.r), c.zp());
    c.node('MaxPool', [c.input([1, 5, 5, 2], q)], [c.output([1, 3, 3, 2], q)], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], activation: ACTS[int(c.r, 0, 3)] });
  },
  ReduceMean: (c) => c.node('ReduceMean', [c.input([1, 5, 4, 3])], [c.output([1, 1, 1, 3], q1(scale(c.r), c.zp()))], { axes: [1, 2], keepdims: 1 }),
  Softmax: (c) => c.node('Softmax', [c.input([3, 10])], [c.output([3, 10], q1(1 / 256, -128))], { axis: -1 }),
  LogSoftmax: (c) => c.node('LogSoftmax', [c.input([3, 10])], [c.output([3, 10], q1(16 / 256, 127))], { axis: -1 }),
  Sigmoid: (c) => c.node('Sigmoid', [c.input([40])], [c.output([40], q1(1 / 256, -128))]),
  Tanh: (c) => c.node('Tanh', [c.input([40])], [c.output([40], q1(1 / 128, 0))]),
  Relu: (c) => c.node('Relu', [c.input([40])], [c.output([40], q1(scale(c.r), c.zp()))]),
  Clip: (c) => {
    const lo = -3 * c.r();
    c.node('Clip', [c.input([40])], [c.output([40], q1(scale(c.r), c.zp()))], { min: lo, max: lo + 6 * c.r() });
  },
  LeakyRelu: (c) => c.node('LeakyRelu', [c.input([40])], [c.output([40], q1(scale(c.r), c.zp()))], { alpha: f32(c.r() * 0.9 + 0.01) }),
  HardSwish: (c) => c.node('HardSwish', [c.input([40])], [c.output([40], q1(scale(c.r), c.zp()))]),
  'Quantize int8->int8': (c) => c.node('Quantize', [c.input([30])], [c.output([30], q1(scale(c.r), c.zp()))], {}),
  'Quantize int8->int16': (c) => c.node('Quantize', [c.input([30])], [c.output([30], q1(scale(c.r), 0), 'int16')], {}),
  Concat: (c) => {
    const a = c.input([2, 3, 2]);
    const b2 = c.input([2, 4, 2]);
    c.node('Concat', [a, b2], [c.output([2, 7, 2], q1(scale(c.r), c.zp()))], { axis: 1 });
  },
  Pad: (c) => {
    const q = q1(scale(c.r), c.zp());
    c.node('Pad', [c.input([1, 3, 3, 2], q)], [c.output([1, 5, 6, 3], q)], { pads: [0, 1, 2, 0, 0, 1, 1, 1] });
  },
};

const LAYERS16: Record<string, Layer> = {
  'Conv int64 bias': conv('full', 'int64'),
  'Conv depthwise int64 bias': conv('dw', 'int64'),
  'Conv 1x1 no bias': conv('pw'),
  'Conv 1x1 int32 bias': conv('pw', 'int32'),
  'FullyConnected int64 bias': fc(true, 'int64'),
  // windows of more than 512 products: the C sums int32 partials of at most 512 products into the int64 total
  'FullyConnected K=600 int64 bias': (c) => {
    const x = c.input([1, 600]);
    const w = c.weights([3, 600], true, true); // with the all-maximum input case: a sum beyond 2^31
    c.node('FullyConnected', [x, w, c.bias(3, 'int64', 1e6)], [c.output([1, 3], q1(scale(c.r), 0))], { activation: 'none' });
  },
  'Conv 3x3x64 int64 bias': (c) => {
    const x = c.input([1, 3, 3, 64]);
    const w = c.weights([2, 3, 3, 64], true, true);
    c.node('Conv', [x, w, c.bias(2, 'int64', 1e6)], [c.output([1, 3, 3, 2], q1(scale(c.r), 0))], { strides: [1, 1], pads: [1, 1, 1, 1], group: 1, activation: 'none', dilations: [1, 1] });
  },
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  AveragePool: LAYERS8.AveragePool,
  MaxPool: LAYERS8.MaxPool,
  ReduceMean: LAYERS8.ReduceMean,
  Softmax: (c) => c.node('Softmax', [c.input([3, 10])], [c.output([3, 10], q1(1 / 32768, 0))], { axis: -1 }),
  Sigmoid: (c) => c.node('Sigmoid', [c.input([40])], [c.output([40], q1(1 / 32768, 0))]),
  Tanh: (c) => c.node('Tanh', [c.input([40])], [c.output([40], q1(1 / 32768, 0))]),
  'Sigmoid power-of-two input': (c) => c.node('Sigmoid', [c.input([40], q1(2 ** -12, 0))], [c.output([40], q1(1 / 32768, 0))]),
  'Tanh power-of-two input': (c) => c.node('Tanh', [c.input([40], q1(2 ** int(c.r, -13, -12), 0))], [c.output([40], q1(1 / 32768, 0))]),
  Relu: LAYERS8.Relu,
  Clip: LAYERS8.Clip,
  LeakyRelu: LAYERS8.LeakyRelu,
  'Quantize int16->int16': (c) => c.node('Quantize', [c.input([30])], [c.output([30], q1(scale(c.r), 0))], {}),
  'Quantize int16->int8': (c) => c.node('Quantize', [c.input([30])], [c.output([30], q1(scale(c.r), int(c.r, -128, 127)), 'int8')], {}),
  Concat: LAYERS8.Concat,
  Pad: LAYERS8.Pad,
};

/** Adds `layer` drawn from `r` to builder b (inputs/outputs appended). */
function addLayer(b: GraphBuilder, r: R, dt: DType, tag: string, layer: Layer): void {
  let k = 0;
  const c: Ctx = {
    b,
    r,
    dt,
    zp: () => (dt === 'int16' ? 0 : int(r, -128, 127)),
    input(shape, q) {
      const id = b.tensor({ name: `${tag}_in${k++}`, dtype: dt, shape, quant: q ?? q1(scale(r), c.zp()) });
      b.inputs.push(id);
      return id;
    },
    output(shape, q, odt) {
      const id = b.tensor({ name: `${tag}_out${k++}`, dtype: odt ?? dt, shape, quant: q });
      b.outputs.push(id);
      return id;
    },
    node(op, inputs, outputs, attrs = {}) {
      b.node({ op, name: `${tag}_${op.toLowerCase()}`, inputs, outputs, attrs: op === 'Quantize' ? { ...attrs, ...quantizeAttrs(b, outputs[0]) } : attrs });
    },
    weights(shape, perChannel, positive) {
      const n = shape[0];
      const scales = perChannel ? Array.from({ length: n }, () => scale(r)) : [scale(r)];
      return b.tensor({ name: `${tag}_w${k++}`, dtype: 'int8', shape, data: Int8Array.from({ length: shapeSize(shape) }, () => (positive ? int(r, 100, 127) : int(r, -127, 127))), quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 } });
    },
    bias(n, bdt, mag) {
      const data = bdt === 'int64' ? Float64Array.from({ length: n }, () => Math.round((r() * 2 - 1) * mag)) : Int32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * mag));
      return b.tensor({ name: `${tag}_b${k++}`, dtype: bdt, shape: [n], data, quant: { scale: new Array(n).fill(1e-9), zeroPoint: new Array(n).fill(0), axis: 0 } });
    },
  };
  layer(c);
}

function quantizeAttrs(b: GraphBuilder, out: number): Attrs {
  const t = b.tensors[out];
  return { scale: t.quant!.scale, zero_point: t.quant!.zeroPoint, axis: 0, to: t.dtype };
}

/** Draw `per` instances of every layer kind; redraw the ones prepare refuses with a coded diagnostic. */
function campaign(dt: DType, layers: Record<string, Layer>, per: number, seed: number) {
  const r = rng(seed);
  const big = new GraphBuilder({ format: 'espforge', source: `qprop_${dt}` });
  const accepted: Record<string, number> = {};
  const refused: Record<string, string[]> = {};
  for (const [name, layer] of Object.entries(layers))
    for (let i = 0; i < per; i++) {
      const tag = `${name.replace(/[^A-Za-z0-9]+/g, '_')}_${i}`;
      for (let tries = 0; tries < 25; tries++) {
        const state = r();
        // draw twice from the same sub-seed: once alone (does prepare accept it?), then into the big graph
        const trial = new GraphBuilder({ format: 'espforge', source: 'trial' });
        addLayer(trial, rng(Math.floor(state * 2 ** 31)), dt, tag, layer);
        try {
          prepareIntGraph(inferGraph(trial.build()));
        } catch (e) {
          if (!(e instanceof EspforgeError)) throw e;
          (refused[name] ??= []).push(e.diagnostics[0].code);
          continue;
        }
        addLayer(big, rng(Math.floor(state * 2 ** 31)), dt, tag, layer);
        accepted[name] = (accepted[name] ?? 0) + 1;
        break;
      }
    }
  return { g: prepareIntGraph(inferGraph(big.build())), accepted, refused };
}

function gccOr(t: TestContext): boolean {
  if (hasTool('gcc')) return true;
  if (process.env.CI === 'true') throw new Error('gcc missing under CI');
  t.skip('gcc not found (EF4002)');
  return false;
}

function check(t: TestContext, dt: DType, layers: Record<string, Layer>, seed: number) {
  const { g, accepted, refused } = campaign(dt, layers, PER, seed);
  t.diagnostic(`${dt}: accepted ${JSON.stringify(accepted)}; refused by prepare (redrawn) ${JSON.stringify(Object.fromEntries(Object.entries(refused).map(([k, v]) => [k, v.length])))}`);
  const starved = Object.keys(layers).filter((k) => !accepted[k]);
  assert.deepEqual(starved, [], `no accepted draw for ${starved.join(', ')}: ${JSON.stringify(refused)}`);
  for (const codes of Object.values(refused)) for (const code of codes) assert.ok(['EF3004'].includes(code), `prepare refused with ${code}`);
  let e;
  try {
    e = emitC(g, { name: `qprop_${dt}` });
  } catch (err) {
    if (err instanceof EspforgeError) assert.fail(`the simulator accepts these parameters but build refuses: ${err.message}`);
    throw err;
  }
  if (!gccOr(t)) return;
  const cs = Array.from({ length: 4 }, (_, k) => {
    const inputs = g.inputs.map((id, j) => {
      const n = shapeSize(g.tensors[id].shape);
      // case 3: every input at its maximum (saturation, and accumulators at their largest)
      if (k === 3) return new Array<number>(n).fill(g.tensors[id].dtype === 'int16' ? 32767 : 127);
      const v = pseudoRandomInput(n, g.tensors[id].dtype, seed + 101 * k + j);
      // case 2: inputs near the zero point (small differences, where rounding ties and the table ends show)
      if (k !== 2) return v;
      const zp = g.tensors[id].quant!.zeroPoint[0];
      const [lo, hi] = g.tensors[id].dtype === 'int16' ? [-32768, 32767] : [-128, 127];
      return v.map((x) => Math.max(lo, Math.min(hi, zp + (x % 5))));
    });
    return { name: `q${k}`, inputs, expected: simulate(g, inputs) };
  });
  const spec = harnessSpec(g, e.prefix);
  const cmp = (label: string, run: ReturnType<typeof runHost>, n: number) => {
    assert.equal(run.cases.length, n);
    run.cases.forEach((c, k) =>
      c.outputs.forEach((o, j) => {
        const got = Array.from(o);
        const want = cs[k].expected[j];
        const i = got.findIndex((v, m) => v !== want[m]);
        assert.ok(i < 0, `${label} case ${k}: '${g.tensors[g.outputs[j]].name}' element ${i}: C ${got[i]}, simulator ${want[i]}`);
      }),
    );
  };
  cmp(`${dt} host`, runHost(e.files, spec, cs, false), cs.length);
  cmp(`${dt} ASan/UBSan`, runHost(e.files, spec, cs, true), cs.length);
  if (dt === 'int16') checkRv32(t, 'qparams int16', e.files, spec, cs.slice(0, 1));
}

test('int8 kernels over random quantization parameters: C == simulator (host, ASan/UBSan)', (t) => check(t, 'int8', LAYERS8, 8080 + SEED));
test('int16 (16x8) kernels over random quantization parameters: C == simulator (host, ASan/UBSan, rv32)', (t) => check(t, 'int16', LAYERS16, 1616 + SEED));
