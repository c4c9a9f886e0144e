// NumPy .npy reader/writer and .npz (zip of .npy) reader/writer. Validates headers so that a malformed or
// hostile file gives EF0004 instead of a crash or a giant allocation.

import { unzipSync, zipSync } from 'fflate';
import { EspforgeError, fail } from '../diagnostics.js';
import { dtypeSize, fromLittleEndian, shapeSize, toLittleEndian, type DType } from '../ir/dtype.js';
import type { Value } from '../ops/types.js';

const DESCR: Record<string, DType> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|i1': 'int8',
  '<i1': 'int8',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '<i2': 'int16',
  '<u2': 'uint16',
  '<i4': 'int32',
  '<i8': 'int64',
  '|b1': 'bool',
};
const DESCR_OUT: Record<DType, string> = {
  float32: '<f4',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  int64: '<i8',
  bool: '|b1',
};

/** Largest array we agree to allocate from a file header (elements). */
const MAX_ELEMS = 1 << 28;

export function readNpy(bytes: Uint8Array, file = '<npy>'): Value {
  const bad = (why: string): never => fail('EF0004', `not a valid .npy file: ${why}`, { file });
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') bad('missing magic');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let off: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    off = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) bad('truncated header');
    hlen = dv.getUint32(8, true);
    off = 12;
  } else return bad(`unsupported version ${major}`);
  if (off + hlen > bytes.length) bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(off, off + hlen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined) bad('header lacks descr/fortran_order/shape');
  const dtype = DESCR[descr!];
  if (!dtype) bad(`unsupported dtype '${descr}' (little-endian numeric types only)`);
  if (fortran === 'True') bad('Fortran-ordered arrays are not supported; save with C order');
  const shape = shapeStr!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`bad shape (${shapeStr})`);
  const n = shapeSize(shape);
  if (n > MAX_ELEMS) bad(`shape (${shapeStr}) is too large`);
  const dataOff = off + hlen;
  const esize = dtypeSize(dtype);
  if (bytes.length - dataOff < n * esize) bad(`data truncated: ${bytes.length - dataOff} bytes for ${n} elements`);
  // A private copy: aligned, and not a view into Node's shared Buffer pool (Buffer#slice does not copy).
  const out = fromLittleEndian(bytes.subarray(dataOff), dtype, n);
  return { dtype, shape, data: out };
}

export function writeNpy(v: Value): Uint8Array {
  const descr = DESCR_OUT[v.dtype];
  const shape = v.shape.length === 1 ? `(${v.shape[0]},)` : `(${v.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = toLittleEndian(v.data, v.dtype);
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 78, 85, 77, 80, 89, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

/** Read an .npz archive into name → array (names without the .npy suffix). */
export function readNpz(bytes: Uint8Array, file = '<npz>'): Map<string, Value> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > MAX_ELEMS * 8) fail('EF0004', `entry '${f.name}' declares ${f.originalSize} bytes, too large`, { file });
        return f.name.endsWith('.npy');
      },
    });
  } catch (e) {
    if (e instanceof EspforgeError) throw e;
    return fail('EF0004', `not a valid .npz (zip) file: ${(e as Error).message}`, { file });
  }
  const out = new Map<string, Value>();
  for (const [name, data] of Object.entries(entries)) out.set(name.replace(/\.npy$/, ''), readNpy(data, `${file}:${name}`));
  return out;
}

export function writeNpz(arrays: Record<string, Value>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(arrays)) files[`${k}.npy`] = writeNpy(v);
  return zipSync(files, { level: 0 });
}
