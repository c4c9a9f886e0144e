// TF.js layers models: model.json (Keras topology + weightsManifest) and its binary weight shards. The topology
// is Keras JSON, so the layer table of the Keras importer does the conversion.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
import { kerasToGraph, type Weights } from '../keras/model.js';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

const MAX_WEIGHT_ELEMS = 1 << 27;
/** Largest total of weight bytes read from shards (one typed array must hold them all). */
const MAX_SHARD_TOTAL = 2 ** 31 - 1;

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decode the concatenated shard bytes into named float arrays, honouring TF.js weight quantization. */
export function decodeWeights(specs: WeightSpec[], buf: Uint8Array, file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  for (const w of specs) {
    if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0))
      fail('EF2001', `weight '${w.name}' has a bad shape ${JSON.stringify(w.shape)}`, { file });
    const n = shapeSize(w.shape);
    if (n > MAX_WEIGHT_ELEMS) fail('EF2001', `weight '${w.name}' declares ${n} elements`, { file });
    const data = new Float32Array(n);
    const q = w.quantization;
    const need = (bytes: number) => {
      if (off + bytes > buf.length)
        fail('EF2010', `weight shards end early: '${w.name}' needs ${bytes} bytes at offset ${off}, the shards hold ${buf.length}`, { file });
    };
    if (q) {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      if (q.dtype === 'uint8') {
        need(n);
        for (let i = 0; i < n; i++) data[i] = buf[off + i] * scale + min;
        off += n;
      } else if (q.dtype === 'uint16') {
        need(2 * n);
        for (let i = 0; i < n; i++) data[i] = dv.getUint16(off + 2 * i, true) * scale + min;
        off += 2 * n;
      } else if (q.dtype === 'float16') {
        need(2 * n);
        for (let i = 0; i < n; i++) data[i] = f16(dv.getUint16(off + 2 * i, true));
        off += 2 * n;
      } else fail('EF2006', `weight '${w.name}' uses quantization dtype '${q.dtype}'`, { file });
    } else {
      const dt = w.dtype ?? 'float32';
      if (dt !== 'float32' && dt !== 'int32') fail('EF2006', `weight '${w.name}' has dtype '${dt}'`, { file });
      need(4 * n);
      for (let i = 0; i < n; i++) data[i] = dt === 'float32' ? dv.getFloat32(off + 4 * i, true) : dv.getInt32(off + 4 * i, true);
      off += 4 * n;
    }
    out.set(w.name, { shape: w.shape, data });
  }
  if (off !== buf.length)
    fail('EF2010', `weight shards hold ${buf.length} bytes but the manifest describes ${off}`, { file, suggestion: 'the shard files do not match model.json' });
  return out;
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

/**
 * The one check of the weightsManifest's JSON types (model.json is user data: any field may be null, a number
 * where a string belongs, ...). Returns the weight specs in shard order and the shard paths, each listed once.
 */
export function parseManifest(m: unknown, file: string): { specs: WeightSpec[]; paths: string[] } {
  const bad = (what: string): never => fail('EF2001', `model.json weightsManifest: ${what}`, { file, suggestion: 'the file is corrupted or was edited by hand; re-export the model' });
  if (m === undefined) return { specs: [], paths: [] };
  if (!Array.isArray(m)) bad('is not a list');
  const specs: WeightSpec[] = [];
  const paths: string[] = [];
  const seenPath = new Set<string>();
  const seenName = new Set<string>();
  (m as unknown[]).forEach((g, gi) => {
    if (!isObj(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) bad(`entry ${gi} is not an object with 'paths' and 'weights' lists`);
    const group = g as { paths: unknown[]; weights: unknown[] };
    for (const p of group.paths) {
      if (typeof p !== 'string' || p === '') bad(`entry ${gi} has a shard path that is not a string: ${JSON.stringify(p)}`);
      if (isAbsolute(p as string) || normalize(p as string).split(/[\\/]/).includes('..'))
        fail('EF2011', `weight shard path '${String(p)}' leaves the model folder`, { file });
      const key = normalize(p as string);
      if (seenPath.has(key)) bad(`shard '${p}' is listed more than once`);
      seenPath.add(key);
      paths.push(p as string);
    }
    group.weights.forEach((w, wi) => {
      if (!isObj(w)) bad(`entry ${gi} weight ${wi} is not an object`);
      const o = w as Record<string, unknown>;
      if (typeof o.name !== 'string' || o.name === '') bad(`entry ${gi} weight ${wi} has a name that is not a string: ${JSON.stringify(o.name)}`);
      const name = o.name as string;
      if (seenName.has(name)) bad(`weight '${name}' is listed more than once`);
      seenName.add(name);
      if (!Array.isArray(o.shape) || o.shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
        bad(`weight '${name}' has a bad shape ${JSON.stringify(o.shape)}`);
      if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'int32')
        fail('EF2006', `weight '${name}' has dtype ${JSON.stringify(o.dtype)} (float32 and int32 are supported)`, { file });
      const q = o.quantization;
      if (q !== undefined) {
        if (!isObj(q) || typeof q.dtype !== 'string') bad(`weight '${name}' has a malformed quantization record`);
        const qq = q as Record<string, unknown>;
        for (const k of ['scale', 'min'] as const)
          if (qq[k] !== undefined && (typeof qq[k] !== 'number' || !Number.isFinite(qq[k] as number))) bad(`weight '${name}' quantization ${k} is ${JSON.stringify(qq[k])}, not a finite number`);
        if (qq.scale !== undefined && !((qq.scale as number) > 0)) bad(`weight '${name}' quantization scale ${qq.scale} is not positive`);
      }
      specs.push({ name, shape: o.shape as number[], dtype: o.dtype as string | undefined, quantization: q as WeightSpec['quantization'] });
    });
  });
  return { specs, paths };
}

/** Bytes the manifest describes, before any shard is read; over 2 GiB is refused (one Uint8Array could not hold it). */
function expectedBytes(specs: WeightSpec[], file: string): number {
  let total = 0;
  for (const w of specs) {
    const n = shapeSize(w.shape);
    if (n > MAX_WEIGHT_ELEMS) fail('EF2001', `weight '${w.name}' declares ${n} elements`, { file });
    const q = w.quantization?.dtype;
    total += n * (q === 'uint8' ? 1 : q === 'uint16' || q === 'float16' ? 2 : 4);
  }
  if (total > MAX_SHARD_TOTAL)
    fail('EF1007', `the weights manifest describes ${total} bytes of weights, more than the ${MAX_SHARD_TOTAL}-byte limit`, { file, suggestion: 'a model this large cannot run on an ESP32' });
  return total;
}

/** Read the shards once each: regular files only (no FIFO, device or folder), sizes adding up to what the manifest describes. */
function readShards(dir: string, paths: string[], expected: number, file: string): Uint8Array {
  const sizes = paths.map((p) => {
    const full = join(dir, p);
    if (!existsSync(full)) fail('EF2010', `weight shard '${p}' is missing`, { file, suggestion: `keep the shard next to model.json (${full})` });
    const st = statSync(full);
    if (!st.isFile()) fail('EF2010', `weight shard '${p}' is not a regular file`, { file, suggestion: 'weight shards must be plain files next to model.json' });
    return st.size;
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== expected)
    fail('EF2010', `weight shards hold ${total} bytes but the manifest describes ${expected}`, { file, suggestion: 'the shard files do not match model.json' });
  const buf = new Uint8Array(total);
  let o = 0;
  paths.forEach((p, k) => {
    const fd = openSync(join(dir, p), 'r');
    try {
      let got = 0;
      while (got < sizes[k]) {
        const n = readSync(fd, buf, o + got, sizes[k] - got, got);
        if (n <= 0) break;
        got += n;
      }
      if (got !== sizes[k]) fail('EF2010', `weight shard '${p}' changed while it was read`, { file });
    } finally {
      closeSync(fd);
    }
    o += sizes[k];
  });
  return buf;
}

export async function importTfjs(bytes: Uint8Array, file: string, dir: string, opts: ImportOptions): Promise<Graph> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return fail('EF2001', `model.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!isObj(json)) fail('EF2001', 'model.json is not an object', { file });
  if (json.format !== undefined && json.format !== 'layers-model')
    fail('EF2007', `model.json has format '${String(json.format)}'; only TF.js layers models are supported`, {
      file,
      notes: ['graph models (tfjs-converter output of a SavedModel) hold TensorFlow ops, not Keras layers'],
    });
  let topo = json.modelTopology as Record<string, unknown> | undefined;
  if (!isObj(topo)) return fail('EF2001', 'model.json has no modelTopology object', { file });
  if (isObj(topo.model_config)) topo = topo.model_config;
  const { specs, paths } = parseManifest(json.weightsManifest, file);
  const buf = readShards(dir, paths, expectedBytes(specs, file), file);
  const named = decodeWeights(specs, buf, file);
  const byOwner = new Map<string, Weights>();
  for (const [name, w] of named) {
    const parts = name.replace(/:\d+$/, '').split('/');
    const owner = parts.length > 1 ? parts[parts.length - 2] : '';
    const m = byOwner.get(owner) ?? new Map();
    m.set(parts[parts.length - 1], w);
    byOwner.set(owner, m);
  }
  const g = kerasToGraph(topo, { get: (path) => byOwner.get(path[path.length - 1]) ?? new Map() }, {
    file,
    format: 'tfjs',
    kerasVersion: String((json.modelTopology as Record<string, unknown>).keras_version ?? 'tfjs-layers'),
    treatLambdaAsIdentity: opts.treatLambdaAsIdentity,
  });
  // class names saved by `espforge train` (userDefinedMetadata.classes) travel with the graph
  const classes = (json as { userDefinedMetadata?: { classes?: unknown } }).userDefinedMetadata?.classes;
  if (Array.isArray(classes) && classes.length > 0 && classes.every((c) => typeof c === 'string')) g.meta.classes = classes.slice(0, 100000);
  return g;
}
