// Keras model topology (Sequential, Functional, nested models) → IR, through the layer table in layers.ts.
// Used by the .h5, .keras and TF.js layers front ends, which differ only in where the weights come from.

import { EspforgeError, diag, fail, type Diagnostic } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import { GraphBuilder, type Attrs, type Graph } from '../../ir/graph.js';
import { inferGraph } from '../../ops/infer.js';
import { getOp, normalizeAttrs } from '../../ops/index.js';
import { IGNORABLE, LAYERS, REFUSED } from './layers.js';

export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** Where a front end finds the weights of a layer, addressed by its path of layer names (nested models). */
export interface WeightSource {
  get(path: string[]): Weights;
}

export interface KerasOptions {
  file: string;
  format: string;
  kerasVersion?: string;
  treatLambdaAsIdentity?: boolean;
  /** Batch size given to the graph input where the model leaves it open (default 1). */
  batch?: number;
}

type Json = Record<string, unknown>;

/** Largest tensor (elements) a layer config may declare. */
const MAX_ELEMS = 1 << 28;

/** Incremental graph construction with shapes known at every step (layers need input shapes). */
export class KerasEmitter {
  readonly b: GraphBuilder;
  kerasMajor: number;
  /** Keras tensor references → tensor ids, keyed `layer:node:index` within the current scope. */
  private scopes: Map<string, number>[] = [new Map()];
  constructor(
    readonly file: string,
    format: string,
    kerasVersion: string | undefined,
  ) {
    this.b = new GraphBuilder({ format, source: file, producer: kerasVersion ? `keras ${kerasVersion}` : undefined });
    const m = /(\d+)\./.exec(kerasVersion?.replace(/^tfjs-layers\s*/, '') ?? '');
    this.kerasMajor = kerasVersion?.startsWith('tfjs-layers') ? 2 : m ? Number(m[1]) : 2;
  }

  shape(id: number): number[] {
    return this.b.get(id).shape;
  }

  constant(name: string, shape: number[], data: Float32Array): number {
    if (shapeSize(shape) !== data.length) fail('EF2010', `weight '${name}' has ${data.length} values for shape [${shape}]`, { file: this.file });
    return this.b.constant(name, 'float32', shape, data);
  }

  /** Add one node and infer its output shape right away. Returns the output tensor id. */
  op(op: string, name: string, inputs: number[], attrs: Attrs = {}): number {
    const def = getOp(op);
    const a = normalizeAttrs(def, attrs, name);
    const out = this.b.tensor({ name, dtype: 'float32', shape: [] });
    const node = { op, name, inputs, outputs: [out], attrs };
    const infos = inputs.map((i) => (i < 0 ? undefined : { dtype: this.b.get(i).dtype, shape: this.b.get(i).shape, data: this.b.get(i).data }));
    const [o] = def.infer({ node, attrs: a, inputs: infos });
    if (shapeSize(o.shape) > MAX_ELEMS) fail('EF1007', `layer '${name}' would produce a tensor of shape [${o.shape}]`, { file: this.file, node: name });
    const t = this.b.tensors[out];
    t.shape = o.shape;
    t.dtype = o.dtype;
    this.b.node(node);
    return out;
  }

  bind(layer: string, node: number, index: number, id: number): void {
    this.scopes[this.scopes.length - 1].set(`${layer}:${node}:${index}`, id);
  }

  lookup(layer: string, node: number, index: number): number | undefined {
    return this.scopes[this.scopes.length - 1].get(`${layer}:${node}:${index}`);
  }

  pushScope(): void {
    this.scopes.push(new Map());
  }
  popScope(): void {
    this.scopes.pop();
  }

  /** A tensor reference in any Keras serialisation: [layer, node, index(, kwargs)] or a Keras 3 __keras_tensor__. */
  resolveRef(v: unknown): number | undefined {
    if (Array.isArray(v) && typeof v[0] === 'string') return this.lookup(v[0], Number(v[1] ?? 0), Number(v[2] ?? 0));
    const o = v as Json | null;
    if (o && o.class_name === '__keras_tensor__') {
      const h = (o.config as Json | undefined)?.keras_history as unknown[] | undefined;
      if (h) return this.lookup(String(h[0]), Number(h[1]), Number(h[2]));
    }
    return undefined;
  }
}

function isModelClass(cls: string): boolean {
  return cls === 'Sequential' || cls === 'Functional' || cls === 'Model';
}

/** Layers of a model config, for either the old list-style Sequential or the dict style. */
function layersOf(model: Json): Json[] {
  const cfg = model.config;
  if (Array.isArray(cfg)) return cfg as Json[];
  const l = (cfg as Json | undefined)?.layers;
  if (!Array.isArray(l)) return [];
  return l as Json[];
}

function layerName(l: Json): string {
  return String((l.name as string | undefined) ?? ((l.config as Json | undefined)?.name as string | undefined) ?? '?');
}

/** Walk every layer (nested models included) to collect refusals before building anything. */
function survey(model: Json, path: string[], out: { lambdas: string[]; refused: Diagnostic[]; unknown: Diagnostic[] }, file: string): void {
  for (const l of layersOf(model)) {
    const cls = String(l.class_name);
    const name = [...path, layerName(l)].join('/');
    if (isModelClass(cls)) survey(l, [...path, layerName(l)], out, file);
    else if (cls === 'Lambda') out.lambdas.push(name);
    else if (REFUSED[cls])
      out.refused.push(diag('EF2008', `layer '${name}' (${cls}) is not supported: ${REFUSED[cls]}`, { file, node: name }));
    else if (!LAYERS[cls])
      out.unknown.push(diag('EF2008', `layer '${name}' has unknown class '${cls}'`, { file, node: name }));
  }
}

/** Batch input shape of a model's first layer / InputLayer, with the batch dim resolved to 1. */
function inputShapeOf(l: Json, batch = 1): number[] | undefined {
  const c = (l.config ?? {}) as Json;
  const s = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
  const bc = (l.build_config as Json | undefined)?.input_shape as (number | null)[] | undefined;
  const shape = s ?? bc;
  if (!shape) return undefined;
  return shape.map((d, i) => (d === null ? (i === 0 ? batch : -1) : d));
}

function checkConfigKeys(cls: string, name: string, cfg: Json, file: string): void {
  const row = LAYERS[cls];
  const bad = Object.keys(cfg).filter((k) => !IGNORABLE.has(k) && !row.keys.includes(k));
  if (bad.length)
    fail('EF2003', `layer '${name}' (${cls}) has config keys espforge does not understand: ${bad.join(', ')}`, {
      file,
      node: name,
      suggestion: 'if the key does not change inference, it can be added to the ignorable list of the layer table',
    });
}

function callLayer(em: KerasEmitter, l: Json, path: string[], inputs: number[], kwargs: Json, weights: WeightSource, opts: KerasOptions): number[] {
  const cls = String(l.class_name);
  const name = layerName(l);
  const cfg = (l.config ?? {}) as Json;
  if (isModelClass(cls)) return buildModel(em, l, [...path, name], inputs, weights, opts);
  if (cls === 'Lambda') return inputs; // reached only with treatLambdaAsIdentity
  checkConfigKeys(cls, name, cfg, opts.file);
  const full = [...path, name].join('/');
  return LAYERS[cls].build({ name: full, cls, config: cfg, inputs, kwargs, weights: weights.get([...path, name]), em, file: opts.file });
}

/** Parse one inbound node (Keras 2 list form or Keras 3 dict form) into tensor ids and kwargs. */
function inbound(em: KerasEmitter, node: unknown, layer: string, file: string): { inputs: number[]; kwargs: Json } {
  const missing = (what: unknown): never =>
    fail('EF2001', `layer '${layer}' reads ${JSON.stringify(what)}, which is not defined before it`, { file, node: layer });
  // tf.keras writes a TFOpLambda call as one bare reference ["layer", 0, 0, {kwargs}] instead of a list of them.
  if (Array.isArray(node) && typeof node[0] === 'string') node = [node];
  if (Array.isArray(node)) {
    const inputs: number[] = [];
    let kwargs: Json = {};
    for (const ref of node) {
      if (!Array.isArray(ref)) missing(ref);
      const id = em.resolveRef(ref);
      if (id === undefined) missing(ref);
      inputs.push(id!);
      if (ref.length > 3 && ref[3] && typeof ref[3] === 'object') kwargs = { ...kwargs, ...(ref[3] as Json) };
    }
    return { inputs, kwargs };
  }
  const o = node as Json;
  if (o && Array.isArray(o.args)) {
    const inputs: number[] = [];
    const walk = (a: unknown) => {
      if (Array.isArray(a) && a.length && typeof a[0] !== 'string') a.forEach(walk);
      else {
        const id = em.resolveRef(a);
        if (id === undefined) missing(a);
        inputs.push(id!);
      }
    };
    o.args.forEach(walk);
    return { inputs, kwargs: (o.kwargs as Json | undefined) ?? {} };
  }
  return missing(node);
}

/**
 * Build a model's layers into the emitter. `inputs` binds the model's inputs when it is nested; a top-level
 * model creates graph inputs. Returns the model's output tensors.
 */
function buildModel(em: KerasEmitter, model: Json, path: string[], inputs: number[] | undefined, weights: WeightSource, opts: KerasOptions): number[] {
  const layers = layersOf(model);
  if (layers.length === 0) fail('EF2001', `model ${path.join('/') || '(top)'} has no layers`, { file: opts.file });
  const cls = String(model.class_name);
  const sequential = cls === 'Sequential' || layers.every((l) => l.inbound_nodes === undefined);
  if (sequential) {
    let cur: number[];
    let start = 0;
    if (inputs) cur = inputs;
    else {
      const shape = inputShapeOf(layers[0], opts.batch);
      if (!shape || shape.some((d) => d < 0))
        fail('EF1008', `the first layer of the model does not declare a static input shape (batch_input_shape)`, {
          file: opts.file,
          suggestion: 'build the model with an explicit input shape before saving it',
        });
      const name = layers[0].class_name === 'InputLayer' ? layerName(layers[0]) : 'input';
      cur = [em.b.tensor({ name, dtype: 'float32', shape: shape! })];
      em.b.inputs.push(cur[0]);
    }
    if (layers[0].class_name === 'InputLayer') start = 1;
    for (let i = start; i < layers.length; i++) cur = callLayer(em, layers[i], path, cur, {}, weights, opts);
    return cur;
  }
  // Functional: resolve references in order; layers are listed in a valid topological order by Keras.
  const cfg = model.config as Json;
  em.pushScope();
  try {
    const inputLayers = (cfg.input_layers ?? []) as unknown[];
    const inRefs = (Array.isArray(inputLayers[0]) ? inputLayers : [inputLayers]) as unknown[][];
    inRefs.forEach((ref, k) => {
      const lname = String(ref[0]);
      const l = layers.find((x) => layerName(x) === lname);
      if (inputs) {
        if (k >= inputs.length) fail('EF2001', `nested model ${path.join('/')} has more inputs than it is given`, { file: opts.file });
        em.bind(lname, 0, 0, inputs[k]);
      } else {
        const shape = l ? inputShapeOf(l, opts.batch) : undefined;
        if (!shape || shape.some((d) => d < 0))
          fail('EF1008', `input layer '${lname}' does not declare a static shape`, { file: opts.file, node: lname });
        const id = em.b.tensor({ name: lname, dtype: 'float32', shape: shape! });
        em.b.inputs.push(id);
        em.bind(lname, 0, 0, id);
      }
    });
    for (const l of layers) {
      const name = layerName(l);
      if (l.class_name === 'InputLayer') continue;
      const nodes = (l.inbound_nodes ?? []) as unknown[];
      nodes.forEach((nd, ni) => {
        const { inputs: ins, kwargs } = inbound(em, nd, name, opts.file);
        const outs = callLayer(em, l, path, ins, kwargs, weights, opts);
        outs.forEach((o, oi) => em.bind(name, ni, oi, o));
      });
    }
    const outLayers = (cfg.output_layers ?? []) as unknown[];
    const outRefs = (Array.isArray(outLayers[0]) ? outLayers : [outLayers]) as unknown[][];
    return outRefs.map((r) => {
      const id = em.lookup(String(r[0]), Number(r[1] ?? 0), Number(r[2] ?? 0));
      if (id === undefined) fail('EF2001', `model output '${String(r[0])}' is never computed`, { file: opts.file });
      return id!;
    });
  } finally {
    em.popScope();
  }
}

const isObj = (x: unknown): x is Json => !!x && typeof x === 'object' && !Array.isArray(x);

/**
 * The one check of the JSON types of a Keras model config (from .h5, .keras or TF.js: all user data) before any
 * of it is used: layers are objects with a string class_name and an object config, names are strings, input
 * shapes are lists of non-negative integers or null, inbound nodes and input/output layer references have the
 * shapes Keras writes. Layer-specific config values are checked by the layer table.
 */
export function checkKerasJson(model: unknown, file: string, where = '(top)', depth = 0): void {
  const bad = (what: string): never =>
    fail('EF2001', `the Keras model config is malformed: ${what}`, { file, suggestion: 'the file is corrupted or was edited by hand; re-save the model' });
  if (depth > 16) bad('models nest more than 16 levels deep');
  if (!isObj(model) || typeof model.class_name !== 'string') bad(`model ${where} is not an object with a class_name`);
  const m = model as Json;
  const cfg = m.config;
  if (!Array.isArray(cfg) && !isObj(cfg)) bad(`model ${where} has no config object`);
  const layers = Array.isArray(cfg) ? cfg : (cfg as Json).layers;
  if (layers !== undefined && !Array.isArray(layers)) bad(`model ${where} config.layers is not a list`);
  const refOk = (r: unknown) => Array.isArray(r) && typeof r[0] === 'string' && r.slice(1, 3).every((x) => x === undefined || (typeof x === 'number' && Number.isInteger(x) && x >= 0));
  const refsOk = (v: unknown) => v === undefined || (Array.isArray(v) && (v.length === 0 || refOk(v) || v.every(refOk)));
  if (isObj(cfg)) {
    if (!refsOk(cfg.input_layers)) bad(`model ${where} input_layers is not a list of [layer, node, index] references`);
    if (!refsOk(cfg.output_layers)) bad(`model ${where} output_layers is not a list of [layer, node, index] references`);
  }
  ((layers ?? []) as unknown[]).forEach((l, i) => {
    if (!isObj(l) || typeof l.class_name !== 'string') bad(`layer ${i} of model ${where} is not an object with a class_name`);
    const L = l as Json;
    if (L.config !== undefined && !isObj(L.config) && !(isModelClass(L.class_name as string) && Array.isArray(L.config)))
      bad(`layer ${i} (${String(L.class_name)}) of model ${where} has a config that is not an object`);
    const c = (isObj(L.config) ? L.config : {}) as Json;
    const name = L.name ?? c.name;
    if (name !== undefined && typeof name !== 'string') bad(`layer ${i} of model ${where} has a name that is not a string: ${JSON.stringify(name)}`);
    for (const k of ['batch_input_shape', 'batch_shape'])
      if (c[k] !== undefined && c[k] !== null && (!Array.isArray(c[k]) || (c[k] as unknown[]).some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0))))
        bad(`layer '${String(name ?? i)}' has ${k} ${JSON.stringify(c[k]).slice(0, 80)}, not a list of non-negative integers or null`);
    const bc = isObj(L.build_config) ? (L.build_config as Json).input_shape : undefined;
    if (bc !== undefined && bc !== null && (!Array.isArray(bc) || bc.some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0))))
      bad(`layer '${String(name ?? i)}' has build_config.input_shape ${JSON.stringify(bc).slice(0, 80)}`);
    const nodes = L.inbound_nodes;
    if (nodes !== undefined) {
      if (!Array.isArray(nodes)) bad(`layer '${String(name ?? i)}' has inbound_nodes that is not a list`);
      for (const nd of nodes as unknown[]) {
        const okList = Array.isArray(nd) && (refOk(nd) || nd.every((r) => refOk(r) || isObj(r)));
        const okDict = isObj(nd) && Array.isArray(nd.args) && (nd.kwargs === undefined || isObj(nd.kwargs));
        if (!okList && !okDict) bad(`layer '${String(name ?? i)}' has a malformed inbound node ${JSON.stringify(nd).slice(0, 80)}`);
      }
    }
    if (isModelClass(L.class_name as string)) checkKerasJson(L, file, `${where}/${String(name ?? i)}`, depth + 1);
  });
}

/** Convert a Keras model config (the `model_config` JSON) with its weights into a verified IR graph. */
export function kerasToGraph(topology: unknown, weights: WeightSource, opts: KerasOptions): Graph {
  const model = topology as Json;
  if (!model || typeof model !== 'object' || typeof model.class_name !== 'string')
    fail('EF2001', 'the model configuration has no class_name', { file: opts.file });
  if (isModelClass(String(model.class_name))) checkKerasJson(model, opts.file);
  if (!isModelClass(String(model.class_name)))
    fail('EF2001', `the top-level object is a '${String(model.class_name)}', not a model`, { file: opts.file });
  const problems = { lambdas: [] as string[], refused: [] as Diagnostic[], unknown: [] as Diagnostic[] };
  survey(model, [], problems, opts.file);
  const diags = [...problems.refused, ...problems.unknown];
  if (problems.lambdas.length && !opts.treatLambdaAsIdentity)
    diags.unshift(
      diag('EF2009', `${problems.lambdas.length} Lambda layer(s) hold Python code that cannot run here: ${problems.lambdas.join(', ')}`, {
        file: opts.file,
        notes: ['a Lambda layer stores marshalled Python bytecode; only a Python interpreter with the original code could run it'],
        suggestion:
          'replace the Lambda layers with built-in layers and re-save; if they are fake-quantisation or other inference-time identities, re-run with --treat-lambda-as-identity',
      }),
    );
  if (diags.length) throw new EspforgeError(diags);
  const em = new KerasEmitter(opts.file, opts.format, opts.kerasVersion);
  const outs = buildModel(em, model, [], undefined, weights, opts);
  em.b.outputs = outs;
  if (problems.lambdas.length) em.b.meta.info = { lambda_as_identity: problems.lambdas.join(', ') };
  return inferGraph(em.b.build());
}
