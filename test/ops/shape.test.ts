// Data-movement ops: Concat, Reshape, Transpose, Pad, Slice, Gather, Identity. References compute every
// output element from its coordinates with plain loops (no strides tricks), built differently from the
// kernels' strided/mapped copies; values must match exactly.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getOp } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { assertExact, infer, randInt, randVal, ravel, rng, run, size, throwsCode, unravel, val } from './kit.js';

/** iota tensor: element value = flat index (makes every mistake visible). */
function iota(shape: number[], dtype: Value['dtype'] = 'float32'): Value {
  return val(dtype, shape, Array.from({ length: size(shape) }, (_, i) => i));
}

describe('Concat', () => {
  const r = rng(21);
  function ref(vals: Value[], axis: number): { shape: number[]; data: number[] } {
    const shape = vals[0].shape.slice();
    shape[axis] = vals.reduce((s, v) => s + v.shape[axis], 0);
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape);
      let k = c[axis];
      let j = 0;
      while (k >= vals[j].shape[axis]) k -= vals[j++].shape[axis];
      const cc = c.slice();
      cc[axis] = k;
      data.push(vals[j].data[ravel(cc, vals[j].shape)]);
    }
    return { shape, data };
  }
  for (const axis of [0, 1, 2, 3, -1, -4]) {
    it(`rank 4, axis ${axis}, 3 inputs of different lengths (one empty)`, () => {
      const a = axis < 0 ? axis + 4 : axis;
      const base = [2, 3, 4, 5];
      const lens = [2, 0, 7]; // includes a zero-length input (ONNX allows it)
      const vals = lens.map((l) => {
        const s = base.slice();
        s[a] = l;
        return randVal(r, s);
      });
      const [y] = run('Concat', vals, { axis });
      const e = ref(vals, a);
      assertExact(y, e.shape, e.data);
    });
  }
  it('hand-derived: [[0,1],[2,3]] ++ [[4],[5]] on axis 1 = [[0,1,4],[2,3,5]]', () => {
    assertExact(run('Concat', [iota([2, 2]), val('float32', [2, 1], [4, 5])], { axis: 1 })[0], [2, 3], [0, 1, 4, 2, 3, 5]);
  });
  it('int8 keeps dtype; single input', () => {
    const [y] = run('Concat', [iota([3], 'int8')], { axis: 0 });
    assert.equal(y.dtype, 'int8');
    assertExact(y, [3], [0, 1, 2]);
  });
  it('errors: mismatched dims EF1004, dtypes EF1005, bad axis EF1006, axis missing EF1006', () => {
    throwsCode(() => infer('Concat', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [3, 3] }], { axis: 1 }), 'EF1004');
    throwsCode(() => infer('Concat', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [2, 3, 1] }], { axis: 0 }), 'EF1004');
    throwsCode(() => infer('Concat', [{ dtype: 'float32', shape: [2] }, { dtype: 'int8', shape: [2] }], { axis: 0 }), 'EF1005');
    throwsCode(() => infer('Concat', [{ dtype: 'float32', shape: [2] }], { axis: 1 }), 'EF1006');
    throwsCode(() => infer('Concat', [{ dtype: 'float32', shape: [2] }]), 'EF1006');
  });
});

describe('Reshape / Identity', () => {
  it('static shapes, one -1, literal 0, shared data', () => {
    const x = iota([2, 3, 4]);
    const cases: [number[], number[]][] = [
      [[4, 6], [4, 6]],
      [[-1], [24]],
      [[2, -1, 2], [2, 6, 2]],
      [[1, 2, 3, 4], [1, 2, 3, 4]],
      [[-1, 1, 4], [6, 1, 4]],
    ];
    for (const [target, want] of cases) {
      const [y] = run('Reshape', [x], { shape: target });
      assert.deepEqual(y.shape, want);
      assert.equal(y.data, x.data, 'Reshape shares the data');
    }
    // empty tensors: 0 is literal; [0,3,4] → [3,4,0] (the ONNX allowzero=1 case, resolved by the importer)
    const [z] = run('Reshape', [iota([0, 3, 4])], { shape: [3, 4, 0] });
    assert.deepEqual(z.shape, [3, 4, 0]);
  });
  it('symbolic input dim keeps -1 for later passes', () => {
    assert.deepEqual(infer('Reshape', [{ dtype: 'float32', shape: [-1, 28, 28, 1] }], { shape: [-1, 784] })[0].shape, [-1, 784]);
  });
  it('errors: count mismatch EF1004, two -1 EF1006, other negative EF1006, -1 with a 0 EF1004', () => {
    throwsCode(() => infer('Reshape', [{ dtype: 'float32', shape: [2, 3] }], { shape: [4, 2] }), 'EF1004');
    throwsCode(() => infer('Reshape', [{ dtype: 'float32', shape: [2, 3] }], { shape: [-1, 4] }), 'EF1004');
    throwsCode(() => infer('Reshape', [{ dtype: 'float32', shape: [2, 3] }], { shape: [-1, -1] }), 'EF1006');
    throwsCode(() => infer('Reshape', [{ dtype: 'float32', shape: [2, 3] }], { shape: [-2, -3] }), 'EF1006');
    throwsCode(() => infer('Reshape', [{ dtype: 'float32', shape: [2, 3] }], { shape: [0, -1] }), 'EF1004');
    throwsCode(() => run('Reshape', [iota([2, 3])], { shape: [5] }), 'EF1004');
  });
  it('Identity shares data and keeps dtype', () => {
    const x = iota([2, 2], 'uint8');
    const [y] = run('Identity', [x]);
    assert.equal(y.data, x.data);
    assert.equal(y.dtype, 'uint8');
    assert.deepEqual(y.shape, [2, 2]);
  });
});

describe('Transpose', () => {
  function ref(x: Value, perm: number[]): { shape: number[]; data: number[] } {
    const shape = perm.map((p) => x.shape[p]);
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape);
      const src = new Array<number>(x.shape.length);
      perm.forEach((p, d) => (src[p] = c[d]));
      data.push(x.data[ravel(src, x.shape)]);
    }
    return { shape, data };
  }
  function perms(n: number): number[][] {
    if (n === 1) return [[0]];
    const out: number[][] = [];
    for (const p of perms(n - 1)) for (let k = 0; k <= p.length; k++) out.push([...p.slice(0, k), n - 1, ...p.slice(k)]);
    return out;
  }
  it('all 24 permutations of a rank-4 tensor, and all 6 of rank 3', () => {
    for (const shape of [[2, 3, 4, 5], [2, 3, 4]]) {
      const x = iota(shape);
      for (const p of perms(shape.length)) {
        const [y] = run('Transpose', [x], { perm: p });
        const e = ref(x, p);
        assertExact(y, e.shape, e.data, `perm ${p}`);
      }
    }
  });
  it('default perm reverses; NCHW→NHWC hand check', () => {
    const x = iota([2, 3, 4]);
    const [y] = run('Transpose', [x]);
    const e = ref(x, [2, 1, 0]);
    assertExact(y, e.shape, e.data);
    // [1,2,1,2] NCHW = c0:[0,1], c1:[2,3] → NHWC [1,1,2,2] = [[0,2],[1,3]]
    assertExact(run('Transpose', [iota([1, 2, 1, 2])], { perm: [0, 2, 3, 1] })[0], [1, 1, 2, 2], [0, 2, 1, 3]);
  });
  it('rank 0 and 1', () => {
    assertExact(run('Transpose', [val('float32', [], [7])])[0], [], [7]);
    assertExact(run('Transpose', [iota([3])])[0], [3], [0, 1, 2]);
  });
  it('bad perm → EF1006', () => {
    throwsCode(() => infer('Transpose', [{ dtype: 'float32', shape: [2, 3] }], { perm: [0, 0] }), 'EF1006');
    throwsCode(() => infer('Transpose', [{ dtype: 'float32', shape: [2, 3] }], { perm: [0, 1, 2] }), 'EF1006');
    throwsCode(() => infer('Transpose', [{ dtype: 'float32', shape: [2, 3] }], { perm: [1, 2] }), 'EF1006');
  });
});

describe('Pad', () => {
  /** Reference: crop explicitly, then pad; reflect by repeated bouncing, wrap by repeated shifting. */
  function ref(x: Value, pads: number[], mode: string, value: number): { shape: number[]; data: number[] } {
    const r = x.shape.length;
    // 1. crop (negative pads)
    const lo = x.shape.map((_, d) => Math.max(0, -pads[d]));
    const cs = x.shape.map((n, d) => n - lo[d] - Math.max(0, -pads[d + r]));
    const crop: number[] = [];
    for (let i = 0; i < size(cs); i++) {
      const c = unravel(i, cs).map((v, d) => v + lo[d]);
      crop.push(x.data[ravel(c, x.shape)]);
    }
    // 2. pad (non-negative pads)
    const b = x.shape.map((_, d) => Math.max(0, pads[d]));
    const shape = cs.map((n, d) => n + b[d] + Math.max(0, pads[d + r]));
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape);
      let outside = false;
      const src = c.map((v, d) => {
        let k = v - b[d];
        const L = cs[d];
        if (k >= 0 && k < L) return k;
        outside = true;
        if (mode === 'edge') return k < 0 ? 0 : L - 1;
        if (mode === 'wrap') {
          while (k < 0) k += L;
          while (k >= L) k -= L;
          return k;
        }
        if (mode === 'reflect') {
          if (L === 1) return 0;
          while (k < 0 || k >= L) k = k < 0 ? -k : 2 * (L - 1) - k;
          return k;
        }
        return -1;
      });
      data.push(mode === 'constant' && outside ? value : crop[ravel(src, cs)]);
    }
    return { shape, data };
  }
  const r = rng(22);
  for (const mode of ['constant', 'edge', 'reflect', 'wrap']) {
    it(`${mode}: 40 random pad sets on rank 1-4 (incl. negative pads and pads longer than the axis)`, () => {
      for (let t = 0; t < 40; t++) {
        const rank = randInt(r, 1, 4);
        const shape = Array.from({ length: rank }, () => randInt(r, 1, 5));
        const pads: number[] = [];
        for (let k = 0; k < 2 * rank; k++) pads.push(randInt(r, -1, mode === 'edge' || mode === 'constant' ? 3 : 6));
        // keep every cropped axis non-empty so edge/reflect/wrap have something to copy
        for (let d = 0; d < rank; d++) while (shape[d] + Math.min(0, pads[d]) + Math.min(0, pads[d + rank]) < 1) shape[d]++;
        const x = randVal(r, shape);
        const value = mode === 'constant' ? 2.5 : 0;
        const [y] = run('Pad', [x], { pads, mode, value });
        const e = ref(x, pads, mode, value);
        assertExact(y, e.shape, e.data, `${mode} [${shape}] pads [${pads}]`);
      }
    });
  }
  it('hand-derived: reflect / edge / constant / wrap on [1,2,3] with pads [2,2]', () => {
    // reflect mirrors without repeating the border: .. 3 2 | 1 2 3 | 2 1 ..
    assertExact(run('Pad', [iota([3])], { pads: [2, 2], mode: 'reflect' })[0], [7], [2, 1, 0, 1, 2, 1, 0]);
    assertExact(run('Pad', [iota([3])], { pads: [2, 2], mode: 'edge' })[0], [7], [0, 0, 0, 1, 2, 2, 2]);
    assertExact(run('Pad', [iota([3])], { pads: [1, 0], value: -1 })[0], [4], [-1, 0, 1, 2]);
    assertExact(run('Pad', [iota([3])], { pads: [2, 2], mode: 'wrap' })[0], [7], [1, 2, 0, 1, 2, 0, 1]);
    // negative begin crops: [0,1,2,3] pads [-1, 2] constant 9 → [1,2,3,9,9]
    assertExact(run('Pad', [iota([4])], { pads: [-1, 2], value: 9 })[0], [5], [1, 2, 3, 9, 9]);
  });
  it('int32 reflect keeps dtype (ONNX test_reflect_pad is int32)', () => {
    const [y] = run('Pad', [iota([1, 1, 2, 3], 'int32')], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect' });
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(y.shape, [1, 1, 4, 5]);
  });
  it('errors: pads length EF1006, crop below zero EF1004, reflect of an empty axis EF1004, bad mode EF1006', () => {
    throwsCode(() => infer('Pad', [{ dtype: 'float32', shape: [2, 3] }], { pads: [1, 1] }), 'EF1006');
    throwsCode(() => infer('Pad', [{ dtype: 'float32', shape: [2] }], { pads: [-2, -1] }), 'EF1004');
    throwsCode(() => infer('Pad', [{ dtype: 'float32', shape: [2] }], { pads: [-2, 1], mode: 'reflect' }), 'EF1004');
    throwsCode(() => infer('Pad', [{ dtype: 'float32', shape: [0] }], { pads: [1, 1], mode: 'edge' }), 'EF1004');
    throwsCode(() => infer('Pad', [{ dtype: 'float32', shape: [2] }], { pads: [1, 1], mode: 'symmetric' }), 'EF1006');
  });
});

describe('Slice', () => {
  /** Reference following the ONNX operator text, with explicit index lists per axis. */
  function ref(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[]) {
    const r = x.shape.length;
    const lists: number[][] = x.shape.map((n) => Array.from({ length: n }, (_, i) => i));
    starts.forEach((s0, i) => {
      const a = axes ? (axes[i] + r) % r : i;
      const st = steps ? steps[i] : 1;
      const n = x.shape[a];
      let s = s0 < 0 ? s0 + n : s0;
      let e = ends[i] < 0 ? ends[i] + n : ends[i];
      const list: number[] = [];
      if (st > 0) {
        s = Math.max(0, Math.min(n, s));
        e = Math.max(0, Math.min(n, e));
        for (let k = s; k < e; k += st) list.push(k);
      } else {
        s = Math.max(0, Math.min(n - 1, s));
        e = Math.max(-1, Math.min(n - 1, e));
        for (let k = s; k > e; k += st) list.push(k);
      }
      lists[a] = list;
    });
    const shape = lists.map((l) => l.length);
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape).map((v, d) => lists[d][v]);
      data.push(x.data[ravel(c, x.shape)]);
    }
    return { shape, data };
  }
  const r = rng(23);
  it('200 random slices of a [6,5,7] tensor (negative starts/ends/steps/axes, out-of-range values)', () => {
    const x = iota([6, 5, 7]);
    for (let t = 0; t < 200; t++) {
      const k = randInt(r, 1, 3);
      const axes = [0, 1, 2].sort(() => r() - 0.5).slice(0, k).map((a) => (r() < 0.3 ? a - 3 : a));
      const starts = axes.map(() => randInt(r, -10, 10));
      const ends = axes.map(() => (r() < 0.15 ? (r() < 0.5 ? 9.223372036854776e18 : -9.223372036854776e18) : randInt(r, -10, 10)));
      const steps = axes.map(() => {
        const s = randInt(r, -3, 3);
        return s === 0 ? 1 : s;
      });
      const [y] = run('Slice', [x], { starts, ends, axes, steps });
      const e = ref(x, starts, ends, axes, steps);
      assertExact(y, e.shape, e.data, JSON.stringify({ starts, ends, axes, steps }));
    }
  });
  it('hand-derived, shapes of the ONNX node tests', () => {
    const x = iota([20, 10, 5]);
    // test_slice_neg_steps: starts [20,10,4] ends [0,0,1] steps [-1,-3,-2]: axis0 19..1 (19), axis1 9,6,3, axis2 4,2
    assert.deepEqual(run('Slice', [x], { starts: [20, 10, 4], ends: [0, 0, 1], axes: [0, 1, 2], steps: [-1, -3, -2] })[0].shape, [19, 3, 2]);
    // test_slice_end_out_of_bounds: axis 1 from 1 to 1000 → 9
    assert.deepEqual(run('Slice', [x], { starts: [1], ends: [1000], axes: [1], steps: [1] })[0].shape, [20, 9, 5]);
    // test_slice_start_out_of_bounds: start 1000 clamps to 10 → empty
    assert.deepEqual(run('Slice', [x], { starts: [1000], ends: [1000], axes: [1], steps: [1] })[0].shape, [20, 0, 5]);
    // test_slice_default_axes: starts [0,0,3] ends [20,10,4] → [20,10,1]
    assert.deepEqual(run('Slice', [x], { starts: [0, 0, 3], ends: [20, 10, 4] })[0].shape, [20, 10, 1]);
    // full reverse with INT64_MIN end: [0,1,2,3] step -1 from -1 → [3,2,1,0]
    assertExact(run('Slice', [iota([4])], { starts: [-1], ends: [-9.223372036854776e18], steps: [-1] })[0], [4], [3, 2, 1, 0]);
  });
  it('errors: step 0, repeated axis, axis out of range, length mismatch → EF1006', () => {
    const t = [{ dtype: 'float32' as const, shape: [4, 4] }];
    throwsCode(() => infer('Slice', t, { starts: [0], ends: [2], steps: [0] }), 'EF1006');
    throwsCode(() => infer('Slice', t, { starts: [0, 0], ends: [2, 2], axes: [1, -1] }), 'EF1006');
    throwsCode(() => infer('Slice', t, { starts: [0], ends: [2], axes: [2] }), 'EF1006');
    throwsCode(() => infer('Slice', t, { starts: [0, 1], ends: [2] }), 'EF1006');
  });
});

describe('Gather', () => {
  function ref(x: Value, idx: Value, axis: number): { shape: number[]; data: number[] } {
    const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
    const q = idx.shape.length;
    const data: number[] = [];
    for (let i = 0; i < size(shape); i++) {
      const c = unravel(i, shape);
      let k = idx.data[ravel(c.slice(axis, axis + q), idx.shape)];
      if (k < 0) k += x.shape[axis];
      data.push(x.data[ravel([...c.slice(0, axis), k, ...c.slice(axis + q)], x.shape)]);
    }
    return { shape, data };
  }
  const r = rng(24);
  for (const axis of [0, 1, 2, -1, -3]) {
    for (const ishape of [[], [4], [2, 3]]) {
      it(`axis ${axis}, indices [${ishape}] (int64 with negatives)`, () => {
        const x = randVal(r, [3, 4, 5]);
        const a = axis < 0 ? axis + 3 : axis;
        const n = x.shape[a];
        const idx = val('int64', ishape, Array.from({ length: size(ishape) }, () => randInt(r, -n, n - 1)));
        const [y] = run('Gather', [x, idx], { axis });
        const e = ref(x, idx, a);
        assertExact(y, e.shape, e.data);
      });
    }
  }
  it('hand-derived: rows [-1, 0] of [[0,1],[2,3],[4,5]] = [[4,5],[0,1]]; int32 indices accepted', () => {
    assertExact(run('Gather', [iota([3, 2]), val('int64', [2], [-1, 0])])[0], [2, 2], [4, 5, 0, 1]);
    assertExact(run('Gather', [iota([3, 2]), val('int32', [2], [1, 1])], { axis: 1 })[0], [3, 2], [1, 1, 3, 3, 5, 5]);
  });
  it('errors: index out of range EF1004, float indices EF1005, axis EF1006', () => {
    throwsCode(() => run('Gather', [iota([3, 2]), val('int64', [1], [3])]), 'EF1004');
    throwsCode(() => run('Gather', [iota([3, 2]), val('int64', [1], [-4])]), 'EF1004');
    throwsCode(() => infer('Gather', [{ dtype: 'float32', shape: [3] }, { dtype: 'float32', shape: [1] }]), 'EF1005');
    throwsCode(() => infer('Gather', [{ dtype: 'float32', shape: [3] }, { dtype: 'int64', shape: [1] }], { axis: 1 }), 'EF1006');
  });
});

describe('data movement ops count no MACs', () => {
  it('macs = 0', () => {
    const ctx = { node: { op: 'x', name: 'x', inputs: [], outputs: [], attrs: {} }, attrs: {}, inputs: [] };
    for (const op of ['Concat', 'Reshape', 'Transpose', 'Pad', 'Slice', 'Gather', 'Identity'])
      assert.equal(getOp(op).macs(ctx, [{ dtype: 'float32', shape: [2, 3] }]), 0, op);
  });
});
