import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readNpy, readNpz, writeNpy, writeNpz } from '../../src/io/npy.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { sharedPath } from '../helpers/shared.js';
import type { Value } from '../../src/ops/types.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof EspforgeError) return e.diagnostics[0].code;
    throw e;
  }
  return undefined;
}

test('npy round-trips every dtype', () => {
  const cases: Value[] = [
    { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-7, -1e9]) },
    { dtype: 'int8', shape: [4], data: Int8Array.from([-128, 127, 0, -1]) },
    { dtype: 'uint8', shape: [1, 2], data: Uint8Array.from([0, 255]) },
    { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) },
    { dtype: 'int32', shape: [1, 1, 2], data: Int32Array.from([-2147483648, 2147483647]) },
    { dtype: 'int64', shape: [3], data: Float64Array.from([-(2 ** 40), 0, 2 ** 52]) },
    { dtype: 'float64', shape: [], data: Float64Array.from([Math.PI]) },
  ];
  for (const v of cases) {
    const back = readNpy(writeNpy(v));
    assert.equal(back.dtype, v.dtype);
    assert.deepEqual(back.shape, v.shape);
    assert.deepEqual(Array.from(back.data), Array.from(v.data));
  }
});

test('npz round-trip keeps names', () => {
  const z = writeNpz({ a: { dtype: 'int8', shape: [2], data: Int8Array.from([1, 2]) }, b: { dtype: 'float32', shape: [1], data: Float32Array.from([0.5]) } });
  const m = readNpz(z);
  assert.deepEqual([...m.keys()].sort(), ['a', 'b']);
  assert.deepEqual(Array.from(m.get('b')!.data), [0.5]);
});

test('reads real numpy files from ../shared (written by numpy itself)', (t) => {
  const p = sharedPath(t, 'models', 'tflite', 'tvm-mnist-quant', 'inputs', 'digit-2.npy');
  if (!p) return;
  const v = readNpy(readFileSync(p), p);
  assert.equal(v.dtype, 'uint8');
  assert.equal(v.data.length, 28 * 28);
  // a digit image: mostly background zeros and some bright strokes
  const bright = Array.from(v.data).filter((x) => x > 128).length;
  assert.ok(bright > 30 && bright < 400, `bright pixels ${bright}`);
  const z = sharedPath(t, 'models', 'keras', 'tensorspace', 'samples', 'mnist_digits.npz')!;
  const m = readNpz(readFileSync(z), z);
  assert.ok(m.size >= 1);
});

test('malformed npy gives EF0004, never a crash or a giant allocation', () => {
  const good = writeNpy({ dtype: 'float32', shape: [4, 4], data: new Float32Array(16) });
  assert.equal(codeOf(() => readNpy(good.subarray(0, 5))), 'EF0004');
  assert.equal(codeOf(() => readNpy(good.subarray(0, good.length - 3))), 'EF0004');
  // A well-formed header that declares 10^13 elements: must be refused before any allocation.
  const hdr = new TextEncoder().encode("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 1000), }\n");
  const h = new Uint8Array(10 + hdr.length);
  h.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, hdr.length & 255, hdr.length >> 8]);
  h.set(hdr, 10);
  assert.throws(() => readNpy(h), (e: unknown) => e instanceof EspforgeError && /too large/.test(e.message));
  assert.equal(codeOf(() => readNpz(new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]))), 'EF0004');
});

test('readNpy copes with a Node Buffer from readFileSync (pooled, unaligned memory)', () => {
  const v = { dtype: 'float32' as const, shape: [3], data: Float32Array.from([1.25, -2.5, 1e-3]) };
  const bytes = writeNpy(v);
  // Buffer.from(array) and small readFileSync results live in a shared pool at arbitrary offsets
  const pooled = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(bytes)]).subarray(3);
  const back = readNpy(pooled);
  assert.deepEqual(Array.from(back.data), Array.from(v.data));
});
