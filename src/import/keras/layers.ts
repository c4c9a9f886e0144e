// The Keras layer table: Keras class → canonical IR ops. Shared by the Keras (.h5, .keras) and TF.js layers
// importers, whose configs are the same Keras JSON. Each row lists the config keys it reads; keys in
// IGNORABLE (training-only or informational) are accepted; any other key is an error (EF2003), so a
// configuration we do not understand is never silently ignored. Layer types are decided by class_name,
// never by a layer's name.

import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Attrs } from '../../ir/graph.js';
import type { KerasEmitter } from './model.js';

/** Config keys that do not affect inference. */
export const IGNORABLE = new Set([
  'name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'batch_size', 'input_shape', 'input_dim',
  'input_dtype', 'sparse', 'ragged', 'autocast', 'seed', 'noise_shape', 'rate', 'stddev', 'momentum',
  'kernel_initializer', 'bias_initializer', 'gamma_initializer', 'beta_initializer', 'moving_mean_initializer',
  'moving_variance_initializer', 'depthwise_initializer', 'pointwise_initializer', 'alpha_initializer',
  'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'gamma_regularizer', 'beta_regularizer',
  'depthwise_regularizer', 'pointwise_regularizer', 'alpha_regularizer', 'kernel_constraint', 'bias_constraint',
  'gamma_constraint', 'beta_constraint', 'depthwise_constraint', 'pointwise_constraint', 'alpha_constraint',
  'renorm', 'renorm_clipping', 'renorm_momentum', 'fused', 'virtual_batch_size', 'adjustment', 'synchronized',
  'input_length', 'build_config', 'optional', 'lora_rank', 'lora_alpha', 'quantization_config',
]);

export interface LayerCtx {
  /** Layer name (source name for messages and generated comments). */
  name: string;
  cls: string;
  config: Record<string, unknown>;
  /** Input tensor ids (already resolved). */
  inputs: number[];
  /** Extra call arguments (TFOpLambda kwargs). */
  kwargs: Record<string, unknown>;
  /** Weights of this layer by base name (kernel, bias, gamma, ...). */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  em: KerasEmitter;
  file: string;
}

interface LayerRow {
  /** Config keys this row reads (besides IGNORABLE). */
  keys: string[];
  build(c: LayerCtx): number[];
}

// ---------------------------------------------------------------- helpers

function pair(v: unknown, what: string, c: LayerCtx): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0] as number, v[0] as number];
  return fail('EF2003', `layer '${c.name}' (${c.cls}): bad ${what} ${JSON.stringify(v)}`, { file: c.file, node: c.name });
}

function weight(c: LayerCtx, key: string, required = true): { shape: number[]; data: Float32Array } | undefined {
  const w = c.weights.get(key);
  if (!w && required)
    fail('EF2010', `layer '${c.name}' (${c.cls}) has no '${key}' weight (found: ${[...c.weights.keys()].join(', ') || 'none'})`, {
      file: c.file,
      node: c.name,
    });
  return w;
}

function checkChannelsLast(c: LayerCtx): void {
  const df = c.config.data_format;
  if (df !== undefined && df !== null && df !== 'channels_last')
    fail('EF2003', `layer '${c.name}' uses data_format '${String(df)}'; only channels_last is supported`, { file: c.file, node: c.name });
}

/** TF 'same' padding for one spatial dim: [begin, end] with the odd pixel at the end. */
export function samePads(inSize: number, k: number, stride: number, dil: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max(0, (out - 1) * stride + (k - 1) * dil + 1 - inSize);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function paddingMode(c: LayerCtx): 'same' | 'valid' {
  const p = c.config.padding ?? 'valid';
  if (p !== 'same' && p !== 'valid')
    fail('EF2003', `layer '${c.name}' padding '${String(p)}' is not supported (same|valid)`, { file: c.file, node: c.name });
  return p;
}

/** Transpose a float array of shape `shape` by `perm`. */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const r = shape.length;
  const str = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    str[i] = acc;
    acc *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const ps = perm.map((p) => str[p]);
  const out = new Float32Array(data.length);
  const coord = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[off];
    for (let d = r - 1; d >= 0; d--) {
      coord[d]++;
      off += ps[d];
      if (coord[d] < outShape[d]) break;
      off -= ps[d] * coord[d];
      coord[d] = 0;
    }
  }
  return out;
}

const FUSABLE: Record<string, string> = { relu: 'relu', relu6: 'relu6' };

/** Emit the layer's `activation` config (if any) after tensor x. Returns the new tensor. */
function activation(c: LayerCtx, x: number, act: unknown, fusedInto?: { attrs: Attrs }): number {
  const a = (act ?? 'linear') as string | { class_name?: string; config?: { name?: string } };
  const name = typeof a === 'string' ? a : (a?.config?.name ?? a?.class_name ?? '');
  if (name === 'linear' || name === '') return x;
  if (fusedInto && FUSABLE[name]) {
    fusedInto.attrs.activation = FUSABLE[name];
    return x;
  }
  return applyActivation(c, x, name);
}

function applyActivation(c: LayerCtx, x: number, name: string): number {
  const em = c.em;
  const n = `${c.name}/${name}`;
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return em.op('Relu', n, [x]);
    case 'relu6':
      return em.op('Clip', n, [x], { min: 0, max: 6 });
    case 'sigmoid':
      return em.op('Sigmoid', n, [x]);
    case 'tanh':
      return em.op('Tanh', n, [x]);
    case 'softmax':
      return em.op('Softmax', n, [x], { axis: -1 });
    case 'hard_sigmoid':
      // Keras 2 defines hard_sigmoid as clip(0.2x + 0.5, 0, 1); Keras 3 as relu6(x + 3) / 6.
      return em.op('HardSigmoid', n, [x], em.kerasMajor >= 3 ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 });
    case 'hard_swish':
      return em.op('HardSwish', n, [x]);
    case 'swish':
    case 'silu':
      return em.op('Mul', n, [x, em.op('Sigmoid', `${n}/sigmoid`, [x])]);
    case 'elu':
      return em.op('Elu', n, [x], { alpha: 1 });
    case 'selu':
      return em.op('Selu', n, [x]);
    case 'leaky_relu':
      return em.op('LeakyRelu', n, [x], { alpha: em.kerasMajor >= 3 ? 0.2 : 0.3 });
    default:
      return fail('EF2008', `layer '${c.name}': activation '${name}' is not supported`, {
        file: c.file,
        node: c.name,
        notes: ['supported: linear, relu, relu6, sigmoid, tanh, softmax, hard_sigmoid, hard_swish, swish, elu, selu, leaky_relu'],
      });
  }
}

function one(c: LayerCtx): number {
  if (c.inputs.length !== 1)
    fail('EF2003', `layer '${c.name}' (${c.cls}) expects one input, got ${c.inputs.length}`, { file: c.file, node: c.name });
  return c.inputs[0];
}

/** Run a 1-D layer as 2-D with H = 1: [N,L,C] → [N,1,L,C] → f → [N,L',C'] */
function as2d(c: LayerCtx, f: (x4: number) => number): number {
  const x = one(c);
  const s = c.em.shape(x);
  if (s.length !== 3) fail('EF1004', `layer '${c.name}' (${c.cls}) expects a rank-3 input, got [${s}]`, { file: c.file, node: c.name });
  const x4 = c.em.op('Reshape', `${c.name}/to2d`, [x], { shape: [s[0], 1, s[1], s[2]] });
  const y4 = f(x4);
  const t = c.em.shape(y4);
  return c.em.op('Reshape', `${c.name}/to1d`, [y4], { shape: [t[0], t[2], t[3]] });
}

function convCore(c: LayerCtx, x: number, kh: number, kw: number, w: Float32Array, wShape: number[], group: number, stride: [number, number], dil: [number, number], bias?: Float32Array): number {
  const s = c.em.shape(x);
  const [ph0, ph1] = paddingMode(c) === 'same' ? samePads(s[1], kh, stride[0], dil[0]) : [0, 0];
  const [pw0, pw1] = paddingMode(c) === 'same' ? samePads(s[2], kw, stride[1], dil[1]) : [0, 0];
  const W = c.em.constant(`${c.name}/kernel`, wShape, w);
  const B = bias ? c.em.constant(`${c.name}/bias`, [bias.length], bias) : -1;
  const attrs: Attrs = { strides: stride, dilations: dil, pads: [ph0, pw0, ph1, pw1], group, activation: 'none' };
  const node = { attrs };
  const y = c.em.op('Conv', c.name, [x, W, B], attrs);
  return activation(c, y, c.config.activation, node);
}

function conv2d(c: LayerCtx, x: number): number {
  checkChannelsLast(c);
  const k = weight(c, 'kernel')!; // [kh, kw, cin/g, cout]
  const [kh, kw, cig, cout] = k.shape;
  const groups = (c.config.groups as number | undefined) ?? 1;
  const w = permute(k.data, k.shape, [3, 0, 1, 2]);
  const b = c.config.use_bias === false ? undefined : weight(c, 'bias', c.config.use_bias !== false)?.data;
  return convCore(c, x, kh, kw, w, [cout, kh, kw, cig], groups, pair(c.config.strides ?? 1, 'strides', c), pair(c.config.dilation_rate ?? 1, 'dilation_rate', c), b);
}

function depthwise(c: LayerCtx, x: number, then?: (y: number) => number): number {
  checkChannelsLast(c);
  if (c.config.groups !== undefined && c.config.groups !== 1)
    fail('EF2003', `layer '${c.name}' (${c.cls}) has groups=${String(c.config.groups)}; only 1 is meaningful`, { file: c.file, node: c.name });
  const k = weight(c, 'depthwise_kernel')!; // [kh, kw, cin, mult]
  const [kh, kw, cin, mult] = k.shape;
  // canonical [cin*mult, kh, kw, 1] with output channel oc = ic*mult + m
  const w = permute(k.data, k.shape, [2, 3, 0, 1]);
  const isSep = then !== undefined;
  const b = !isSep && c.config.use_bias !== false ? weight(c, 'bias')!.data : undefined;
  const strides = pair(c.config.strides ?? 1, 'strides', c);
  const dil = pair(c.config.dilation_rate ?? 1, 'dilation_rate', c);
  if (isSep) {
    const s = c.em.shape(x);
    const [ph0, ph1] = paddingMode(c) === 'same' ? samePads(s[1], kh, strides[0], dil[0]) : [0, 0];
    const [pw0, pw1] = paddingMode(c) === 'same' ? samePads(s[2], kw, strides[1], dil[1]) : [0, 0];
    const W = c.em.constant(`${c.name}/depthwise_kernel`, [cin * mult, kh, kw, 1], w);
    const y = c.em.op('Conv', `${c.name}/depthwise`, [x, W, -1], {
      strides, dilations: dil, pads: [ph0, pw0, ph1, pw1], group: cin, activation: 'none',
    });
    return then(y);
  }
  return convCore(c, x, kh, kw, w, [cin * mult, kh, kw, 1], cin, strides, dil, b);
}

function pool(c: LayerCtx, x: number, op: 'MaxPool' | 'AveragePool', dims: 1 | 2): number {
  checkChannelsLast(c);
  const run = (x4: number): number => {
    const ps = dims === 1 ? [1, pair(c.config.pool_size ?? 2, 'pool_size', c)[0]] : pair(c.config.pool_size ?? 2, 'pool_size', c);
    const st0 = c.config.strides ?? null;
    const st = st0 === null ? ps : dims === 1 ? [1, pair(st0, 'strides', c)[0]] : pair(st0, 'strides', c);
    const s = c.em.shape(x4);
    const same = paddingMode(c) === 'same';
    const [ph0, ph1] = same ? samePads(s[1], ps[0], st[0], 1) : [0, 0];
    const [pw0, pw1] = same ? samePads(s[2], ps[1], st[1], 1) : [0, 0];
    const attrs: Attrs = { kernel: ps, strides: st, pads: [ph0, pw0, ph1, pw1] };
    // TF excludes padding from the average.
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    return c.em.op(op, c.name, [x4], attrs);
  };
  return dims === 1 ? as2d(c, run) : run(x);
}

function globalPool(c: LayerCtx, op: 'ReduceMean' | 'ReduceMax', dims: 1 | 2): number {
  checkChannelsLast(c);
  const keep = c.config.keepdims === true ? 1 : 0;
  return c.em.op(op, c.name, [one(c)], { axes: dims === 2 ? [1, 2] : [1], keepdims: keep });
}

function merge(c: LayerCtx, op: 'Add' | 'Sub' | 'Mul' | 'Max' | 'Min'): number {
  if (c.inputs.length < 2) fail('EF2003', `layer '${c.name}' (${c.cls}) needs at least two inputs`, { file: c.file, node: c.name });
  if (op === 'Sub' && c.inputs.length !== 2) fail('EF2003', `layer '${c.name}' (Subtract) needs exactly two inputs`, { file: c.file, node: c.name });
  let acc = c.inputs[0];
  for (let i = 1; i < c.inputs.length; i++) acc = c.em.op(op, i === c.inputs.length - 1 ? c.name : `${c.name}/${i}`, [acc, c.inputs[i]]);
  return acc;
}

/** Resolve a TFOpLambda operand: a tensor reference or a number. */
function lambdaOperand(c: LayerCtx, v: unknown): number {
  if (typeof v === 'number') return c.em.constant(`${c.name}/const`, [], Float32Array.of(v));
  const ref = c.em.resolveRef(v);
  if (ref === undefined) return fail('EF2003', `layer '${c.name}' (TFOpLambda): cannot read operand ${JSON.stringify(v)}`, { file: c.file, node: c.name });
  return ref;
}

const TFOP_BINARY: Record<string, 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min'> = {
  '__operators__.add': 'Add',
  'math.add': 'Add',
  'math.subtract': 'Sub',
  '__operators__.sub': 'Sub',
  'math.multiply': 'Mul',
  '__operators__.mul': 'Mul',
  'math.truediv': 'Div',
  'math.divide': 'Div',
  'math.maximum': 'Max',
  'math.minimum': 'Min',
};

// ---------------------------------------------------------------- the table

export const LAYERS: Record<string, LayerRow> = {
  InputLayer: { keys: [], build: (c) => c.inputs },
  Dense: {
    keys: ['units', 'activation', 'use_bias'],
    build(c) {
      const k = weight(c, 'kernel')!; // [in, out]
      const [kin, kout] = k.shape;
      const W = c.em.constant(`${c.name}/kernel`, [kout, kin], permute(k.data, k.shape, [1, 0]));
      const b = c.config.use_bias === false ? undefined : weight(c, 'bias')!;
      const B = b ? c.em.constant(`${c.name}/bias`, [kout], b.data) : -1;
      const attrs: Attrs = { activation: 'none' };
      const y = c.em.op('FullyConnected', c.name, [one(c), W, B], attrs);
      return [activation(c, y, c.config.activation, { attrs })];
    },
  },
  Conv2D: {
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias'],
    build: (c) => [conv2d(c, one(c))],
  },
  Conv1D: {
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias'],
    build(c) {
      if (c.config.padding === 'causal') fail('EF2003', `layer '${c.name}': causal padding is not supported`, { file: c.file, node: c.name });
      const k = weight(c, 'kernel')!; // [k, cin, cout] → [1, k, cin, cout]
      c.weights.set('kernel', { shape: [1, ...k.shape], data: k.data });
      const s1 = pair(c.config.strides ?? 1, 'strides', c)[0];
      const d1 = pair(c.config.dilation_rate ?? 1, 'dilation_rate', c)[0];
      const cfg = { ...c.config, strides: [1, s1], dilation_rate: [1, d1] };
      return [as2d(c, (x4) => conv2d({ ...c, config: cfg }, x4))];
    },
  },
  DepthwiseConv2D: {
    // tf.keras 2.8+ writes the inherited `groups` (always 1 here); depthwise grouping is implied.
    keys: ['kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'depth_multiplier', 'activation', 'use_bias', 'groups'],
    build: (c) => [depthwise(c, one(c))],
  },
  SeparableConv2D: {
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'depth_multiplier', 'activation', 'use_bias'],
    build(c) {
      return [
        depthwise(c, one(c), (y) => {
          const p = weight(c, 'pointwise_kernel')!; // [1,1,cin*mult,cout]
          const cout = p.shape[3];
          const W = c.em.constant(`${c.name}/pointwise_kernel`, [cout, 1, 1, p.shape[2]], permute(p.data, p.shape, [3, 0, 1, 2]));
          const b = c.config.use_bias === false ? undefined : weight(c, 'bias')!.data;
          const B = b ? c.em.constant(`${c.name}/bias`, [cout], b) : -1;
          const attrs: Attrs = { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1, activation: 'none' };
          const z = c.em.op('Conv', c.name, [y, W, B], attrs);
          return activation(c, z, c.config.activation, { attrs });
        }),
      ];
    },
  },
  Conv2DTranspose: {
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'output_padding', 'activation', 'use_bias', 'groups'],
    build(c) {
      checkChannelsLast(c);
      const x = one(c);
      const k = weight(c, 'kernel')!; // [kh, kw, cout, cin]
      const [kh, kw, cout, cin] = k.shape;
      const st = pair(c.config.strides ?? 1, 'strides', c);
      const dil = pair(c.config.dilation_rate ?? 1, 'dilation_rate', c);
      const op = c.config.output_padding == null ? [0, 0] : pair(c.config.output_padding, 'output_padding', c);
      const s = c.em.shape(x);
      let pads = [0, 0, 0, 0];
      if (paddingMode(c) === 'same') {
        // output = in * stride; the full transposed conv is cropped symmetrically (extra pixel at the end).
        const full = (n: number, kk: number, ss: number, dd: number) => (n - 1) * ss + (kk - 1) * dd + 1;
        const th = Math.max(0, full(s[1], kh, st[0], dil[0]) + op[0] - s[1] * st[0]);
        const tw = Math.max(0, full(s[2], kw, st[1], dil[1]) + op[1] - s[2] * st[1]);
        pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
      }
      const W = c.em.constant(`${c.name}/kernel`, [cin, kh, kw, cout], permute(k.data, k.shape, [3, 0, 1, 2]));
      const b = c.config.use_bias === false ? undefined : weight(c, 'bias')!.data;
      const B = b ? c.em.constant(`${c.name}/bias`, [cout], b) : -1;
      const attrs: Attrs = { strides: st, dilations: dil, pads, output_padding: op, group: 1, activation: 'none' };
      const y = c.em.op('ConvTranspose', c.name, [x, W, B], attrs);
      return [activation(c, y, c.config.activation, { attrs })];
    },
  },
  MaxPooling2D: { keys: ['pool_size', 'strides', 'padding', 'data_format'], build: (c) => [pool(c, one(c), 'MaxPool', 2)] },
  AveragePooling2D: { keys: ['pool_size', 'strides', 'padding', 'data_format'], build: (c) => [pool(c, one(c), 'AveragePool', 2)] },
  MaxPooling1D: { keys: ['pool_size', 'strides', 'padding', 'data_format'], build: (c) => [pool(c, one(c), 'MaxPool', 1)] },
  AveragePooling1D: { keys: ['pool_size', 'strides', 'padding', 'data_format'], build: (c) => [pool(c, one(c), 'AveragePool', 1)] },
  GlobalAveragePooling2D: { keys: ['data_format', 'keepdims'], build: (c) => [globalPool(c, 'ReduceMean', 2)] },
  GlobalAveragePooling1D: { keys: ['data_format', 'keepdims'], build: (c) => [globalPool(c, 'ReduceMean', 1)] },
  GlobalMaxPooling2D: { keys: ['data_format', 'keepdims'], build: (c) => [globalPool(c, 'ReduceMax', 2)] },
  GlobalMaxPooling1D: { keys: ['data_format', 'keepdims'], build: (c) => [globalPool(c, 'ReduceMax', 1)] },
  BatchNormalization: {
    keys: ['axis', 'epsilon', 'center', 'scale'],
    build(c) {
      const x = one(c);
      const rank = c.em.shape(x).length;
      const ax = Array.isArray(c.config.axis) ? (c.config.axis as number[]) : [(c.config.axis as number | undefined) ?? -1];
      if (ax.length !== 1 || (ax[0] !== -1 && ax[0] !== rank - 1))
        fail('EF2003', `layer '${c.name}': BatchNormalization over axis ${JSON.stringify(c.config.axis)} is not supported (channels must be last)`, { file: c.file, node: c.name });
      const mean = weight(c, 'moving_mean')!;
      const ch = mean.shape[0];
      const ones = new Float32Array(ch).fill(1);
      const gamma = c.config.scale === false ? ones : weight(c, 'gamma')!.data;
      const beta = c.config.center === false ? new Float32Array(ch) : weight(c, 'beta')!.data;
      const ids = [
        c.em.constant(`${c.name}/gamma`, [ch], gamma),
        c.em.constant(`${c.name}/beta`, [ch], beta),
        c.em.constant(`${c.name}/moving_mean`, [ch], mean.data),
        c.em.constant(`${c.name}/moving_variance`, [ch], weight(c, 'moving_variance')!.data),
      ];
      return [c.em.op('BatchNormalization', c.name, [x, ...ids], { epsilon: (c.config.epsilon as number | undefined) ?? 0.001 })];
    },
  },
  Activation: { keys: ['activation'], build: (c) => [activation({ ...c, name: c.name }, one(c), c.config.activation)] },
  ReLU: {
    keys: ['max_value', 'negative_slope', 'threshold'],
    build(c) {
      const x = one(c);
      const mv = c.config.max_value as number | null | undefined;
      const slope = (c.config.negative_slope as number | undefined) ?? 0;
      const thr = (c.config.threshold as number | undefined) ?? 0;
      if (thr !== 0) fail('EF2003', `layer '${c.name}': ReLU threshold ${thr} is not supported`, { file: c.file, node: c.name });
      if (slope !== 0) {
        const y = c.em.op('LeakyRelu', mv == null ? c.name : `${c.name}/leaky`, [x], { alpha: slope });
        return [mv == null ? y : c.em.op('Clip', c.name, [y], { max: mv })];
      }
      return [mv == null ? c.em.op('Relu', c.name, [x]) : c.em.op('Clip', c.name, [x], { min: 0, max: mv })];
    },
  },
  LeakyReLU: {
    keys: ['alpha', 'negative_slope'],
    build: (c) => [
      c.em.op('LeakyRelu', c.name, [one(c)], {
        alpha: (c.config.alpha as number | undefined) ?? (c.config.negative_slope as number | undefined) ?? (c.em.kerasMajor >= 3 ? 0.2 : 0.3),
      }),
    ],
  },
  PReLU: {
    keys: ['shared_axes'],
    build(c) {
      const a = weight(c, 'alpha')!;
      return [c.em.op('PRelu', c.name, [one(c), c.em.constant(`${c.name}/alpha`, [1, ...a.shape], a.data)])];
    },
  },
  ELU: { keys: ['alpha'], build: (c) => [c.em.op('Elu', c.name, [one(c)], { alpha: (c.config.alpha as number | undefined) ?? 1 })] },
  Softmax: {
    keys: ['axis'],
    build(c) {
      const ax = c.config.axis ?? -1;
      const a = Array.isArray(ax) ? ax : [ax];
      if (a.length !== 1) fail('EF2003', `layer '${c.name}': Softmax over several axes is not supported`, { file: c.file, node: c.name });
      return [c.em.op('Softmax', c.name, [one(c)], { axis: a[0] as number })];
    },
  },
  Flatten: {
    keys: ['data_format'],
    build(c) {
      checkChannelsLast(c);
      const x = one(c);
      const s = c.em.shape(x);
      return [c.em.op('Reshape', c.name, [x], { shape: [s[0], shapeSize(s.slice(1))] })];
    },
  },
  Reshape: {
    keys: ['target_shape'],
    build(c) {
      const x = one(c);
      const s = c.em.shape(x);
      const t = (c.config.target_shape as number[]).slice();
      const known = t.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const total = shapeSize(s.slice(1));
      const shape = [s[0], ...t.map((d) => (d === -1 ? total / known : d))];
      if (shapeSize(shape.slice(1)) !== total)
        fail('EF1004', `layer '${c.name}': cannot reshape [${s}] to target ${JSON.stringify(c.config.target_shape)}`, { file: c.file, node: c.name });
      return [c.em.op('Reshape', c.name, [x], { shape })];
    },
  },
  Dropout: { keys: [], build: (c) => [one(c)] },
  SpatialDropout1D: { keys: [], build: (c) => [one(c)] },
  SpatialDropout2D: { keys: ['data_format'], build: (c) => [one(c)] },
  GaussianNoise: { keys: [], build: (c) => [one(c)] },
  GaussianDropout: { keys: [], build: (c) => [one(c)] },
  AlphaDropout: { keys: [], build: (c) => [one(c)] },
  ActivityRegularization: { keys: ['l1', 'l2'], build: (c) => [one(c)] },
  ZeroPadding2D: {
    keys: ['padding', 'data_format'],
    build(c) {
      checkChannelsLast(c);
      const p = c.config.padding;
      let t: number, b: number, l: number, r: number;
      if (typeof p === 'number') [t, b, l, r] = [p, p, p, p];
      else if (Array.isArray(p) && p.every((v) => typeof v === 'number')) [t, b, l, r] = [p[0] as number, p[0] as number, p[1] as number, p[1] as number];
      else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v))) [[t, b], [l, r]] = p as number[][];
      else return fail('EF2003', `layer '${c.name}': bad padding ${JSON.stringify(p)}`, { file: c.file, node: c.name });
      return [c.em.op('Pad', c.name, [one(c)], { pads: [0, t, l, 0, 0, b, r, 0], mode: 'constant', value: 0 })];
    },
  },
  ZeroPadding1D: {
    keys: ['padding'],
    build(c) {
      const [a, b] = pair(c.config.padding ?? 1, 'padding', c);
      return [c.em.op('Pad', c.name, [one(c)], { pads: [0, a, 0, 0, b, 0], mode: 'constant', value: 0 })];
    },
  },
  Cropping2D: {
    keys: ['cropping', 'data_format'],
    build(c) {
      checkChannelsLast(c);
      const x = one(c);
      const s = c.em.shape(x);
      const p = c.config.cropping;
      let t: number, b: number, l: number, r: number;
      if (typeof p === 'number') [t, b, l, r] = [p, p, p, p];
      else if (Array.isArray(p) && p.every((v) => typeof v === 'number')) [t, b, l, r] = [p[0] as number, p[0] as number, p[1] as number, p[1] as number];
      else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v))) [[t, b], [l, r]] = p as number[][];
      else return fail('EF2003', `layer '${c.name}': bad cropping ${JSON.stringify(p)}`, { file: c.file, node: c.name });
      return [c.em.op('Slice', c.name, [x], { starts: [t, l], ends: [s[1] - b, s[2] - r], axes: [1, 2], steps: [1, 1] })];
    },
  },
  UpSampling2D: {
    keys: ['size', 'data_format', 'interpolation'],
    build(c) {
      checkChannelsLast(c);
      const x = one(c);
      const s = c.em.shape(x);
      const [fh, fw] = pair(c.config.size ?? 2, 'size', c);
      const interp = (c.config.interpolation as string | undefined) ?? 'nearest';
      if (interp !== 'nearest' && interp !== 'bilinear')
        fail('EF2003', `layer '${c.name}': interpolation '${interp}' is not supported`, { file: c.file, node: c.name });
      const attrs: Attrs =
        interp === 'nearest'
          ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', sizes: [s[0], s[1] * fh, s[2] * fw, s[3]] }
          : { mode: 'linear', coordinate_transformation_mode: 'half_pixel', sizes: [s[0], s[1] * fh, s[2] * fw, s[3]] };
      return [c.em.op('Resize', c.name, [x], attrs)];
    },
  },
  Add: { keys: [], build: (c) => [merge(c, 'Add')] },
  Subtract: { keys: [], build: (c) => [merge(c, 'Sub')] },
  Multiply: { keys: [], build: (c) => [merge(c, 'Mul')] },
  Maximum: { keys: [], build: (c) => [merge(c, 'Max')] },
  Minimum: { keys: [], build: (c) => [merge(c, 'Min')] },
  Average: {
    keys: [],
    build(c) {
      const sum = merge({ ...c, name: `${c.name}/sum` }, 'Add');
      return [c.em.op('Mul', c.name, [sum, c.em.constant(`${c.name}/inv_n`, [], Float32Array.of(1 / c.inputs.length))])];
    },
  },
  Concatenate: {
    keys: ['axis'],
    build: (c) => [c.em.op('Concat', c.name, c.inputs, { axis: (c.config.axis as number | undefined) ?? -1 })],
  },
  Rescaling: {
    keys: ['scale', 'offset'],
    build(c) {
      const scale = c.config.scale as number | number[];
      const offset = (c.config.offset as number | number[] | undefined) ?? 0;
      const arr = (v: number | number[]) => (Array.isArray(v) ? Float32Array.from(v) : Float32Array.of(v));
      const sh = (v: number | number[]) => (Array.isArray(v) ? [v.length] : []);
      const m = c.em.op('Mul', `${c.name}/scale`, [one(c), c.em.constant(`${c.name}/scale`, sh(scale), arr(scale))]);
      return [c.em.op('Add', c.name, [m, c.em.constant(`${c.name}/offset`, sh(offset), arr(offset))])];
    },
  },
  // espforge's own layers (src/train/from-ir/), written into saved TF.js models of fine-tuned imported bases
  EspforgeConstantOp: {
    // tfjs writes its config keys in snake_case (constShape → const_shape)
    keys: ['op', 'values', 'const_shape', 'constShape'],
    build(c) {
      const ops: Record<string, ['Add' | 'Sub' | 'Mul' | 'Div', boolean]> = {
        add: ['Add', false], sub: ['Sub', false], rsub: ['Sub', true], mul: ['Mul', false], div: ['Div', false], rdiv: ['Div', true],
      };
      const kind = ops[String(c.config.op)];
      if (!kind) return fail('EF2008', `layer '${c.name}': constant op '${String(c.config.op)}' is not supported`, { file: c.file, node: c.name });
      const shape = (c.config.const_shape ?? c.config.constShape) as number[];
      const k = c.em.constant(`${c.name}/const`, shape, Float32Array.from(c.config.values as number[]));
      const x = one(c);
      return [c.em.op(kind[0], c.name, kind[1] ? [k, x] : [x, k])];
    },
  },
  EspforgeActivation: {
    keys: ['fn', 'alpha', 'beta', 'min', 'max'],
    build(c) {
      const x = one(c);
      const fn = String(c.config.fn);
      if (fn === 'clip') {
        const a: Attrs = {};
        if (typeof c.config.min === 'number') a.min = c.config.min;
        if (typeof c.config.max === 'number') a.max = c.config.max;
        return [c.em.op('Clip', c.name, [x], a)];
      }
      if (fn === 'hardswish') return [c.em.op('HardSwish', c.name, [x])];
      if (fn === 'hardsigmoid') return [c.em.op('HardSigmoid', c.name, [x], { alpha: c.config.alpha as number, beta: c.config.beta as number })];
      return fail('EF2008', `layer '${c.name}': activation '${fn}' is not supported`, { file: c.file, node: c.name });
    },
  },
  TFOpLambda: {
    keys: ['function'],
    build(c) {
      const fn = c.config.function as string;
      const op = TFOP_BINARY[fn];
      if (fn === 'nn.relu') return [c.em.op('Relu', c.name, [one(c)])];
      if (fn === 'nn.relu6') return [c.em.op('Clip', c.name, [one(c)], { min: 0, max: 6 })];
      if (fn === 'math.sigmoid' || fn === 'nn.sigmoid') return [c.em.op('Sigmoid', c.name, [one(c)])];
      if (!op)
        return fail('EF2008', `layer '${c.name}': TFOpLambda function '${fn}' is not supported`, {
          file: c.file,
          node: c.name,
          notes: [`supported functions: ${[...Object.keys(TFOP_BINARY), 'nn.relu', 'nn.relu6', 'math.sigmoid'].join(', ')}`],
        });
      const x = c.inputs[0];
      // tf.keras records the second operand in the call's kwargs (a tensor reference or a number);
      // Keras 3 passes it positionally.
      const y = c.inputs.length >= 2 ? c.inputs[1] : lambdaOperand(c, c.kwargs.y);
      return [c.em.op(op, c.name, [x, y])];
    },
  },
};

/** Layers that can never run here, with the reason. */
export const REFUSED: Record<string, string> = {
  Lambda: 'holds marshalled Python bytecode',
  Embedding: 'embedding lookups are not supported on the target kernels',
  GRU: 'recurrent layers are not supported',
  LSTM: 'recurrent layers are not supported',
  SimpleRNN: 'recurrent layers are not supported',
  Bidirectional: 'recurrent layers are not supported',
  TimeDistributed: 'wrapper layers are not supported',
  Attention: 'attention layers are not supported',
  MultiHeadAttention: 'attention layers are not supported',
  LayerNormalization: 'layer normalization is not supported',
};
