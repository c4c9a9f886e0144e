// Mutations for the fuzz driver: generic byte mutations (truncation, bit flips, insertions, zeroed ranges) and
// structure-aware ones per format (JSON type confusion for TF.js/Keras configs, quantization fields of TFLite,
// ONNX graph outputs and initializers, .npy headers, zip entries). A mutation returns the files of one case
// and, for "known garbage" mutations, the reason the result must be refused.

import { unzipSync, zipSync } from 'fflate';
import { FlatReader, readModel } from '../../src/import/tflite/reader.js';
import { FIELD } from '../../src/import/tflite/generated/schema.js';
import { onnx } from '../../src/import/onnx/proto.js';
import type { Rng } from '../../src/data/rng.js';

export type Format = 'onnx' | 'tflite' | 'h5' | 'keras' | 'tfjs' | 'npy' | 'npz';
export const FORMATS: Format[] = ['onnx', 'tflite', 'h5', 'keras', 'tfjs', 'npy', 'npz'];

/** One seed: the files of a model (entry = the path given to the importer). */
export interface Seed {
  name: string;
  files: Record<string, Uint8Array>;
  entry: string;
}

export interface Case {
  seed: string;
  kind: string;
  files: Record<string, Uint8Array>;
  entry: string;
  /** Set when the mutation certainly makes the input invalid: the pipeline must refuse it (coded error). */
  garbage?: string;
}

const pick = <T>(r: Rng, a: readonly T[]): T => a[Math.floor(r() * a.length)];
const int = (r: Rng, n: number) => Math.floor(r() * n);

export function truncate(b: Uint8Array, r: Rng): Uint8Array {
  return b.slice(0, int(r, b.length));
}
export function flip(b: Uint8Array, r: Rng): Uint8Array {
  const c = b.slice();
  const n = 1 + int(r, 8);
  for (let k = 0; k < n && c.length; k++) c[int(r, c.length)] ^= 1 << int(r, 8);
  return c;
}
export function insert(b: Uint8Array, r: Rng): Uint8Array {
  const at = int(r, b.length + 1);
  const n = 1 + int(r, 16);
  const ins = Uint8Array.from({ length: n }, () => int(r, 256));
  const c = new Uint8Array(b.length + n);
  c.set(b.subarray(0, at));
  c.set(ins, at);
  c.set(b.subarray(at), at + n);
  return c;
}
export function zeroRange(b: Uint8Array, r: Rng): Uint8Array {
  const c = b.slice();
  const at = int(r, c.length);
  c.fill(0, at, Math.min(c.length, at + 1 + int(r, 256)));
  return c;
}
/** Overwrite an aligned 4-byte word with an interesting value (sizes, counts, offsets, floats). */
export function interesting(b: Uint8Array, r: Rng): Uint8Array {
  const c = b.slice();
  if (c.length < 4) return c;
  const at = int(r, c.length >> 2) << 2;
  const dv = new DataView(c.buffer);
  const v = pick(r, ['u32max', 'i32min', 'big', 'neg1', 'zero', 'nan', 'inf', 'f1e38', 'fneg', 'f1e-45'] as const);
  switch (v) {
    case 'u32max': dv.setUint32(at, 0xffffffff, true); break;
    case 'i32min': dv.setInt32(at, -0x80000000, true); break;
    case 'big': dv.setUint32(at, 0x7ffffff0, true); break;
    case 'neg1': dv.setInt32(at, -1, true); break;
    case 'zero': dv.setUint32(at, 0, true); break;
    case 'nan': dv.setFloat32(at, NaN, true); break;
    case 'inf': dv.setFloat32(at, Infinity, true); break;
    case 'f1e38': dv.setFloat32(at, 3e38, true); break;
    case 'fneg': dv.setFloat32(at, -dv.getFloat32(at, true) || -1, true); break;
    case 'f1e-45': dv.setFloat32(at, 1e-45, true); break;
  }
  return c;
}

const BYTE_KINDS = { truncate, flip, insert, zero: zeroRange, interesting } as const;

function byteMutation(b: Uint8Array, r: Rng): { kind: string; bytes: Uint8Array } {
  const kind = pick(r, Object.keys(BYTE_KINDS) as (keyof typeof BYTE_KINDS)[]);
  return { kind, bytes: BYTE_KINDS[kind](b, r) };
}

// ---- JSON type confusion (TF.js model.json, Keras config.json) ----
const WEIRD: unknown[] = [null, 0, -1, 1e308, 'x', '', [], {}, [null], true, 65536, -65536, [1, 2, 3], { a: 1 }, 2 ** 31];

function paths(x: unknown, pre: (string | number)[] = [], out: (string | number)[][] = [], depth = 0): (string | number)[][] {
  if (depth > 12 || out.length > 5000) return out;
  if (Array.isArray(x)) x.forEach((v, i) => (out.push([...pre, i]), paths(v, [...pre, i], out, depth + 1)));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) out.push([...pre, k]), paths(v, [...pre, k], out, depth + 1);
  return out;
}

export function jsonMutation(text: string, r: Rng): { kind: string; text: string } {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return { kind: 'json-raw', text: text.slice(0, int(r, text.length)) };
  }
  const ps = paths(j);
  if (!ps.length) return { kind: 'json-raw', text: '' };
  const p = pick(r, ps);
  let parent = j as Record<string | number, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = p[p.length - 1];
  const op = pick(r, ['type', 'type', 'delete', 'dup'] as const);
  if (op === 'type') parent[last] = pick(r, WEIRD);
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (Array.isArray(parent)) {
    const copies = pick(r, [1, 2, 50]);
    for (let k = 0; k < copies; k++) parent.push(parent[Number(last)]);
  } else parent[last] = [parent[last], parent[last]];
  return { kind: `json-${op}`, text: JSON.stringify(j) };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---- TFLite: quantization fields ----
function tfliteQuant(b: Uint8Array, r: Rng): { kind: string; bytes: Uint8Array; garbage?: string } | undefined {
  const { model } = readModel(b, 'seed');
  const fr = new FlatReader(b, 'seed');
  const F = FIELD;
  const sgs = fr.tables(fr.root(), F.Model.subgraphs, 'subgraph');
  const cands: { scale?: { start: number; length: number }; zp?: { start: number; length: number }; type: number }[] = [];
  for (const sg of sgs)
    for (const t of fr.tables(sg, F.SubGraph.tensors, 'tensor')) {
      const q = fr.sub(t, F.Tensor.quantization, 'q');
      if (!q) continue;
      const scale = fr.vec(q, F.QuantizationParameters.scale, 4, 's');
      const zp = fr.vec(q, F.QuantizationParameters.zero_point, 8, 'z');
      if (scale && scale.length) cands.push({ scale, zp, type: fr.scalar(t, F.Tensor.type, 'i8', 0) });
    }
  void model;
  if (!cands.length) return undefined;
  const c = pick(r, cands);
  const out = b.slice();
  const dv = new DataView(out.buffer);
  if (c.zp && c.zp.length && (c.type === 9 || c.type === 3) && r() < 0.5) {
    // INT8 = 9, UINT8 = 3: a zero point outside the dtype's range
    const v = pick(r, [1000, -1000, 128 + 128 * (c.type === 3 ? 1 : 0), 1 << 20]);
    dv.setBigInt64(c.zp.start + 8 * int(r, c.zp.length), BigInt(v), true);
    return { kind: 'tflite-zero-point', bytes: out, garbage: `zero point ${v} outside the tensor's range` };
  }
  const v = pick(r, [NaN, Infinity, -0.5, 0, 1e-45, 1e30, 1e-30]);
  dv.setFloat32(c.scale!.start + 4 * int(r, c.scale!.length), v, true);
  const isGarbage = !(v > 0) || !Number.isFinite(v) || v < 2 ** -126;
  return { kind: 'tflite-scale', bytes: out, garbage: isGarbage ? `scale ${v}` : undefined };
}

// ---- ONNX: structure ----
function onnxStructure(b: Uint8Array, r: Rng): { kind: string; bytes: Uint8Array; garbage?: string } | undefined {
  const m = onnx.ModelProto.decode(b);
  const g = m.graph;
  if (!g) return undefined;
  const op = pick(r, ['no-outputs', 'nan-weight', 'extreme-weight', 'dims', 'drop-node'] as const);
  let garbage: string | undefined;
  if (op === 'no-outputs') {
    g.output = [];
    garbage = 'graph without outputs';
  } else if (op === 'nan-weight' || op === 'extreme-weight') {
    const inits = (g.initializer ?? []).filter((t) => t.rawData?.length || t.floatData?.length);
    if (!inits.length) return undefined;
    const t = pick(r, inits);
    const v = op === 'nan-weight' ? NaN : pick(r, [1e30, -1e30, 1e-40, 3e38]);
    if (t.floatData?.length) t.floatData[int(r, t.floatData.length)] = v;
    else if (t.rawData && t.dataType === 1) {
      const raw = new Uint8Array(t.rawData);
      if (raw.length >= 4) new DataView(raw.buffer, raw.byteOffset).setFloat32(int(r, raw.length >> 2) << 2, v, true);
      t.rawData = raw;
    } else return undefined;
  } else if (op === 'dims') {
    const ts = [...(g.initializer ?? [])];
    if (!ts.length) return undefined;
    const t = pick(r, ts);
    if (t.dims?.length) t.dims[int(r, t.dims.length)] = pick(r, [0, -1, 65536, 2 ** 31]);
  } else {
    if (!g.node?.length) return undefined;
    g.node.splice(int(r, g.node.length), 1);
  }
  return { kind: `onnx-${op}`, bytes: onnx.ModelProto.encode(m).finish(), garbage };
}

// ---- .npy headers ----
function npyHeader(b: Uint8Array, r: Rng): { kind: string; bytes: Uint8Array; garbage?: string } {
  const hlen = b[8] | (b[9] << 8);
  const header = dec.decode(b.subarray(10, 10 + hlen));
  const data = b.subarray(10 + hlen);
  const op = pick(r, ['dup-shape', 'dup-descr', 'bad-literal', 'big-shape', 'neg-shape', 'descr', 'fortran', 'extra-key'] as const);
  let h = header.trimEnd();
  let garbage: string | undefined;
  const body = h.replace(/^\{/, '').replace(/,?\s*\}$/, '');
  switch (op) {
    case 'dup-shape':
      h = `{${body}, 'shape': (5,), }`;
      garbage = 'duplicate shape key';
      break;
    case 'dup-descr':
      h = `{'descr': '<f4', ${body}, }`;
      garbage = 'duplicate descr key';
      break;
    case 'bad-literal':
      h = `{${body}, 'shape': (1,2` ;
      garbage = 'unterminated literal';
      break;
    case 'big-shape':
      h = h.replace(/'shape'\s*:\s*\([^)]*\)/, `'shape': (${pick(r, ['99999999999, 99999999', '1e9,', '-1,', '2**40,', '0x10,'])})`);
      break;
    case 'neg-shape':
      h = h.replace(/'shape'\s*:\s*\([^)]*\)/, `'shape': (-5, 3)`);
      garbage = 'negative dimension';
      break;
    case 'descr':
      h = h.replace(/'descr'\s*:\s*'[^']*'/, `'descr': '${pick(r, ['>f4', '<c8', 'O', '<U5', '<f2', "<f4' "])}'`);
      break;
    case 'fortran':
      h = h.replace(/'fortran_order'\s*:\s*\w+/, `'fortran_order': ${pick(r, ['1', 'None', "'False'", 'True'])}`);
      break;
    case 'extra-key':
      h = `{${body}, 'evil': ${pick(r, ['__import__("os")', '[1, 2]', "{'a': (1,)}", 'lambda: 1'])}, }`;
      break;
  }
  let hb = h + ' ';
  while ((10 + hb.length + 1) % 64) hb += ' ';
  hb += '\n';
  const hbytes = enc.encode(hb);
  const out = new Uint8Array(10 + hbytes.length + data.length);
  out.set(b.subarray(0, 8));
  out[8] = hbytes.length & 0xff;
  out[9] = hbytes.length >> 8;
  out.set(hbytes, 10);
  out.set(data, 10 + hbytes.length);
  return { kind: `npy-${op}`, bytes: out, garbage };
}

/** A zip bomb: entries of zeros whose headers declare 64 to 400 MB in total (one big entry, or many each under a
 * per-entry cap). Built from 1 MB entries with the declared sizes patched, so the driver stays small and fast;
 * the declared sizes are what a reader must budget (fflate never inflates past them). */
function zipBomb(names: string[], r: Rng): Uint8Array {
  const mb = pick(r, [64, 200, 400]);
  const many = r() < 0.5;
  const entries = many ? Array.from({ length: 8 }, (_, k) => names[k % names.length].replace(/(\.\w+)?$/, k ? `${k}$1` : '$1')) : [names[0]];
  const files: Record<string, Uint8Array> = {};
  for (const n of entries) files[n] = new Uint8Array(1 << 20);
  const z = zipSync(files, { level: 1 });
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const each = Math.floor((mb * 1024 * 1024) / entries.length);
  for (let i = 0; i + 4 <= z.length; i++) {
    const sig = dv.getUint32(i, true);
    if (sig === 0x04034b50) dv.setUint32(i + 22, each, true);
    if (sig === 0x02014b50) dv.setUint32(i + 24, each, true);
  }
  return z;
}

let bombCache: Map<string, Uint8Array> | undefined;

/** Mutate one seed into one case. */
export function mutate(fmt: Format, seed: Seed, r: Rng): Case {
  const files = { ...seed.files };
  const base: Omit<Case, 'kind' | 'files'> = { seed: seed.name, entry: seed.entry };
  const structured = r() < 0.4;
  try {
    if (structured) {
      switch (fmt) {
        case 'tflite': {
          const m = tfliteQuant(files[seed.entry], r);
          if (m) return { ...base, kind: m.kind, files: { ...files, [seed.entry]: m.bytes }, garbage: m.garbage };
          break;
        }
        case 'onnx': {
          const m = onnxStructure(files[seed.entry], r);
          if (m) return { ...base, kind: m.kind, files: { ...files, [seed.entry]: m.bytes }, garbage: m.garbage };
          break;
        }
        case 'npy': {
          const m = npyHeader(files[seed.entry], r);
          return { ...base, kind: m.kind, files: { [seed.entry]: m.bytes }, garbage: m.garbage };
        }
        case 'tfjs': {
          const names = Object.keys(files).filter((f) => f !== seed.entry);
          const op = pick(r, ['json', 'json', 'json', 'shard', 'repeat-shard'] as const);
          if (op === 'json') {
            const m = jsonMutation(dec.decode(files[seed.entry]), r);
            return { ...base, kind: `tfjs-${m.kind}`, files: { ...files, [seed.entry]: enc.encode(m.text) } };
          }
          if (op === 'repeat-shard') {
            const j = JSON.parse(dec.decode(files[seed.entry]));
            const wm = j.weightsManifest?.[0];
            if (wm?.paths?.length) wm.paths = Array.from({ length: 20000 }, () => wm.paths[0]);
            return { ...base, kind: 'tfjs-repeat-shard', files: { ...files, [seed.entry]: enc.encode(JSON.stringify(j)) }, garbage: 'shard listed 20000 times' };
          }
          const w = pick(r, names);
          const short = truncate(files[w], r);
          return { ...base, kind: 'tfjs-shard-size', files: { ...files, [w]: short }, garbage: short.length !== files[w].length ? 'weights shard shorter than the manifest says' : undefined };
        }
        case 'keras':
        case 'npz': {
          const entries: Record<string, Uint8Array> = unzipSync(files[seed.entry]);
          const names = Object.keys(entries);
          const op = pick(r, fmt === 'keras' ? (['json', 'json', 'h5', 'bomb'] as const) : (['npy', 'npy', 'bomb'] as const));
          if (op === 'bomb') {
            bombCache ??= new Map();
            const key = `${fmt}-${int(r, 4)}`;
            if (!bombCache.has(key)) bombCache.set(key, zipBomb(fmt === 'keras' ? ['model.weights.h5', 'config.json'] : names, r));
            return { ...base, kind: `${fmt}-zip-bomb`, files: { [seed.entry]: bombCache.get(key)! }, garbage: 'zip bomb' };
          }
          if (op === 'json' && entries['config.json']) {
            const m = jsonMutation(dec.decode(entries['config.json']), r);
            entries['config.json'] = enc.encode(m.text);
            return { ...base, kind: `keras-config-${m.kind}`, files: { [seed.entry]: zipSync(entries, { level: 0 }) } };
          }
          const name = fmt === 'keras' ? 'model.weights.h5' : pick(r, names);
          if (fmt === 'npz' && r() < 0.5) {
            const m = npyHeader(entries[name], r);
            entries[name] = m.bytes;
            return { ...base, kind: `npz-${m.kind}`, files: { [seed.entry]: zipSync(entries, { level: 0 }) }, garbage: m.garbage };
          }
          const m = byteMutation(entries[name], r);
          entries[name] = m.bytes;
          return { ...base, kind: `${fmt}-entry-${m.kind}`, files: { [seed.entry]: zipSync(entries, { level: 0 }) } };
        }
        case 'h5':
          break;
      }
    }
  } catch {
    /* a structure-aware mutation that does not apply to this seed: fall back to bytes */
  }
  // generic: any file of the case, usually the entry
  const target = r() < 0.75 ? seed.entry : pick(r, Object.keys(files));
  const m = byteMutation(files[target], r);
  return { ...base, kind: m.kind, files: { ...files, [target]: m.bytes } };
}
