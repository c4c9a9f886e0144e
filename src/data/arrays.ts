// .npy / .npz datasets: Keras-style archives (x_train, y_train, x_test, y_test), (x, y) pairs, a single array,
// or a folder holding x.npy and optionally y.npy.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../diagnostics.js';
import type { DType } from '../ir/dtype.js';
import type { Value } from '../ops/types.js';
import { readNpy, readNpz } from '../io/npy.js';
import { classNames, labelsFrom, type Normalization, type RawSet } from './index.js';

function toSamples(v: Value, file: string): { x: Float32Array; shape: number[]; normalization: Normalization; dtype: DType } {
  if (v.shape.length < 2) fail('EF5002', `samples need a leading N axis; got shape [${v.shape}]`, { file });
  const x = v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>);
  // uint8 arrays hold pixels: map them to [0,1] and say so. Other types pass through unchanged.
  const normalization = v.dtype === 'uint8' ? { scale: 1 / 255, offset: 0 } : { scale: 1, offset: 0 };
  if (normalization.scale !== 1) for (let i = 0; i < x.length; i++) x[i] *= normalization.scale;
  return { x, shape: v.shape.slice(1), normalization, dtype: v.dtype };
}

function pair(xv: Value, yv: Value | undefined, file: string, source: string): RawSet {
  const s = toSamples(xv, file);
  const n = xv.shape[0];
  const y = yv ? labelsFrom(yv.data as ArrayLike<number>, yv.shape, n, file) : undefined;
  return { ...s, y, classes: classNames(y), source };
}

function concat(a: RawSet, b: RawSet, file: string): RawSet {
  if (a.shape.join() !== b.shape.join()) fail('EF5002', `x_train samples [${a.shape}] and x_test samples [${b.shape}] differ`, { file });
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  let y: Int32Array | undefined;
  if (a.y && b.y) {
    y = new Int32Array(a.y.length + b.y.length);
    y.set(a.y);
    y.set(b.y, a.y.length);
  }
  const na = a.y?.length ?? a.x.length / a.shape.reduce((p, q) => p * q, 1);
  const nb = b.y?.length ?? b.x.length / b.shape.reduce((p, q) => p * q, 1);
  return {
    x,
    y,
    shape: a.shape,
    classes: classNames(y),
    normalization: a.normalization,
    dtype: a.dtype,
    source: a.source,
    parts: { train: Array.from({ length: na }, (_, i) => i), test: Array.from({ length: nb }, (_, i) => na + i) },
  };
}

export function loadArrayFile(file: string, bytes: Uint8Array): RawSet {
  if (file.toLowerCase().endsWith('.npy')) return pair(readNpy(bytes, file), undefined, file, file);
  const m = readNpz(bytes, file);
  const get = (k: string) => m.get(k);
  if (get('x_train') && get('x_test')) {
    const tr = pair(get('x_train')!, get('y_train'), file, file);
    const te = pair(get('x_test')!, get('y_test'), file, file);
    return concat(tr, te, file);
  }
  for (const [xk, yk] of [
    ['x', 'y'],
    ['x_train', 'y_train'],
    ['images', 'labels'],
    ['data', 'labels'],
  ]) {
    if (get(xk)) return pair(get(xk)!, get(yk), file, file);
  }
  if (m.size === 1) return pair([...m.values()][0], undefined, file, file);
  return fail('EF5001', `no sample array found (keys: ${[...m.keys()].join(', ') || 'none'})`, {
    file,
    suggestion: 'name the arrays x_train/y_train/x_test/y_test or x/y',
  });
}

export function loadArrayDir(dir: string): RawSet {
  const xf = join(dir, 'x.npy');
  const yf = join(dir, 'y.npy');
  const xv = readNpy(readFileSync(xf), xf);
  const yv = existsSync(yf) ? readNpy(readFileSync(yf), yf) : undefined;
  return pair(xv, yv, xf, dir);
}
