// Binary element-wise ops (Add/Sub/Mul/Div/Max/Min): broadcasting, integer wrap-around, integer division,
// variadic Max/Min, fused activations, and their coded errors. References use naive coordinate math and
// BigInt integer arithmetic, never the kernels' broadcastIndex or typed-array wrap.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType } from '../../src/ir/dtype.js';
import type { Value } from '../../src/ops/types.js';
import { assertExact, bcastGet, infer, randVal, rng, run, size, throwsCode, unravel, val } from './kit.js';

const BITS: Partial<Record<DType, [number, boolean]>> = {
  int8: [8, true],
  uint8: [8, false],
  int16: [16, true],
  uint16: [16, false],
  int32: [32, true],
};

/** Store a mathematical integer (BigInt) the way a C integer of `dt` would wrap it. */
function wrap(v: bigint, dt: DType): number {
  const b = BITS[dt]!;
  return Number(b[1] ? BigInt.asIntN(b[0], v) : BigInt.asUintN(b[0], v));
}

function broadcastShape(shapes: number[][]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s[s.length - r + i] ?? 1;
      if (k !== 1) d = k;
    }
    out.push(d);
  }
  return out;
}

/** Naive reference: per output coordinate, look each input up and fold with `f`. */
function reference(vals: Value[], f: (a: number, b: number) => number): { shape: number[]; data: number[] } {
  const shape = broadcastShape(vals.map((v) => v.shape));
  const data: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const c = unravel(i, shape);
    let acc = bcastGet(vals[0], c);
    for (let k = 1; k < vals.length; k++) acc = f(acc, bcastGet(vals[k], c));
    data.push(acc);
  }
  return { shape, data };
}

// Shape pairs covering: equal shapes, scalar on either side, trailing vector, middle size-1 dims, rank change.
const SHAPE_PAIRS: [number[], number[]][] = [
  [[3, 4, 5], [3, 4, 5]],
  [[3, 4, 5], [5]],
  [[3, 4, 5], []],
  [[1], [2, 3]],
  [[2, 1, 4], [3, 1]],
  [[1, 3, 1], [2, 1, 5]],
  [[4, 1], [1, 6]],
  [[2, 3, 4, 5], [3, 1, 5]],
  [[3, 4, 5], [1, 4, 5]], // trailing tile (fast path)
  [[2, 3, 4], [1, 1, 4]],
];

const f32 = Math.fround;
const FLOAT_OPS: [string, (a: number, b: number) => number][] = [
  ['Add', (a, b) => f32(a + b)],
  ['Sub', (a, b) => f32(a - b)],
  ['Mul', (a, b) => f32(a * b)],
  ['Div', (a, b) => f32(a / b)],
  ['Max', (a, b) => (a > b ? a : b)],
  ['Min', (a, b) => (a < b ? a : b)],
];

describe('binary ops on float32 with broadcasting', () => {
  const r = rng(1);
  for (const [op, f] of FLOAT_OPS) {
    it(`${op} matches a per-coordinate reference on ${SHAPE_PAIRS.length} shape pairs, both argument orders`, () => {
      for (const [sa, sb] of SHAPE_PAIRS) {
        for (const [x, y] of [
          [sa, sb],
          [sb, sa],
        ]) {
          const a = randVal(r, x);
          const b = randVal(r, y, 'float32', 0.5, 3); // Div: keep the divisor away from 0
          const [out] = run(op, [a, b]);
          const ref = reference([a, b], f);
          assertExact(out, ref.shape, ref.data, `${op} [${x}] x [${y}]`);
        }
      }
    });
  }
});

describe('binary ops on integer dtypes (wrap like C, Div truncates)', () => {
  const r = rng(2);
  const INT_OPS: [string, (a: bigint, b: bigint) => bigint][] = [
    ['Add', (a, b) => a + b],
    ['Sub', (a, b) => a - b],
    ['Mul', (a, b) => a * b],
    ['Div', (a, b) => a / b], // BigInt division truncates toward zero
  ];
  const ranges: [DType, number, number][] = [
    ['int8', -128, 127],
    ['uint8', 0, 255],
    ['int16', -32768, 32767],
    ['int32', -2147483648, 2147483647],
  ];
  for (const [op, f] of INT_OPS) {
    for (const [dt, lo, hi] of ranges) {
      it(`${op} ${dt}`, () => {
        const a = randVal(r, [3, 4, 5], dt, lo, hi);
        const b = randVal(r, [4, 1], dt, lo, hi);
        if (op === 'Div') for (let i = 0; i < b.data.length; i++) if (b.data[i] === 0) b.data[i] = 7;
        const [out] = run(op, [a, b]);
        const ref = reference([a, b], (x, y) => wrap(f(BigInt(x), BigInt(y)), dt));
        assertExact(out, ref.shape, ref.data, `${op} ${dt}`);
      });
    }
  }

  it('hand-derived: int8 wrap and truncating division', () => {
    // 127 + 1 = 128 → wraps to 128 - 256 = -128; -100 - 100 = -200 → -200 + 256 = 56.
    assertExact(run('Add', [val('int8', [2], [127, -100]), val('int8', [2], [1, -100])])[0], [2], [-128, 56]);
    // -7 / 2 = -3.5 → truncated toward zero = -3 (not floor's -4); 7 / -2 → -3; 6 / 4 → 1.
    assertExact(run('Div', [val('int8', [3], [-7, 7, 6]), val('int8', [3], [2, -2, 4])])[0], [3], [-3, -3, 1]);
    // int32: 65536 * 65537 = 2^32 + 2^16 → low 32 bits = 65536.
    assertExact(run('Mul', [val('int32', [1], [65536]), val('int32', [1], [65537])])[0], [1], [65536]);
  });

  it('int64 (held as float64) Div truncates', () => {
    // -9 / 4 = -2.25 → -2
    assertExact(run('Div', [val('int64', [2], [-9, 9]), val('int64', [2], [4, 4])])[0], [2], [-2, 2]);
  });
});

describe('variadic Max / Min', () => {
  const r = rng(3);
  it('fold 1, 2, 3 and 4 inputs with broadcasting', () => {
    const shapes = [[2, 1, 4], [3, 1], [4], [2, 3, 4]];
    for (const op of ['Max', 'Min']) {
      const f = op === 'Max' ? (a: number, b: number) => Math.max(a, b) : (a: number, b: number) => Math.min(a, b);
      for (let k = 1; k <= shapes.length; k++) {
        const vals = shapes.slice(0, k).map((s) => randVal(r, s));
        const [out] = run(op, vals);
        const ref = reference(vals, f);
        assertExact(out, ref.shape, ref.data, `${op} with ${k} inputs`);
      }
    }
  });
  it('hand-derived: Max of [1,5], [3], [[0],[4]] = [[3,5],[4,5]]', () => {
    // row 0: max(1,3,0)=3, max(5,3,0)=5; row 1: max(1,3,4)=4, max(5,3,4)=5
    const out = run('Max', [val('float32', [2], [1, 5]), val('float32', [1], [3]), val('float32', [2, 1], [0, 4])])[0];
    assertExact(out, [2, 2], [3, 5, 4, 5]);
  });
  it('a single input is copied, not aliased', () => {
    const a = val('float32', [3], [1, -2, 3]);
    const [out] = run('Min', [a]);
    assertExact(out, [3], [1, -2, 3]);
    assert.notEqual(out.data, a.data);
  });
});

describe('fused activation on binary ops', () => {
  it('relu / relu6 / relu_n1_to_1 clamp the result', () => {
    const a = val('float32', [5], [-8, -0.5, 0.25, 5, 9]);
    const z = val('float32', [1], [0]);
    assertExact(run('Add', [a, z], { activation: 'relu' })[0], [5], [0, 0, 0.25, 5, 9]);
    assertExact(run('Sub', [a, z], { activation: 'relu6' })[0], [5], [0, 0, 0.25, 5, 6]);
    assertExact(run('Max', [a, z], { activation: 'relu_n1_to_1' })[0], [5], [0, 0, 0.25, 1, 1]);
  });
});

describe('binary op errors', () => {
  it('incompatible broadcast → EF1004 naming the node', () => {
    throwsCode(() => infer('Mul', [{ dtype: 'float32', shape: [3, 4] }, { dtype: 'float32', shape: [3] }]), 'EF1004');
    throwsCode(() => run('Sub', [randVal(rng(0), [2, 3]), randVal(rng(0), [4, 3])]), 'EF1004');
    throwsCode(() => run('Max', [randVal(rng(0), [2]), randVal(rng(0), [2]), randVal(rng(0), [3])]), 'EF1004');
  });
  it('dtype mismatch → EF1005', () => {
    throwsCode(() => infer('Div', [{ dtype: 'float32', shape: [3] }, { dtype: 'int8', shape: [3] }]), 'EF1005');
  });
  it('missing input → EF1009', () => {
    throwsCode(() => infer('Max', []), 'EF1009');
    throwsCode(() => infer('Add', [{ dtype: 'float32', shape: [3] }]), 'EF1009');
  });
  it('unknown activation → EF1006', () => {
    throwsCode(() => infer('Add', [{ dtype: 'float32', shape: [3] }, { dtype: 'float32', shape: [3] }], { activation: 'gelu' }), 'EF1006');
  });
  it('MACs are the output element count', async () => {
    const { getOp } = await import('../../src/ops/index.js');
    const d = getOp('Mul');
    assert.equal(d.macs({ node: { op: 'Mul', name: 'm', inputs: [], outputs: [], attrs: {} }, attrs: {}, inputs: [] }, [{ dtype: 'float32', shape: [2, 3, 4] }]), 24);
  });
});
