// Keras model files: HDF5 (.h5, Keras 2 / tf.keras full-model saves) and the Keras 3 `.keras` zip
// (config.json + metadata.json + model.weights.h5). HDF5 is read with h5wasm from an in-memory copy.

import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { EspforgeError, fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
import { kerasToGraph, type Weights, type WeightSource } from './model.js';

type H5 = typeof import('h5wasm/node');
type H5Group = import('h5wasm/node').Group;
type H5Dataset = import('h5wasm/node').Dataset;

let h5mod: H5 | undefined;
let fileCounter = 0;

async function h5(): Promise<H5> {
  if (!h5mod) {
    const m = await import('h5wasm/node');
    await m.ready;
    h5mod = m;
  }
  return h5mod;
}

/**
 * Open HDF5 bytes through h5wasm's in-memory file system; `use` runs while the file is open. The HDF5 library
 * prints its error stack to stderr on damaged files; the library must not print, so that output is captured
 * (synchronously, for the duration of the call) and its first line becomes a note of the diagnostic.
 */
async function withH5<T>(bytes: Uint8Array, file: string, use: (f: import('h5wasm/node').File) => T): Promise<T> {
  const m = await h5();
  // h5wasm's Node build reads the real file system (NODERAWFS), so the bytes go to a private temp file.
  const path = join(tmpdir(), `espforge-${process.pid}-${fileCounter++}.h5`);
  fs.writeFileSync(path, bytes);
  let f: import('h5wasm/node').File | undefined;
  const captured: string[] = [];
  // HDF5 writes its diagnostics straight to file descriptor 2 through fs.writeSync.
  const realWriteSync = fs.writeSync;
  fs.writeSync = ((fd: number, buf: unknown, ...rest: unknown[]) => {
    if (fd === 2) {
      if (typeof buf === 'string') {
        captured.push(buf);
        return buf.length;
      }
      const u = buf as Uint8Array;
      const off = typeof rest[0] === 'number' ? rest[0] : 0;
      const len = typeof rest[1] === 'number' ? rest[1] : u.length - off;
      if (captured.length < 64) captured.push(Buffer.from(u.buffer, u.byteOffset + off, Math.min(len, 4096)).toString());
      return len;
    }
    return (realWriteSync as (...a: unknown[]) => number)(fd, buf, ...rest);
  }) as typeof fs.writeSync;
  try {
    try {
      f = new m.File(path, 'r');
    } catch (e) {
      return fail('EF2001', `not a readable HDF5 file: ${(e as Error).message ?? e}`, { file });
    }
    return use(f);
  } catch (e) {
    if (e instanceof EspforgeError) throw e;
    const first = /#000: .* in (\w+\(\)): (.*)/.exec(captured.join(''));
    return fail('EF2001', `HDF5 structure could not be read: ${(e as Error)?.message ?? String(e)}`, {
      file,
      notes: first ? [`HDF5: ${first[1]}: ${first[2].trim().slice(0, 160)}`] : [],
    });
  } finally {
    try {
      f?.close();
    } catch {
      /* already closed */
    }
    fs.writeSync = realWriteSync;
    fs.rmSync(path, { force: true });
  }
}

function attrString(g: { attrs: Record<string, { value: unknown }> }, key: string): string | undefined {
  const a = g.attrs[key];
  if (!a) return undefined;
  const v = a.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

function attrStrings(g: { attrs: Record<string, { value: unknown }> }, key: string): string[] {
  const v = g.attrs[key]?.value;
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  return [];
}

function readDataset(d: H5Dataset, name: string, file: string): { shape: number[]; data: Float32Array } {
  const shape = d.shape ?? [];
  const n = shapeSize(shape);
  if (n > 1 << 27) fail('EF2001', `weight '${name}' declares ${n} elements`, { file });
  const v = d.value;
  if (!(v instanceof Float32Array || v instanceof Float64Array) || v.length !== n)
    fail('EF2006', `weight '${name}' is not a float array of shape [${shape}]`, { file });
  return { shape, data: v instanceof Float32Array ? v.slice() : Float32Array.from(v) };
}

const baseName = (n: string) => n.replace(/:\d+$/, '').split('/').pop()!;

/** Keras 2 layout: model_weights/<layer>/ with attr weight_names = ['<layer>/kernel:0', ...]. */
function keras2Weights(root: H5Group, file: string): WeightSource {
  return {
    get(path: string[]): Weights {
      const out: Weights = new Map();
      const g = root.get(path[0]) as H5Group | null;
      if (!g || !('keys' in g)) return out;
      const names = attrStrings(g, 'weight_names');
      for (const n of names) {
        const parts = n.replace(/:\d+$/, '').split('/');
        // nested models: keep the weights whose owning layer is the inner layer
        if (path.length > 1 && parts[parts.length - 2] !== path[path.length - 1]) continue;
        const d = g.get(n) as H5Dataset | null;
        if (!d || !('shape' in d)) fail('EF2010', `weight '${n}' listed for layer '${path.join('/')}' is missing`, { file });
        out.set(baseName(n), readDataset(d!, n, file));
      }
      return out;
    },
  };
}

/** One layer's weights in a weights-only Keras 2 HDF5 file, in the file's weight_names order. */
export interface LayerWeightsH5 {
  layer: string;
  weights: { name: string; shape: number[]; data: Float32Array }[];
}

/**
 * Read a weights-only Keras 2 HDF5 file (`model.save_weights('x.h5')`, the Keras-applications weight files):
 * root attribute layer_names, one group per layer with attribute weight_names ('<layer>/kernel:0', ...) and the
 * datasets under those names. Returns every layer in layer_names order (layers without weights included).
 */
export async function readKerasWeightsH5(bytes: Uint8Array, file: string): Promise<LayerWeightsH5[]> {
  return withH5(bytes, file, (f) => {
    const root = f as unknown as H5Group;
    let names = attrStrings(f, 'layer_names');
    if (!names.length) {
      const mw = f.get('model_weights') as H5Group | null;
      if (mw && 'keys' in mw) return fail('EF2010', 'this is a full Keras model file, not a weights-only file', { file, suggestion: 'give the weights file (model.save_weights) or use the model as a file base: "base": {"file": ...}' });
      fail('EF2001', 'not a Keras weights file: the root has no layer_names attribute', { file });
    }
    if (names.length > 100000) fail('EF2001', `layer_names lists ${names.length} layers`, { file });
    names = names.map((n) => n.replace(/^b'|'$/g, ''));
    return names.map((layer) => {
      const g = root.get(layer) as H5Group | null;
      if (!g || !('keys' in g)) fail('EF2010', `layer '${layer}' is listed in layer_names but has no group`, { file });
      const weights = attrStrings(g!, 'weight_names').map((n) => {
        const d = g!.get(n) as H5Dataset | null;
        if (!d || !('shape' in d)) fail('EF2010', `weight '${n}' listed for layer '${layer}' is missing`, { file });
        return { name: baseName(n), ...readDataset(d!, n, file) };
      });
      return { layer, weights };
    });
  });
}

/** Keras 3 layout (model.weights.h5): layers/<layer>/vars/<i>, nested: layers/<model>/layers/<layer>/vars/<i>. */
function keras3Weights(root: H5Group, file: string, order: (cls: string) => string[], classOf: (path: string[]) => string): WeightSource {
  return {
    get(path: string[]): Weights {
      const out: Weights = new Map();
      let g: H5Group | null = root;
      for (const p of path) {
        g = (g?.get('layers') as H5Group | null)?.get(p) as H5Group | null;
        if (!g) return out;
      }
      const vars = g?.get('vars') as H5Group | null;
      if (!vars || !('keys' in vars)) return out;
      const names = order(classOf(path));
      const keys = vars.keys().sort((a, b) => Number(a) - Number(b));
      keys.forEach((k, i) => {
        const d = vars.get(k) as H5Dataset;
        out.set(names[i] ?? `var${i}`, readDataset(d, `${path.join('/')}/vars/${k}`, file));
      });
      return out;
    },
  };
}

/** Weight order of Keras 3 layers (their build() order). */
function keras3Order(cls: string): string[] {
  switch (cls) {
    case 'BatchNormalization':
      return ['gamma', 'beta', 'moving_mean', 'moving_variance'];
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', 'bias'];
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', 'bias'];
    case 'PReLU':
      return ['alpha'];
    default:
      return ['kernel', 'bias'];
  }
}

async function importH5(bytes: Uint8Array, file: string, opts: ImportOptions): Promise<Graph> {
  return withH5(bytes, file, (f) => {
    const cfgText = attrString(f, 'model_config');
    if (!cfgText) {
      if (attrStrings(f, 'layer_names').length || f.get('model_weights') === null)
        fail('EF2010', 'this HDF5 file holds weights only (no model_config): the architecture is missing', {
          file,
          suggestion: 'save the whole model (model.save("x.h5")) rather than model.save_weights(), or supply the architecture in a full model file',
        });
      fail('EF2001', 'HDF5 file has no Keras model_config attribute', { file });
    }
    let cfg: unknown;
    try {
      cfg = JSON.parse(cfgText!);
    } catch (e) {
      return fail('EF2001', `model_config is not valid JSON: ${(e as Error).message}`, { file });
    }
    const mw = f.get('model_weights') as H5Group | null;
    if (!mw) fail('EF2010', 'HDF5 file has a model_config but no model_weights group', { file });
    return kerasToGraph(cfg, keras2Weights(mw!, file), {
      file,
      format: 'keras',
      kerasVersion: attrString(f, 'keras_version') ?? attrString(mw!, 'keras_version'),
      treatLambdaAsIdentity: opts.treatLambdaAsIdentity,
    });
  });
}

/** Limits for .keras archives: entries and total size, checked before inflating. */
const MAX_ENTRY = 512 * 1024 * 1024;

async function importKerasZip(bytes: Uint8Array, file: string, opts: ImportOptions): Promise<Graph> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.startsWith('/') || f.name.split(/[\\/]/).includes('..') || /^[a-zA-Z]:/.test(f.name))
          fail('EF2011', `archive entry '${f.name}' has an absolute or parent-relative path`, { file, suggestion: 'this file may be hostile; do not extract it' });
        if (f.originalSize > MAX_ENTRY || f.originalSize < 0)
          fail('EF2011', `archive entry '${f.name}' declares ${f.originalSize} bytes, over the ${MAX_ENTRY}-byte limit`, { file });
        if (f.size > 0 && f.originalSize / f.size > 2000 && f.originalSize > 64 * 1024 * 1024)
          fail('EF2011', `archive entry '${f.name}' has an absurd compression ratio`, { file });
        return f.name === 'config.json' || f.name === 'metadata.json' || f.name === 'model.weights.h5';
      },
    });
  } catch (e) {
    if (e instanceof EspforgeError) throw e;
    return fail('EF2001', `not a valid .keras (zip) archive: ${(e as Error).message}`, { file });
  }
  const cfgBytes = entries['config.json'];
  const wBytes = entries['model.weights.h5'];
  if (!cfgBytes || !wBytes) fail('EF2001', '.keras archive must hold config.json and model.weights.h5', { file });
  let cfg: Record<string, unknown>;
  let meta: Record<string, unknown> = {};
  try {
    cfg = JSON.parse(new TextDecoder().decode(cfgBytes));
    if (entries['metadata.json']) meta = JSON.parse(new TextDecoder().decode(entries['metadata.json']));
  } catch (e) {
    return fail('EF2001', `config.json / metadata.json is not valid JSON: ${(e as Error).message}`, { file });
  }
  // class of the layer at a path, for the Keras 3 weight order
  const classOf = (path: string[]): string => {
    let m: Record<string, unknown> | undefined = cfg;
    let cls = '';
    for (const p of path) {
      const layers = ((m?.config as Record<string, unknown> | undefined)?.layers ?? []) as Record<string, unknown>[];
      const l = layers.find((x) => (x.name ?? (x.config as Record<string, unknown>)?.name) === p);
      cls = String(l?.class_name ?? '');
      m = l;
    }
    return cls;
  };
  return withH5(wBytes!, `${file}:model.weights.h5`, (f) =>
    kerasToGraph(cfg, keras3Weights(f, file, keras3Order, classOf), {
      file,
      format: 'keras',
      kerasVersion: String(meta.keras_version ?? '3'),
      treatLambdaAsIdentity: opts.treatLambdaAsIdentity,
    }),
  );
}

export async function importKeras(bytes: Uint8Array, file: string, opts: ImportOptions): Promise<Graph> {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return importKerasZip(bytes, file, opts);
  return importH5(bytes, file, opts);
}
