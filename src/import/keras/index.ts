// Keras model files: HDF5 (.h5, Keras 2 / tf.keras full-model saves) and the Keras 3 `.keras` zip
// (config.json + metadata.json + model.weights.h5). HDF5 is read with h5wasm from an in-memory copy.

import { fail } from '../../diagnostics.js';
import { readZip } from '../../io/zip.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
import { h5Get, readH5Tree, type H5Group, type H5Node } from './h5.js';
import { kerasToGraph, type Weights, type WeightSource } from './model.js';

function attrString(g: { attrs: Record<string, unknown> }, key: string): string | undefined {
  const v = g.attrs[key];
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

function attrStrings(g: { attrs: Record<string, unknown> }, key: string): string[] {
  const v = g.attrs[key];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string') return [v];
  return [];
}

function readDataset(d: H5Node | undefined, name: string, file: string): { shape: number[]; data: Float32Array } {
  if (!d || d.kind !== 'dataset') return fail('EF2010', `weight '${name}' is missing or not a dataset`, { file });
  const shape = d.shape ?? [];
  const n = shapeSize(shape);
  if (n > 1 << 27) fail('EF2001', `weight '${name}' declares ${n} elements`, { file });
  const v = d.value;
  if (!(v instanceof Float32Array || v instanceof Float64Array) || v.length !== n)
    fail('EF2006', `weight '${name}' is not a float array of shape [${shape}]`, { file });
  return { shape, data: v instanceof Float32Array ? v.slice() : Float32Array.from(v as Float64Array) };
}

const baseName = (n: string) => n.replace(/:\d+$/, '').split('/').pop()!;

/** Keras 2 layout: model_weights/<layer>/ with attr weight_names = ['<layer>/kernel:0', ...]. */
function keras2Weights(root: H5Group, file: string): WeightSource {
  return {
    get(path: string[]): Weights {
      const out: Weights = new Map();
      const g = h5Get(root, path[0]);
      if (!g || g.kind !== 'group') return out;
      const names = attrStrings(g, 'weight_names');
      for (const n of names) {
        const parts = n.replace(/:\d+$/, '').split('/');
        // nested models: keep the weights whose owning layer is the inner layer
        if (path.length > 1 && parts[parts.length - 2] !== path[path.length - 1]) continue;
        const d = h5Get(g, n);
        if (!d || d.kind !== 'dataset') fail('EF2010', `weight '${n}' listed for layer '${path.join('/')}' is missing`, { file });
        out.set(baseName(n), readDataset(d, n, file));
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
  const f = await readH5Tree(bytes, file, { skip: ['optimizer_weights'] });
  let names = attrStrings(f, 'layer_names');
  if (!names.length) {
    const mw = h5Get(f, 'model_weights');
    if (mw && mw.kind === 'group') return fail('EF2010', 'this is a full Keras model file, not a weights-only file', { file, suggestion: 'give the weights file (model.save_weights) or use the model as a file base: "base": {"file": ...}' });
    fail('EF2001', 'not a Keras weights file: the root has no layer_names attribute', { file });
  }
  if (names.length > 100000) fail('EF2001', `layer_names lists ${names.length} layers`, { file });
  names = names.map((n) => n.replace(/^b'|'$/g, ''));
  return names.map((layer) => {
    const g = h5Get(f, layer);
    if (!g || g.kind !== 'group') return fail('EF2010', `layer '${layer}' is listed in layer_names but has no group`, { file });
    const weights = attrStrings(g, 'weight_names').map((n) => {
      const d = h5Get(g, n);
      if (!d || d.kind !== 'dataset') fail('EF2010', `weight '${n}' listed for layer '${layer}' is missing`, { file });
      return { name: baseName(n), ...readDataset(d, n, file) };
    });
    return { layer, weights };
  });
}

/** Keras 3 layout (model.weights.h5): layers/<layer>/vars/<i>, nested: layers/<model>/layers/<layer>/vars/<i>. */
function keras3Weights(root: H5Group, file: string, order: (cls: string) => string[], classOf: (path: string[]) => string): WeightSource {
  return {
    get(path: string[]): Weights {
      const out: Weights = new Map();
      let g: H5Node | undefined = root;
      for (const p of path) {
        g = h5Get(h5Get(g, 'layers'), p);
        if (!g) return out;
      }
      const vars = h5Get(g, 'vars');
      if (!vars || vars.kind !== 'group') return out;
      const names = order(classOf(path));
      const keys = Object.keys(vars.children).sort((a, b) => Number(a) - Number(b));
      keys.forEach((k, i) => {
        out.set(names[i] ?? `var${i}`, readDataset(vars.children[k], `${path.join('/')}/vars/${k}`, file));
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
  // optimizer state is never needed; Keras config errors below surface as themselves, not as HDF5 errors
  const f = await readH5Tree(bytes, file, { skip: ['optimizer_weights'], timeoutMs: opts.parserTimeoutMs });
  const cfgText = attrString(f, 'model_config');
  const mw = h5Get(f, 'model_weights');
  if (!cfgText) {
    if (attrStrings(f, 'layer_names').length || !mw)
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
  if (!mw || mw.kind !== 'group') return fail('EF2010', 'HDF5 file has a model_config but no model_weights group', { file });
  return kerasToGraph(cfg, keras2Weights(mw, file), {
    file,
    format: 'keras',
    kerasVersion: attrString(f, 'keras_version') ?? attrString(mw, 'keras_version'),
    treatLambdaAsIdentity: opts.treatLambdaAsIdentity,
  });
}

async function importKerasZip(bytes: Uint8Array, file: string, opts: ImportOptions): Promise<Graph> {
  const entries = readZip(bytes, file, {
    accept: (n) => n === 'config.json' || n === 'metadata.json' || n === 'model.weights.h5',
    code: 'EF2001',
    what: '.keras',
  });
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
  const f = await readH5Tree(wBytes!, `${file}:model.weights.h5`, { skip: ['optimizer'], timeoutMs: opts.parserTimeoutMs });
  return kerasToGraph(cfg, keras3Weights(f, file, keras3Order, classOf), {
    file,
    format: 'keras',
    kerasVersion: String(meta.keras_version ?? '3'),
    treatLambdaAsIdentity: opts.treatLambdaAsIdentity,
  });
}

export async function importKeras(bytes: Uint8Array, file: string, opts: ImportOptions): Promise<Graph> {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return importKerasZip(bytes, file, opts);
  return importH5(bytes, file, opts);
}
