// Batches for `espforge run`: a .npy whose leading axis is N samples, an .npz (one batched array, or one array
// per sample), or a folder of images (files directly in it, and/or one sub-folder per class, whose name becomes the
// sample's label). Every sample is read exactly as a single --input file would be (src/io/inputs.ts), so a batch
// of one gives the same result as that file alone. Single-input models only.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail } from '../diagnostics.js';
import { shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { toStoredLayout } from '../ir/layout.js';
import type { Value } from '../ops/types.js';
import { isImageFile } from '../data/images.js';
import { loadInputFor } from './inputs.js';
import type { InputKind } from '../quant/report.js';
import { readNpy, readNpz } from './npy.js';

export interface BatchItem {
  /** File name, relative path inside the folder, or `FILE[k]` / `FILE:key` for arrays. */
  name: string;
  /** Class folder name for images in class sub-folders. */
  label?: string;
  input: Value;
}

/** At most this many samples per batch (a guard against giant allocations from hostile headers). */
export const MAX_BATCH = 100000;

function splitLeading(v: Value, per: number, name: string, file: string): Value[] | undefined {
  if (v.shape.length < 2 || per === 0) return undefined;
  const n = v.shape[0];
  if (n < 1 || shapeSize(v.shape.slice(1)) !== per || v.data.length !== n * per) return undefined;
  if (n > MAX_BATCH) fail('EF0004', `${name} holds ${n} samples; at most ${MAX_BATCH} per run`, { file });
  return Array.from({ length: n }, (_, k) => ({ dtype: v.dtype, shape: [1, ...v.shape.slice(1)], data: v.data.subarray(k * per, (k + 1) * per) }) as Value);
}

/**
 * The samples of a batch `path` for graph input 0, or undefined when `path` is a single sample (the caller then
 * reads it as before).
 */
export async function loadBatchFor(g: Graph, path: string, kind?: InputKind): Promise<BatchItem[] | undefined> {
  if (!existsSync(path)) fail('EF0001', 'no such input file', { file: path });
  const t = g.tensors[g.inputs[0]];
  const per = shapeSize(t.shape.map((d) => (d < 0 ? 1 : d)));
  if (statSync(path).isDirectory()) {
    if (g.inputs.length !== 1) fail('EF1009', `the model has ${g.inputs.length} inputs; a folder batch feeds single-input models`, { file: path });
    const items: { file: string; name: string; label?: string }[] = [];
    for (const e of readdirSync(path).sort()) {
      if (e.startsWith('.')) continue;
      const p = join(path, e);
      if (statSync(p).isDirectory()) {
        for (const f of readdirSync(p).sort()) if (!f.startsWith('.') && isImageFile(f)) items.push({ file: join(p, f), name: `${e}/${f}`, label: e });
      } else if (isImageFile(e)) items.push({ file: p, name: e });
    }
    if (!items.length) fail('EF0001', 'the folder holds no images (.png, .jpg, ...) directly or in class sub-folders', { file: path });
    if (items.length > MAX_BATCH) fail('EF0001', `the folder holds ${items.length} images; at most ${MAX_BATCH} per run`, { file: path });
    const out: BatchItem[] = [];
    for (const it of items) out.push({ name: it.name, label: it.label, input: (await loadInputFor(g, 0, it.file, kind)).samples[0] });
    return out;
  }
  const ext = extname(path).toLowerCase();
  if (ext !== '.npy' && ext !== '.npz') return undefined;
  if (g.inputs.length !== 1) return undefined;
  const base = path.split(/[\\/]/).pop()!;
  if (ext === '.npy') {
    const v = readNpy(readFileSync(path), path);
    if (v.data.length === per) return undefined; // one sample
    const parts = splitLeading(v, per, base, path);
    if (!parts) return undefined; // let the single-sample path report the shape problem
    return parts.map((p, k) => ({ name: `${base}[${k}]`, input: toStoredLayout(p, t, undefined, path) }));
  }
  const m = readNpz(readFileSync(path), path);
  for (const key of [t.name, 'input_0', 'input', 'x', 'arr_0']) {
    const v = m.get(key);
    if (v && v.data.length !== per) {
      const parts = splitLeading(v, per, `${base}:${key}`, path);
      if (parts) return parts.map((p, k) => ({ name: `${base}:${key}[${k}]`, input: toStoredLayout(p, t, undefined, path) }));
    }
  }
  // several arrays of one sample each
  const entries = [...m.entries()];
  if (entries.length > 1 && entries.every(([, v]) => v.data.length === per))
    return entries.map(([k, v]) => ({ name: `${base}:${k}`, input: toStoredLayout({ ...v, shape: v.shape.length === t.shape.length ? v.shape : [1, ...v.shape] }, t, undefined, path) }));
  return undefined;
}
