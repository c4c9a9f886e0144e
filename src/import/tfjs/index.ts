// TF.js layers models: model.json (Keras topology + weightsManifest) and its binary weight shards. The topology
// is Keras JSON, so the layer table of the Keras importer does the conversion.

import { existsSync, readFileSync } from 'node:fs';
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

export async function importTfjs(bytes: Uint8Array, file: string, dir: string, opts: ImportOptions): Promise<Graph> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return fail('EF2001', `model.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  if (!json || typeof json !== 'object') fail('EF2001', 'model.json is not an object', { file });
  if (json.format !== undefined && json.format !== 'layers-model')
    fail('EF2007', `model.json has format '${String(json.format)}'; only TF.js layers models are supported`, {
      file,
      notes: ['graph models (tfjs-converter output of a SavedModel) hold TensorFlow ops, not Keras layers'],
    });
  let topo = json.modelTopology as Record<string, unknown> | undefined;
  if (!topo || typeof topo !== 'object') fail('EF2001', 'model.json has no modelTopology', { file });
  if (topo!.model_config) topo = topo!.model_config as Record<string, unknown>;
  const manifest = (json.weightsManifest ?? []) as { paths?: string[]; weights?: WeightSpec[] }[];
  if (!Array.isArray(manifest)) fail('EF2001', 'weightsManifest is not a list', { file });
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) fail('EF2001', 'a weightsManifest entry lacks paths or weights', { file });
    for (const p of group.paths!) {
      if (typeof p !== 'string' || isAbsolute(p) || normalize(p).split(/[\\/]/).includes('..'))
        fail('EF2011', `weight shard path '${String(p)}' leaves the model folder`, { file });
      const full = join(dir, p);
      if (!existsSync(full)) fail('EF2010', `weight shard '${p}' is missing`, { file, suggestion: `keep the shard next to model.json (${full})` });
      chunks.push(readFileSync(full));
    }
    specs.push(...group.weights!);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const buf = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    buf.set(c, o);
    o += c.length;
  }
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
