// Small shared kit for the op tests: a seeded RNG, a runner that goes through the registry (attribute
// normalisation + infer + evalFloat, checking that infer and eval agree), naive index helpers for the
// independent references, and an assertion on coded diagnostics.

import assert from 'node:assert/strict';
import { EspforgeError } from '../../src/diagnostics.js';
import { allocArray, type DType, type TypedArray } from '../../src/ir/dtype.js';
import type { Attrs, AttrValue, Node } from '../../src/ir/graph.js';
import { getOp, normalizeAttrs } from '../../src/ops/index.js';
import type { Value } from '../../src/ops/types.js';
import { rng } from '../helpers/rng.js';
export { rng };


export function randInt(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function val(dtype: DType, shape: number[], data: ArrayLike<number>): Value {
  const a = allocArray(dtype, data.length);
  for (let i = 0; i < data.length; i++) a[i] = data[i];
  return { dtype, shape, data: a };
}

export function randVal(r: () => number, shape: number[], dtype: DType = 'float32', lo = -4, hi = 4): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = allocArray(dtype, n);
  const integer = dtype !== 'float32' && dtype !== 'float64';
  for (let i = 0; i < n; i++) a[i] = integer ? randInt(r, lo, hi) : lo + (hi - lo) * r();
  return { dtype, shape, data: a };
}

export function node(op: string, attrs: Record<string, AttrValue> = {}, name = `test_${op}`): Node {
  return { op, name, inputs: [], outputs: [0], attrs };
}

/** Run one op through the registry: normalise attrs, infer from the input infos, evaluate; infer must match. */
export function run(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}): Value[] {
  const def = getOp(op);
  const n = node(op, attrs);
  const a: Attrs = normalizeAttrs(def, attrs, n.name);
  const infos = inputs.map((v) => (v ? { dtype: v.dtype, shape: v.shape, data: v.data } : undefined));
  const inferred = def.infer({ node: n, attrs: a, inputs: infos });
  const outs = def.evalFloat(inputs, a, n);
  assert.equal(outs.length, inferred.length, `${op}: output count`);
  outs.forEach((o, k) => {
    assert.deepEqual(o.shape, inferred[k].shape, `${op}: evaluated shape vs inferred`);
    assert.equal(o.dtype, inferred[k].dtype, `${op}: evaluated dtype vs inferred`);
    assert.equal(o.data.length, o.shape.reduce((x, y) => x * y, 1), `${op}: data length vs shape`);
  });
  return outs;
}

/** Infer only (no evaluation). */
export function infer(op: string, inputs: { dtype: DType; shape: number[]; data?: TypedArray }[], attrs: Record<string, AttrValue> = {}) {
  const def = getOp(op);
  const n = node(op, attrs);
  return def.infer({ node: n, attrs: normalizeAttrs(def, attrs, n.name), inputs });
}

/** Assert `f` throws an EspforgeError carrying `code` and naming the test node (when `named`). */
export function throwsCode(f: () => unknown, code: string, named = true): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof EspforgeError, `expected EspforgeError ${code}, got ${String(e)}`);
    const d = e.diagnostics[0];
    assert.equal(d.code, code, `diagnostic code (message: ${d.message})`);
    if (named) assert.match(d.node ?? '', /^test_/, `diagnostic names the node: ${JSON.stringify(d)}`);
    return;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

/** |a - e| <= atol + rtol*|e| element-wise, with shape check. NaN matches NaN. */
export function assertClose(actual: Value, shape: number[], expected: ArrayLike<number>, rtol = 1e-6, atol = 1e-6, what = ''): void {
  assert.deepEqual(actual.shape, shape, `${what} shape`);
  assert.equal(actual.data.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what} element ${i}: got ${a}, expected ${e}`);
  }
}

export function assertExact(actual: Value, shape: number[], expected: ArrayLike<number>, what = ''): void {
  assert.deepEqual(actual.shape, shape, `${what} shape`);
  assert.deepEqual(Array.from(actual.data), Array.from(expected), `${what} values`);
}

/** Row-major flat index → coordinate list (naive, allocation is fine in references). */
export function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

export function ravel(c: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + c[d];
  return i;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Naive numpy broadcast: element of `v` for an output coordinate (leading dims dropped, size-1 dims → 0). */
export function bcastGet(v: Value, outCoord: readonly number[]): number {
  const off = outCoord.length - v.shape.length;
  const c = v.shape.map((d, k) => (d === 1 ? 0 : outCoord[k + off]));
  return v.data[ravel(c, v.shape)];
}
