// Activations (Clip, LeakyRelu, PRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu, Selu, Relu) and
// Softmax / LogSoftmax. References are the textbook formulas written with Math functions in a different form
// from the kernels (e.g. tanh via exp, hard-swish in the ONNX form, softmax without the max shift), so
// float32 outputs are compared with a tolerance of a few float32 ulps (rtol 1e-6 relative, atol 1e-7).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertClose, assertExact, bcastGet, infer, randVal, rng, run, size, throwsCode, unravel, val } from './kit.js';

const r = rng(11);
const X = randVal(r, [3, 4, 5], 'float32', -7, 7);
// add exact edge points: 0, ±3 (hard-swish knees), ±2.5 (hard-sigmoid knees), large magnitudes
const EDGES = [0, -0, 3, -3, 2.5, -2.5, 6, -6, 30, -30, 88, -88, 1e-8, -1e-8];
EDGES.forEach((v, i) => (X.data[i] = v));

function map(f: (x: number) => number): number[] {
  return Array.from(X.data, f);
}

const RTOL = 1e-6; // float32 has ~6e-8 relative precision; differently-ordered formulas agree within a few ulps
const ATOL = 1e-7;

describe('unary activations against formula references', () => {
  const cases: [string, Record<string, number>, (x: number) => number][] = [
    ['Relu', {}, (x) => Math.max(x, 0)],
    ['LeakyRelu', {}, (x) => (x < 0 ? 0.01 * x : x)],
    ['LeakyRelu', { alpha: 0.3 }, (x) => (x < 0 ? 0.3 * x : x)],
    ['Sigmoid', {}, (x) => 1 / (1 + Math.exp(-x))],
    ['Tanh', {}, (x) => (Math.abs(x) > 20 ? Math.sign(x) : (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1))],
    ['HardSigmoid', {}, (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5))],
    ['HardSigmoid', { alpha: 0.5, beta: 0.6 }, (x) => Math.max(0, Math.min(1, 0.5 * x + 0.6))],
    ['HardSwish', {}, (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))],
    ['Elu', {}, (x) => (x < 0 ? Math.exp(x) - 1 : x)],
    ['Elu', { alpha: 2 }, (x) => (x < 0 ? 2 * (Math.exp(x) - 1) : x)],
    ['Selu', {}, (x) => 1.0507009873554805 * (x <= 0 ? 1.6732632423543772 * (Math.exp(x) - 1) : x)],
    ['Selu', { alpha: 2, gamma: 3 }, (x) => 3 * (x <= 0 ? 2 * (Math.exp(x) - 1) : x)],
    ['Clip', { min: -1.5, max: 2 }, (x) => Math.min(2, Math.max(-1.5, x))],
    ['Clip', { min: 0.5 }, (x) => Math.max(0.5, x)],
    ['Clip', { max: -0.5 }, (x) => Math.min(-0.5, x)],
    ['Clip', {}, (x) => x],
  ];
  for (const [op, attrs, f] of cases) {
    it(`${op} ${JSON.stringify(attrs)}`, () => {
      const [y] = run(op, [X], attrs);
      assert.equal(y.dtype, 'float32');
      // Selu's reference constants are the paper's doubles; the op's defaults are their float32 roundings
      const rtol = op === 'Selu' && !('alpha' in attrs) ? 2e-7 + RTOL : RTOL;
      assertClose(y, X.shape, map((x) => Math.fround(f(x))), rtol, ATOL, op);
      assert.notEqual(y.data, X.data, 'a new array (the planner decides about aliasing)');
    });
  }

  it('hand-derived points', () => {
    // Sigmoid(0) = 1/2; HardSwish(-3) = -3*relu6(0)/6 = 0, HardSwish(3) = 3*6/6 = 3, HardSwish(1) = 1*4/6 = 2/3;
    // HardSigmoid(2.5) = 0.2*2.5+0.5 = 1; Elu(-inf-ish -30) ≈ -1; LeakyRelu(-2) = -0.02.
    assertClose(run('Sigmoid', [val('float32', [1], [0])])[0], [1], [0.5]);
    assertClose(run('HardSwish', [val('float32', [3], [-3, 3, 1])])[0], [3], [0, 3, Math.fround(2 / 3)]);
    assertClose(run('HardSigmoid', [val('float32', [2], [2.5, -2.5])])[0], [2], [1, 0]);
    assertClose(run('Elu', [val('float32', [1], [-30])])[0], [1], [-1]);
    assertClose(run('LeakyRelu', [val('float32', [1], [-2])])[0], [1], [Math.fround(-0.02)]);
    // Sigmoid of large magnitudes neither overflows nor yields NaN: σ(-1000) = 0, σ(1000) = 1.
    assertExact(run('Sigmoid', [val('float64', [2], [-1000, 1000])])[0], [2], [0, 1]);
  });
});

describe('Clip on integer tensors keeps the dtype', () => {
  it('int8 and uint8', () => {
    // int8 [-128, -5, 0, 5, 127] clipped to [-3, 4] → [-3, -3, 0, 4, 4]
    const [a] = run('Clip', [val('int8', [5], [-128, -5, 0, 5, 127])], { min: -3, max: 4 });
    assert.equal(a.dtype, 'int8');
    assertExact(a, [5], [-3, -3, 0, 4, 4]);
    // uint8 [0, 10, 200, 255] with min 10 only → [10, 10, 200, 255]
    const [b] = run('Clip', [val('uint8', [4], [0, 10, 200, 255])], { min: 10 });
    assert.equal(b.dtype, 'uint8');
    assertExact(b, [4], [10, 10, 200, 255]);
  });
  it('min > max gives max everywhere (numpy.clip order, as ONNX test_clip_min_greater_than_max)', () => {
    assertExact(run('Clip', [val('float32', [3], [-1, 0, 1])], { min: 2, max: 1 })[0], [3], [1, 1, 1]);
  });
});

describe('PRelu', () => {
  const r2 = rng(12);
  for (const sShape of [[5], [4, 1], [1, 4, 5], [3, 4, 5], [1], []]) {
    it(`slope [${sShape}] broadcast to [3,4,5]`, () => {
      const x = randVal(r2, [3, 4, 5]);
      const s = randVal(r2, sShape, 'float32', -1, 1);
      const [y] = run('PRelu', [x, s]);
      const ref: number[] = [];
      for (let i = 0; i < size(x.shape); i++) {
        const v = x.data[i];
        ref.push(v >= 0 ? v : Math.fround(bcastGet(s, unravel(i, x.shape)) * v));
      }
      assertExact(y, [3, 4, 5], ref);
    });
  }
  it('slope that would grow X → EF1004; int input → EF1005', () => {
    throwsCode(() => infer('PRelu', [{ dtype: 'float32', shape: [4, 1] }, { dtype: 'float32', shape: [4, 5] }]), 'EF1004');
    throwsCode(() => infer('PRelu', [{ dtype: 'float32', shape: [4, 5] }, { dtype: 'float32', shape: [3] }]), 'EF1004');
    // int8 X/slope: a quantized graph; inference accepts it, the float kernel refuses it
    assert.deepEqual(infer('PRelu', [{ dtype: 'int8', shape: [4] }, { dtype: 'int8', shape: [4] }])[0].shape, [4]);
    throwsCode(() => run('PRelu', [val('int8', [4], [1, 2, 3, 4]), val('int8', [4], [1, 1, 1, 1])]), 'EF1005');
  });
});

/** Naive softmax along `axis`: for every output coordinate, sum exp over the axis (no max subtraction). */
function softmaxRef(x: Float32Array | Float64Array | ArrayLike<number>, shape: number[], axis: number, log: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const c = unravel(i, shape);
    let sum = 0;
    for (let k = 0; k < shape[axis]; k++) {
      const cc = c.slice();
      cc[axis] = k;
      let flat = 0;
      for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + cc[d];
      sum += Math.exp(x[flat]);
    }
    out.push(Math.fround(log ? x[i] - Math.log(sum) : Math.exp(x[i]) / sum));
  }
  return out;
}

describe('Softmax / LogSoftmax', () => {
  const r3 = rng(13);
  const x = randVal(r3, [3, 4, 5], 'float32', -5, 5);
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [0, 1, 2, -1, -2, -3]) {
      it(`${op} axis ${axis} vs naive reference`, () => {
        const [y] = run(op, [x], { axis });
        const a = axis < 0 ? axis + 3 : axis;
        assertClose(y, [3, 4, 5], softmaxRef(x.data, x.shape, a, op === 'LogSoftmax'), 1e-5, 1e-7, `${op} ${axis}`);
      });
    }
    it(`${op} default axis is -1`, () => {
      const [y] = run(op, [x]);
      assertClose(y, [3, 4, 5], softmaxRef(x.data, x.shape, 2, op === 'LogSoftmax'), 1e-5, 1e-7);
    });
  }
  it('large inputs are stable: softmax(x + 10000) = softmax(x) (shift invariance)', () => {
    // naive exp(10000) overflows to Infinity; the kernel subtracts the max first
    const small = val('float64', [2, 3], [0, 1, 2, 3, 4, 5]);
    const big = val('float64', [2, 3], [10000, 10001, 10002, 10003, 10004, 10005]);
    const [a] = run('Softmax', [small]);
    const [b] = run('Softmax', [big]);
    assertClose(b, [2, 3], a.data, 1e-12, 1e-15);
    const [la] = run('LogSoftmax', [small]);
    const [lb] = run('LogSoftmax', [big]);
    assertClose(lb, [2, 3], la.data, 1e-9, 1e-9);
    // hand-derived: softmax([0,1,2]) = [1, e, e^2] / (1 + e + e^2)
    const z = 1 + Math.E + Math.E * Math.E;
    assertClose(a, [2, 3], [1 / z, Math.E / z, (Math.E * Math.E) / z, 1 / z, Math.E / z, (Math.E * Math.E) / z], 1e-12, 0);
  });
  it('rows sum to 1', () => {
    const [y] = run('Softmax', [x], { axis: 1 });
    for (let i = 0; i < 3; i++)
      for (let k = 0; k < 5; k++) {
        let s = 0;
        for (let j = 0; j < 4; j++) s += y.data[i * 20 + j * 5 + k];
        assert.ok(Math.abs(s - 1) < 1e-6);
      }
  });
  it('errors: axis out of range → EF1006, integer input → EF1005', () => {
    throwsCode(() => infer('Softmax', [{ dtype: 'float32', shape: [2, 3] }], { axis: 2 }), 'EF1006');
    throwsCode(() => infer('LogSoftmax', [{ dtype: 'float32', shape: [2, 3] }], { axis: -3 }), 'EF1006');
    throwsCode(() => run('Softmax', [val('int8', [2, 3], [1, 2, 3, 4, 5, 6])]), 'EF1005');
  });
});

describe('activation errors', () => {
  it('float-only activations: inference accepts int8 (quantized graphs), the float kernel rejects it with EF1005', () => {
    for (const op of ['Sigmoid', 'Tanh', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Softmax', 'LogSoftmax']) {
      assert.deepEqual(infer(op, [{ dtype: 'int8', shape: [1, 4] }])[0], { dtype: 'int8', shape: [1, 4] }, op);
      throwsCode(() => run(op, [val('int8', [4], [-2, -1, 0, 1])]), 'EF1005');
    }
  });
  it('bad attribute → EF1006', () => {
    throwsCode(() => infer('LeakyRelu', [{ dtype: 'float32', shape: [4] }], { slope: 0.1 }), 'EF1006', false);
    throwsCode(() => infer('Clip', [{ dtype: 'float32', shape: [4] }], { min: 'a' as unknown as number }), 'EF1006', false);
  });
});
