// Model specs: a small JSON layer list (what `espforge train SPEC` reads) and the TypeScript API that turns it
// into a tfjs-layers model, including a MobileNetV2 builder usable as a "base" under a small classifier head.
//
// Layers are named deterministically (`L<i>_<type>` for spec layers, Keras' names for MobileNetV2) and every
// initializer is seeded, so the same spec and seed give the same initial weights.

import { isAbsolute, dirname, resolve } from 'node:path';
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { applyFileBase, cutGraph, resizeBaseInput, type FileBase } from './from-ir/index.js';
import { applyMobileNetV2Weights, readMobileNetV2Weights, type MobileNetV2Weights } from './keras-weights.js';
import * as tfl from '@tensorflow/tfjs-layers';

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'softmax' | 'tanh';
export type Padding = 'same' | 'valid';

export type LayerSpec =
  | { type: 'dense'; units: number; activation?: Activation; useBias?: boolean }
  | { type: 'conv2d'; filters: number; kernel: number | [number, number]; strides?: number; padding?: Padding; activation?: Activation; useBias?: boolean }
  | { type: 'depthwise'; kernel: number | [number, number]; strides?: number; padding?: Padding; activation?: Activation; useBias?: boolean }
  | { type: 'maxpool'; pool?: number; strides?: number; padding?: Padding }
  | { type: 'avgpool'; pool?: number; strides?: number; padding?: Padding }
  | { type: 'flatten' }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm'; epsilon?: number; momentum?: number }
  | { type: 'gap' }
  | { type: 'activation'; activation: Activation };

export interface MobileNetV2Spec {
  type: 'mobilenetv2';
  /** Width multiplier α (0.35, 0.5, 0.75, 1.0, ...). */
  alpha?: number;
  /** Keras-applications weights file (mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<α>_<size>[_no_top].h5); a
   * relative path is relative to the spec file. Default: seeded random weights. */
  weights?: string;
  /** Batch-norm momentum (Keras uses 0.999; short fine-tunes do better with less). Default 0.99. */
  bnMomentum?: number;
}

export interface TrainDefaults {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Learning-rate decay over the run (see TrainOptions.lrSchedule). Default 'constant'. */
  lrSchedule?: 'constant' | 'cosine';
  /** Random whole-pixel translation of training images by up to this many pixels (default 0 = none). */
  augmentShift?: number;
  validationSplit?: number;
  /** [initial, final] sparsity for magnitude pruning. */
  prune?: [number, number];
  /** Fraction of conv output channels to remove (structured pruning). */
  structured?: number;
  seed?: number;
  /** Optimizer: adam (default), sgd, momentum (SGD with momentum 0.9) or rmsprop. */
  optimizer?: OptimizerName;
  /** Early stopping: epochs without validation-loss improvement. */
  patience?: number;
}

export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];

/**
 * One phase of a staged run (`"stages": [...]`), e.g. the transfer-learning recipe: head only, then fine-tune the top
 * of the base with pruning. Unset fields fall back to the spec's `train` defaults (prune and fineTune do not carry
 * over: a stage without them does not prune, and freezes per the spec's own fineTune).
 */
export interface StageSpec {
  name?: string;
  epochs: number;
  learningRate?: number;
  batchSize?: number;
  lrSchedule?: 'constant' | 'cosine';
  /** Fraction of the base's layers (from the top) that train in this stage; 0 = head only. */
  fineTune?: number;
  /** Magnitude pruning over this stage: [initial, final] sparsity, polynomial decay. */
  prune?: [number, number];
  optimizer?: OptimizerName;
  patience?: number;
}

/**
 * A base taken from an imported model (any format loadModel reads), cut at a tensor and converted to layers
 * with its weights (src/train/from-ir/). JSON gives `file`; the TypeScript API may give an IR `graph` instead.
 */
export interface FileBaseSpec {
  /** Model file; a relative path is relative to the spec file. */
  file?: string;
  /** An already imported float graph (TypeScript API), instead of `file`. */
  graph?: Graph;
  /** Tensor or node name the base ends at, or 'auto' (default): the input of the final classifier. */
  cut?: string;
  /** Fraction of the base's layers with weights, counted from the top, that train (fine-tune); default 1. */
  trainable?: number;
}

export interface ModelSpec {
  name?: string;
  /** Input shape without batch, e.g. [28, 28, 1]. With a file base, [] (or omitted in JSON) = the base's input. */
  input: number[];
  /** Optional feature extractor the `layers` (the head) are stacked on. */
  base?: MobileNetV2Spec | FileBaseSpec;
  /** With a base: the fraction of base layers (counted from the top) that train; the rest are frozen. Default 1. */
  fineTune?: number;
  layers: LayerSpec[];
  /** Defaults for `espforge train`; command-line flags override them. */
  train?: TrainDefaults;
  /** Training phases run one after the other on the same model (see StageSpec). */
  stages?: StageSpec[];
}

const ACTS = ['linear', 'relu', 'relu6', 'sigmoid', 'softmax', 'tanh'];
/** The keys each part of a spec may hold: anything else is an error (a typo must not be silently ignored). */
const SPEC_KEYS = ['name', 'description', 'input', 'base', 'fineTune', 'layers', 'head', 'train', 'stages'];
const TRAIN_KEYS = ['epochs', 'batchSize', 'learningRate', 'lrSchedule', 'augmentShift', 'validationSplit', 'prune', 'structured', 'seed', 'optimizer', 'patience'];
const STAGE_KEYS = ['name', 'epochs', 'learningRate', 'batchSize', 'lrSchedule', 'fineTune', 'prune', 'optimizer', 'patience'];
const LAYER_KEYS: Record<string, string[]> = {
  dense: ['units', 'activation', 'useBias'],
  conv2d: ['filters', 'kernel', 'strides', 'padding', 'activation', 'useBias'],
  depthwise: ['kernel', 'strides', 'padding', 'activation', 'useBias'],
  maxpool: ['pool', 'strides', 'padding'],
  avgpool: ['pool', 'strides', 'padding'],
  flatten: [],
  dropout: ['rate'],
  batchnorm: ['epsilon', 'momentum'],
  gap: [],
  activation: ['activation'],
};
const MOBILENET_KEYS = ['type', 'alpha', 'bnMomentum', 'weights'];
const TYPES = ['dense', 'conv2d', 'depthwise', 'maxpool', 'avgpool', 'flatten', 'dropout', 'batchnorm', 'gap', 'activation'];

/** Validate a parsed JSON spec; EF5003 names the offending layer. */
export function parseSpec(json: unknown, file = '<spec>'): ModelSpec {
  const bad = (msg: string, node?: string): never => fail('EF5003', msg, { file, node });
  if (!json || typeof json !== 'object') bad('a model spec is a JSON object with "input" and "layers"');
  const s = json as Record<string, unknown>;
  const unknown = (o: Record<string, unknown>, allowed: string[], what: string, node?: string) => {
    const extra = Object.keys(o).filter((k) => !allowed.includes(k));
    if (extra.length) bad(`unknown ${what} key(s) ${extra.map((k) => `"${k}"`).join(', ')} (allowed: ${allowed.join(', ')})`, node);
  };
  unknown(s, SPEC_KEYS, 'spec');
  const isPosInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const fileBase = !!s.base && typeof s.base === 'object' && ('file' in s.base || 'graph' in s.base);
  if (fileBase && s.input === undefined) s.input = [];
  else if (!Array.isArray(s.input) || s.input.length < 1 || !s.input.every(isPosInt)) bad('"input" must be a list of positive integers, e.g. [28, 28, 1]');
  if (s.layers === undefined && s.head !== undefined) s.layers = s.head; // "head" is another name for the layers on a base
  if (!Array.isArray(s.layers)) bad('"layers" must be a list');
  (s.layers as unknown[]).forEach((l, i) => {
    const where = `layers[${i}]`;
    if (!l || typeof l !== 'object') bad('layer must be an object', where);
    const L = l as Record<string, unknown>;
    if (typeof L.type !== 'string' || !TYPES.includes(L.type)) bad(`unknown layer type '${String(L.type)}' (one of ${TYPES.join(', ')})`, where);
    if (L.activation !== undefined && !ACTS.includes(L.activation as string)) bad(`unknown activation '${String(L.activation)}'`, where);
    if (L.type === 'dense' && !isPosInt(L.units)) bad('dense needs "units" > 0', where);
    if (L.type === 'conv2d' && !isPosInt(L.filters)) bad('conv2d needs "filters" > 0', where);
    if ((L.type === 'conv2d' || L.type === 'depthwise') && !(isPosInt(L.kernel) || (Array.isArray(L.kernel) && L.kernel.length === 2 && L.kernel.every(isPosInt))))
      bad(`${L.type} needs "kernel" (an integer or [kh, kw])`, where);
    if (L.strides !== undefined && !isPosInt(L.strides)) bad('"strides" must be a positive integer', where);
    if (L.padding !== undefined && L.padding !== 'same' && L.padding !== 'valid') bad('"padding" is "same" or "valid"', where);
    if (L.type === 'dropout' && !(typeof L.rate === 'number' && L.rate >= 0 && L.rate < 1)) bad('dropout needs 0 <= "rate" < 1', where);
    if (L.type === 'activation' && !ACTS.includes(L.activation as string)) bad('activation layer needs "activation"', where);
    unknown(L, ['type', ...LAYER_KEYS[L.type as string]], `${L.type as string} layer`, where);
  });
  const isFrac = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;
  const isPrune = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every(isFrac) && (v[0] as number) <= (v[1] as number) && (v[1] as number) < 1;
  const checkTraining = (o: Record<string, unknown>, where: string) => {
    if (o.epochs !== undefined && !isPosInt(o.epochs)) bad('"epochs" must be a positive integer', where);
    if (o.batchSize !== undefined && !isPosInt(o.batchSize)) bad('"batchSize" must be a positive integer', where);
    if (o.learningRate !== undefined && !(typeof o.learningRate === 'number' && o.learningRate > 0 && o.learningRate <= 10)) bad('"learningRate" must be in (0, 10]', where);
    if (o.lrSchedule !== undefined && o.lrSchedule !== 'constant' && o.lrSchedule !== 'cosine') bad('"lrSchedule" is "constant" or "cosine"', where);
    if (o.prune !== undefined && !isPrune(o.prune)) bad('"prune" is [initial, final] sparsity with 0 <= initial <= final < 1, e.g. [0.5, 0.8]', where);
    if (o.optimizer !== undefined && !(OPTIMIZERS as readonly unknown[]).includes(o.optimizer)) bad(`"optimizer" is one of ${OPTIMIZERS.join(', ')}`, where);
    if (o.patience !== undefined && !isPosInt(o.patience)) bad('"patience" must be a positive integer (epochs)', where);
  };
  if (s.train !== undefined) {
    if (!s.train || typeof s.train !== 'object' || Array.isArray(s.train)) bad('"train" is an object of training defaults');
    unknown(s.train as Record<string, unknown>, TRAIN_KEYS, '"train"', 'train');
    checkTraining(s.train as Record<string, unknown>, 'train');
  }
  if (s.stages !== undefined) {
    if (!Array.isArray(s.stages) || s.stages.length === 0) bad('"stages" is a non-empty list of {epochs, learningRate, fineTune, prune, optimizer}');
    (s.stages as unknown[]).forEach((st, i) => {
      const where = `stages[${i}]`;
      if (!st || typeof st !== 'object' || Array.isArray(st)) bad('a stage is an object', where);
      const S = st as Record<string, unknown>;
      unknown(S, STAGE_KEYS, 'stage', where);
      if (!isPosInt(S.epochs)) bad('a stage needs "epochs" (a positive integer)', where);
      if (S.fineTune !== undefined && !isFrac(S.fineTune)) bad('"fineTune" is a fraction in [0, 1]', where);
      if (S.fineTune !== undefined && !s.base) bad('"fineTune" needs a "base"', where);
      if (S.name !== undefined && typeof S.name !== 'string') bad('"name" is a string', where);
      checkTraining(S, where);
    });
  }
  if (fileBase) {
    const b = s.base as Record<string, unknown>;
    if (b.file !== undefined && !(typeof b.file === 'string' && b.file.length > 0)) bad('base "file" must be a path to a model file');
    if (b.cut !== undefined && !(typeof b.cut === 'string' && b.cut.length > 0)) bad('base "cut" is a tensor or node name, or "auto"');
    if (b.trainable !== undefined && !(typeof b.trainable === 'number' && b.trainable >= 0 && b.trainable <= 1)) bad('base "trainable" is a fraction in [0, 1]');
    if (b.trainable !== undefined && s.fineTune !== undefined) bad('give either "fineTune" or base "trainable", not both');
    const extra = Object.keys(b).filter((k) => !['file', 'graph', 'cut', 'trainable'].includes(k));
    if (extra.length) bad(`unknown base field(s) ${extra.join(', ')} (a file base has "file", "cut", "trainable")`);
  } else if (s.base !== undefined) {
    const b = s.base as Record<string, unknown>;
    if (!b || b.type !== 'mobilenetv2')
      bad('"base" is {"type": "mobilenetv2", "alpha": ...} or {"file": "model.h5", "cut": "auto", "trainable": 0.7}');
    unknown(b, MOBILENET_KEYS, 'mobilenetv2 base', 'base');
    if (b.weights !== undefined && !(typeof b.weights === 'string' && b.weights.length > 0)) bad('base "weights" is the path of a Keras-applications .h5 weights file', 'base');
    if (b.alpha !== undefined && !(typeof b.alpha === 'number' && b.alpha > 0 && b.alpha <= 2)) bad('base "alpha" must be in (0, 2]');
    if ((s.input as number[]).length !== 3) bad('a MobileNetV2 base needs an image input [H, W, C]');
  }
  if (s.fineTune !== undefined && !(typeof s.fineTune === 'number' && s.fineTune >= 0 && s.fineTune <= 1)) bad('"fineTune" is a fraction in [0, 1]');
  return s as unknown as ModelSpec;
}

export interface BuildOptions {
  seed?: number;
}

/** Seeded initializers, a fresh seed per weight so layers differ. */
class Seeds {
  private k = 0;
  constructor(private base: number) {}
  next(): number {
    return (this.base * 7919 + ++this.k * 104729) % 2147483647;
  }
  glorot() {
    return tfl.initializers.glorotUniform({ seed: this.next() });
  }
}

function pair(k: number | [number, number]): [number, number] {
  return typeof k === 'number' ? [k, k] : k;
}

/** Apply one spec layer to a symbolic tensor. */
function specLayer(l: LayerSpec, name: string, seeds: Seeds, inputShape?: number[]): tfl.layers.Layer {
  const first = inputShape ? { inputShape } : {};
  switch (l.type) {
    case 'dense':
      return tfl.layers.dense({ ...first, name, units: l.units, activation: l.activation ?? 'linear', useBias: l.useBias ?? true, kernelInitializer: seeds.glorot() });
    case 'conv2d':
      return tfl.layers.conv2d({
        ...first,
        name,
        filters: l.filters,
        kernelSize: pair(l.kernel),
        strides: l.strides ?? 1,
        padding: l.padding ?? 'valid',
        activation: l.activation ?? 'linear',
        useBias: l.useBias ?? true,
        kernelInitializer: seeds.glorot(),
      });
    case 'depthwise':
      return tfl.layers.depthwiseConv2d({
        ...first,
        name,
        kernelSize: pair(l.kernel),
        strides: l.strides ?? 1,
        padding: l.padding ?? 'same',
        activation: l.activation ?? 'linear',
        useBias: l.useBias ?? true,
        depthwiseInitializer: seeds.glorot(),
      });
    case 'maxpool':
      return tfl.layers.maxPooling2d({ ...first, name, poolSize: l.pool ?? 2, strides: l.strides ?? l.pool ?? 2, padding: l.padding ?? 'valid' });
    case 'avgpool':
      return tfl.layers.averagePooling2d({ ...first, name, poolSize: l.pool ?? 2, strides: l.strides ?? l.pool ?? 2, padding: l.padding ?? 'valid' });
    case 'flatten':
      return tfl.layers.flatten({ ...first, name });
    case 'dropout':
      return tfl.layers.dropout({ ...first, name, rate: l.rate, seed: seeds.next() });
    case 'batchnorm':
      return tfl.layers.batchNormalization({ ...first, name, axis: -1, epsilon: l.epsilon ?? 1e-3, momentum: l.momentum ?? 0.99 });
    case 'gap':
      return tfl.layers.globalAveragePooling2d({ ...first, name });
    case 'activation':
      return l.activation === 'relu6' ? tfl.layers.reLU({ ...first, name, maxValue: 6 }) : tfl.layers.activation({ ...first, name, activation: l.activation });
  }
}

/** Build a tfjs-layers model from a spec (Sequential without a base, functional with one). */
export function buildModel(spec: ModelSpec, opts: BuildOptions = {}): tfl.LayersModel {
  const seeds = new Seeds(opts.seed ?? 0);
  const pfx = '';
  if (!spec.base) {
    const m = tfl.sequential({ name: spec.name ?? 'model' });
    spec.layers.forEach((l, i) => m.add(specLayer(l, `${pfx}L${i}_${l.type}`, seeds, i === 0 ? spec.input : undefined)));
    if (spec.layers.length === 0) fail('EF5003', 'the spec has no layers');
    return m;
  }
  const fb = isFileBase(spec.base) ? loadedBase(spec.base) : undefined;
  const input = tfl.input({ shape: spec.input, name: `${pfx}input` });
  const { output, layers: baseLayers } = fb ? applyFileBase(fb, input, pfx) : mobileNetV2(input, { ...(spec.base as MobileNetV2Spec), seed: opts.seed, prefix: pfx });
  const mb = spec.base as MobileNetV2Spec;
  if (!fb && mb.weights !== undefined) {
    const w = loadedWeights.get(mb);
    if (!w) fail('EF5003', `the base weights '${mb.weights}' are not loaded`, { suggestion: 'await loadSpecBase(spec, specFile) before buildModel(spec)' });
    applyMobileNetV2Weights(baseLayers, w!, pfx);
  }
  let x = output;
  spec.layers.forEach((l, i) => {
    x = specLayer(l, `${pfx}L${i}_${l.type}`, seeds).apply(x) as tfl.SymbolicTensor;
  });
  const model = tfl.model({ inputs: input, outputs: x, name: spec.name ?? 'model' });
  if (fb) freezeBase(baseLayers.filter((l) => l.getWeights().length > 0), spec.fineTune ?? (spec.base as FileBaseSpec).trainable ?? 1);
  else freezeBase(baseLayers, spec.fineTune ?? 1);
  return model;
}

function isFileBase(b: ModelSpec['base']): b is FileBaseSpec {
  return !!b && ('file' in b || 'graph' in b);
}

/** Keras-applications weights of built-in MobileNetV2 bases, loaded by loadSpecBase. */
const loadedWeights = new WeakMap<MobileNetV2Spec, MobileNetV2Weights>();

/** File bases loaded by loadSpecBase, per base object (the spec itself stays plain JSON). */
const loadedBases = new WeakMap<FileBaseSpec, FileBase>();

function loadedBase(b: FileBaseSpec): FileBase {
  const fb = loadedBases.get(b);
  if (!fb) return fail('EF5003', `the base model ${b.file ? `'${b.file}' ` : ''}is not loaded`, { suggestion: 'await loadSpecBase(spec, specFile) before buildModel(spec)' });
  return fb;
}

/**
 * Load and cut a spec's file base (import with loadModel, cut at `base.cut`), so buildModel can use it; fills
 * `spec.input` from the base when it is [] and checks it otherwise. Specs without a file base pass through.
 */
export async function loadSpecBase(spec: ModelSpec, specFile?: string): Promise<ModelSpec> {
  const b = spec.base;
  if (b && !isFileBase(b) && b.weights !== undefined && !loadedWeights.has(b)) {
    const file = !isAbsolute(b.weights) && specFile ? resolve(dirname(specFile), b.weights) : b.weights;
    loadedWeights.set(b, await readMobileNetV2Weights(file, b.alpha ?? 1, spec.input, specFile));
    return spec;
  }
  if (!isFileBase(b) || loadedBases.has(b)) return spec;
  let g = b.graph;
  let file = b.file;
  if (!g) {
    if (!file) return fail('EF5003', 'a file base needs "file"', { file: specFile });
    if (!isAbsolute(file) && specFile) file = resolve(dirname(specFile), file);
    const { loadModel } = await import('../import/index.js');
    g = await loadModel(file);
  }
  const cut = cutGraph(g, b.cut ?? 'auto', file);
  const inT = cut.graph.tensors[cut.graph.inputs[0]];
  let input = inT.shape.slice(1);
  if (spec.input.length === 0) spec.input = input;
  else if (spec.input.join() !== input.join()) {
    // a fully convolutional base (up to the cut) takes other image sizes: shapes are inferred again
    cut.graph = resizeBaseInput(cut.graph, spec.input, file ?? specFile);
    input = spec.input.slice();
  }
  loadedBases.set(b, { graph: cut.graph, tensor: cut.tensor, pool: cut.pool, input });
  return spec;
}

/** The tensor a loaded file base ends at (after 'auto' resolution) and the pool 'auto' appended, for reports. */
export function describeBase(spec: ModelSpec): { tensor: string; pool?: 'mean' | 'max'; nodes: number } | undefined {
  const fb = isFileBase(spec.base) ? loadedBases.get(spec.base) : undefined;
  return fb && { tensor: fb.tensor, pool: fb.pool, nodes: fb.graph.nodes.length };
}

/**
 * Set how much of a built model's base trains (a stage's fineTune): the layers that are not head layers
 * (`L<i>_...`) nor the input, as buildModel counts them; returns how many base layers are frozen.
 */
export function setBaseFineTune(model: tfl.LayersModel, spec: ModelSpec, fraction: number): number {
  if (!spec.base) return 0;
  let base = model.layers.filter((l) => !/^L\d+_/.test(l.name) && l.getClassName() !== 'InputLayer');
  if (isFileBase(spec.base)) base = base.filter((l) => l.getWeights().length > 0);
  return freezeBase(base, fraction);
}

/** Freeze the bottom (1 - fraction) of the base layers; the top `fraction` keep training. */
export function freezeBase(layers: tfl.layers.Layer[], fraction: number): number {
  const nFrozen = Math.round((1 - fraction) * layers.length);
  layers.forEach((l, i) => (l.trainable = i >= nFrozen));
  return nFrozen;
}

/** Keras' channel rounding for MobileNet widths. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

export interface MobileNetV2Options {
  alpha?: number;
  bnMomentum?: number;
  seed?: number;
  prefix?: string;
  /** End with global average pooling (default true). */
  pooling?: boolean;
}

/**
 * MobileNetV2 feature extractor (Sandler et al. 2018): a stride-2 3x3 conv, 17 inverted-residual blocks
 * (1x1 expansion ×6 except the first, depthwise 3x3, ReLU6, linear 1x1 projection, residual add when the stride
 * is 1 and the width is unchanged), a 1x1 conv to 1280 channels and global average pooling. Layer names follow
 * Keras' applications.MobileNetV2.
 */
export function mobileNetV2(input: tfl.SymbolicTensor, o: MobileNetV2Options = {}): { output: tfl.SymbolicTensor; layers: tfl.layers.Layer[] } {
  const alpha = o.alpha ?? 1;
  const mom = o.bnMomentum ?? 0.99;
  const seeds = new Seeds((o.seed ?? 0) + 1000003);
  const p = o.prefix ?? '';
  const layers: tfl.layers.Layer[] = [];
  const ap = (l: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => {
    layers.push(l);
    return l.apply(x) as tfl.SymbolicTensor;
  };
  const conv = (x: tfl.SymbolicTensor, filters: number, k: number, s: number, name: string) =>
    ap(tfl.layers.conv2d({ name: p + name, filters, kernelSize: k, strides: s, padding: 'same', useBias: false, kernelInitializer: seeds.glorot() }), x);
  const bn = (x: tfl.SymbolicTensor, name: string) => ap(tfl.layers.batchNormalization({ name: p + name, axis: -1, epsilon: 1e-3, momentum: mom }), x);
  const relu6 = (x: tfl.SymbolicTensor, name: string) => ap(tfl.layers.reLU({ name: p + name, maxValue: 6 }), x);

  let x = conv(input, makeDivisible(32 * alpha), 3, 2, 'Conv1');
  x = bn(x, 'bn_Conv1');
  x = relu6(x, 'Conv1_relu');
  let inC = makeDivisible(32 * alpha);
  const cfg: [number, number, number, number][] = [
    // expansion t, channels c, repeats n, first stride s
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let block = 0;
  for (const [t, c, n, s] of cfg) {
    const outC = makeDivisible(Math.trunc(c * alpha)); // Keras: _make_divisible(int(filters * alpha), 8)
    for (let r = 0; r < n; r++) {
      const stride = r === 0 ? s : 1;
      const pre = block === 0 ? 'expanded_conv_' : `block_${block}_`;
      let h = x;
      if (t !== 1) {
        h = conv(h, inC * t, 1, 1, `${pre}expand`);
        h = bn(h, `${pre}expand_BN`);
        h = relu6(h, `${pre}expand_relu`);
      }
      h = ap(
        tfl.layers.depthwiseConv2d({ name: p + `${pre}depthwise`, kernelSize: 3, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: seeds.glorot() }),
        h,
      );
      h = bn(h, `${pre}depthwise_BN`);
      h = relu6(h, `${pre}depthwise_relu`);
      h = conv(h, outC, 1, 1, `${pre}project`);
      h = bn(h, `${pre}project_BN`);
      if (stride === 1 && inC === outC) h = ap(tfl.layers.add({ name: p + `${pre}add` }), [x, h]);
      x = h;
      inC = outC;
      block++;
    }
  }
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  x = conv(x, last, 1, 1, 'Conv_1');
  x = bn(x, 'Conv_1_bn');
  x = relu6(x, 'out_relu');
  if (o.pooling ?? true) x = ap(tfl.layers.globalAveragePooling2d({ name: p + 'global_average_pooling2d' }), x);
  return { output: x, layers };
}

/** Total trainable + non-trainable parameter count. */
export function countParams(model: tfl.LayersModel): number {
  return model.countParams();
}

/** Multiply-accumulates of one inference, from layer shapes (conv, depthwise, dense). */
export function countMacs(model: tfl.LayersModel): number {
  let macs = 0;
  for (const l of model.layers) {
    const cls = l.getClassName();
    const out = (Array.isArray(l.outputShape[0]) ? l.outputShape[0] : l.outputShape) as (number | null)[];
    const w = l.getWeights();
    if (!w.length) continue;
    const k = w[0].shape as number[];
    const outSpatial = out.slice(1, -1).reduce((a: number, b) => a * (b ?? 1), 1);
    if (cls === 'Conv2D') macs += outSpatial * k[0] * k[1] * k[2] * k[3];
    else if (cls === 'DepthwiseConv2D') macs += outSpatial * k[0] * k[1] * k[2] * k[3];
    else if (cls === 'Dense') macs += outSpatial * k[0] * k[1];
  }
  return macs;
}
