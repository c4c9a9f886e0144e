// NumPy .npy reader/writer and .npz (zip of .npy) reader/writer. Validates headers so that a malformed or
// hostile file gives EF0004 instead of a crash or a giant allocation.

import { zipSync } from 'fflate';
import { fail } from '../diagnostics.js';
import { readZip } from './zip.js';
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

type PyVal = string | number | boolean | null | PyVal[] | { tuple: PyVal[] } | Map<string, PyVal>;

/**
 * The .npy header is a Python literal: a dict with exactly the keys 'descr' (str), 'fortran_order' (bool) and
 * 'shape' (tuple of non-negative ints), as numpy's own safe literal parser reads it. A strict tokenizer and
 * recursive-descent parser; duplicate keys, unknown keys, wrong types and trailing garbage are refused.
 */
function parseHeader(text: string, bad: (why: string) => never): { descr: string; fortran: boolean; shape: number[] } {
  let i = 0;
  const ws = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
  };
  const value = (depth: number): PyVal => {
    if (depth > 8) bad('header nests too deeply');
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const q = c;
      let out = '';
      i++;
      while (i < text.length && text[i] !== q) {
        if (text[i] === '\\' || text[i] === '\n') bad('escapes and line breaks in header strings are not supported');
        out += text[i++];
      }
      if (text[i] !== q) bad('unterminated string in the header');
      i++;
      return out;
    }
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: PyVal[] = [];
      const dict = new Map<string, PyVal>();
      let trailingComma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          break;
        }
        if (i >= text.length) bad(`unterminated '${c}' in the header`);
        if (c === '{') {
          const k = value(depth + 1);
          if (typeof k !== 'string') bad('header dict keys must be strings');
          ws();
          if (text[i] !== ':') bad(`expected ':' after key '${k}' in the header`);
          i++;
          if (dict.has(k as string)) bad(`duplicate key '${k}' in the header`);
          dict.set(k as string, value(depth + 1));
        } else items.push(value(depth + 1));
        ws();
        trailingComma = false;
        if (text[i] === ',') {
          i++;
          trailingComma = true;
        } else if (text[i] !== close) bad(`expected ',' or '${close}' in the header at character ${i}`);
      }
      if (c === '{') return dict;
      if (c === '(') return { tuple: items.length === 1 && !trailingComma ? bad('a parenthesised value is not a tuple (write (n,))') : items };
      return items;
    }
    const m = /^(True|False|None|-?\d+)(?![\w.])/.exec(text.slice(i, i + 40));
    if (!m) bad(`unexpected '${text.slice(i, i + 12)}' in the header`);
    i += m![0].length;
    if (m![1] === 'True') return true;
    if (m![1] === 'False') return false;
    if (m![1] === 'None') return null;
    const n = Number(m![1]);
    if (!Number.isSafeInteger(n)) bad(`integer ${m![1]} in the header is too large`);
    return n;
  };
  const v = value(0);
  ws();
  if (i !== text.length) bad(`unexpected '${text.slice(i, i + 12)}' after the header dict`);
  if (!(v instanceof Map)) bad('the header is not a dict');
  const d = v as Map<string, PyVal>;
  for (const k of d.keys()) if (k !== 'descr' && k !== 'fortran_order' && k !== 'shape') bad(`unknown header key '${k}'`);
  const descr = d.get('descr');
  const fortran = d.get('fortran_order');
  const shape = d.get('shape');
  if (typeof descr !== 'string' || typeof fortran !== 'boolean' || !shape || typeof shape !== 'object' || !('tuple' in shape))
    bad("header needs 'descr' (a string), 'fortran_order' (True/False) and 'shape' (a tuple)");
  const dims = (shape as { tuple: PyVal[] }).tuple;
  if (dims.some((x) => typeof x !== 'number' || x < 0)) bad(`bad shape (${dims.join(', ')}): dimensions must be non-negative integers`);
  return { descr: descr as string, fortran: fortran as boolean, shape: dims as number[] };
}

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
  const header = new TextDecoder('latin1').decode(bytes.subarray(off, off + hlen));
  const h = parseHeader(header, bad);
  const dtype = DESCR[h.descr];
  if (!dtype) bad(`unsupported dtype '${h.descr}' (little-endian numeric types only)`);
  if (h.fortran) bad('Fortran-ordered arrays are not supported; save with C order');
  const shape = h.shape;
  const shapeStr = shape.join(', ');
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
  const entries = readZip(bytes, file, { accept: (n) => n.endsWith('.npy'), code: 'EF0004', what: '.npz' });
  const out = new Map<string, Value>();
  for (const [name, data] of Object.entries(entries)) out.set(name.replace(/\.npy$/, ''), readNpy(data, `${file}:${name}`));
  return out;
}

export function writeNpz(arrays: Record<string, Value>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(arrays)) files[`${k}.npy`] = writeNpy(v);
  return zipSync(files, { level: 0 });
}
