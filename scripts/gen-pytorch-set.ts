// Writes test/fixtures/pytorch/: small ONNX models with the node patterns torch 1.13's exporter writes (opset 13
// and 17, NCHW/NCL, dynamic batch axis `batch_size`), seeded random weights, and for each a float reference
// computed independently of espforge: the same network run with TensorFlow.js ops (cpu backend, channels-last,
// weights transposed here), stored as <name>.x.npy (input, ONNX layout, batch 1) and <name>.y.npy (output).
//
//   npx tsx scripts/gen-pytorch-set.ts        (run by hand; the test reads the committed files)
//
// Every model is described once; each layer call appends the ONNX nodes torch would write AND applies the
// TF.js op to the reference tensor, so the two cannot drift apart silently (the test compares them through the
// CLI). Weights follow torch's default init bounds (uniform ±1/√fan_in); batch-norm statistics are random.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { model, type Attr } from '../test/helpers/onnx-model.js';
import { writeNpy } from '../src/io/npy.js';
import type { Value } from '../src/ops/types.js';
import { REPO_ROOT } from '../test/helpers/shared.js';

const OUT = join(REPO_ROOT, 'test', 'fixtures', 'pytorch');

/** A value in both worlds: its ONNX tensor name and the reference tensor (channels-last). */
interface V {
  n: string;
  t: tf.Tensor;
}

type Node = { op: string; ins: string[]; outs: string[]; attrs?: Attr[]; name?: string };

class Net {
  nodes: Node[] = [];
  inits: { name: string; v: Value }[] = [];
  private k = 0;
  private s: number;

  constructor(
    readonly name: string,
    readonly opset: number,
    seed: number,
  ) {
    this.s = seed >>> 0;
  }

  rand(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
  uniform(n: number, lo: number, hi: number): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * this.rand());
  }

  id(base: string): string {
    return `${base}_${this.k++}`;
  }
  /** A float initializer (named like torch's parameters) and its data. */
  param(base: string, shape: number[], data: Float32Array): string {
    const name = `${base}.${this.k++}`;
    this.inits.push({ name, v: { dtype: 'float32', shape, data } });
    return name;
  }
  i64(base: string, values: number[], shape = [values.length]): string {
    const name = this.id(base);
    this.inits.push({ name, v: { dtype: 'int64', shape, data: Float64Array.from(values) } });
    return name;
  }
  scalar(base: string, v: number): string {
    const name = this.id(base);
    this.inits.push({ name, v: { dtype: 'float32', shape: [], data: Float32Array.of(v) } });
    return name;
  }
  node(op: string, ins: string[], attrs: Attr[] = [], t: tf.Tensor, nOut = 1): V {
    const outs = Array.from({ length: nOut }, () => this.id(`/${op}_out`));
    this.nodes.push({ op, ins, outs, attrs, name: `/${op}_${this.nodes.length}` });
    return { n: outs[0], t };
  }

  // ---------------------------------------------------------------- layers

  /** nn.Conv2d / nn.Conv1d (rank from the input), pads symmetric like torch's `padding=`. */
  conv(x: V, cout: number, k: number | number[], o: { stride?: number; pad?: number | number[]; groups?: number; bias?: boolean } = {}): V {
    const r = x.t.rank - 2;
    const ks = typeof k === 'number' ? new Array(r).fill(k) : k;
    const st = new Array(r).fill(o.stride ?? 1);
    const pd = typeof o.pad === 'number' || o.pad === undefined ? new Array(r).fill(o.pad ?? 0) : o.pad;
    const g = o.groups ?? 1;
    const cin = x.t.shape[x.t.rank - 1];
    const fanIn = (cin / g) * ks.reduce((a, b) => a * b, 1);
    const b = 1 / Math.sqrt(fanIn);
    const wShape = [cout, cin / g, ...ks];
    const w = this.uniform(wShape.reduce((a, c) => a * c, 1), -b, b);
    const bias = this.uniform(cout, -b, b);
    const wn = this.param('conv.weight', wShape, w);
    const ins = [x.n, wn];
    if (o.bias !== false) ins.push(this.param('conv.bias', [cout], bias));
    const t = tf.tidy(() => {
      const W = tf.tensor(w, wShape);
      let y: tf.Tensor;
      if (r === 2) {
        const xp = tf.pad(x.t as tf.Tensor4D, [[0, 0], [pd[0], pd[0]], [pd[1], pd[1]], [0, 0]]);
        if (g === 1) y = tf.conv2d(xp, tf.transpose(W, [2, 3, 1, 0]) as tf.Tensor4D, [st[0], st[1]], 'valid');
        else if (g === cin && cout === cin) y = tf.depthwiseConv2d(xp, tf.transpose(W, [2, 3, 0, 1]) as tf.Tensor4D, [st[0], st[1]], 'valid');
        else throw new Error('grouped conv: only depthwise');
      } else {
        const xp = tf.pad(x.t as tf.Tensor3D, [[0, 0], [pd[0], pd[0]], [0, 0]]);
        y = tf.conv1d(xp, tf.transpose(W, [2, 1, 0]) as tf.Tensor3D, st[0], 'valid');
      }
      return o.bias !== false ? tf.add(y, tf.tensor1d(bias)) : y;
    });
    return this.node('Conv', ins, [
      { name: 'dilations', ints: new Array(r).fill(1) },
      { name: 'group', i: g },
      { name: 'kernel_shape', ints: ks },
      { name: 'pads', ints: [...pd, ...pd] },
      { name: 'strides', ints: st },
    ], t);
  }

  /** nn.ConvTranspose2d(cin, cout, k, stride=k): W [cin, cout, k, k]. */
  convTranspose(x: V, cout: number, k: number): V {
    const [n, h, wd, cin] = x.t.shape;
    const b = 1 / Math.sqrt(cout * k * k);
    const wShape = [cin, cout, k, k];
    const w = this.uniform(cin * cout * k * k, -b, b);
    const bias = this.uniform(cout, -b, b);
    const ins = [x.n, this.param('deconv.weight', wShape, w), this.param('deconv.bias', [cout], bias)];
    const outShape: [number, number, number, number] = [n!, h! * k, wd! * k, cout];
    const filter = tf.transpose(tf.tensor4d(w, [cin!, cout, k, k]), [2, 3, 1, 0]) as tf.Tensor4D;
    const t = tf.tidy(() => tf.add(tf.conv2dTranspose(x.t as tf.Tensor4D, filter, outShape, [k, k], 'valid'), tf.tensor1d(bias)));
    return this.node('ConvTranspose', ins, [
      { name: 'dilations', ints: [1, 1] },
      { name: 'group', i: 1 },
      { name: 'kernel_shape', ints: [k, k] },
      { name: 'pads', ints: [0, 0, 0, 0] },
      { name: 'strides', ints: [k, k] },
    ], t);
  }

  bn(x: V): V {
    const c = x.t.shape[x.t.rank - 1];
    const [gamma, beta, mean, vr] = [this.uniform(c, 0.5, 1.5), this.uniform(c, -0.2, 0.2), this.uniform(c, -0.2, 0.2), this.uniform(c, 0.5, 1.5)];
    const ins = [x.n, this.param('bn.weight', [c], gamma), this.param('bn.bias', [c], beta), this.param('bn.running_mean', [c], mean), this.param('bn.running_var', [c], vr)];
    const t = tf.tidy(() => tf.batchNorm(x.t, tf.tensor1d(mean), tf.tensor1d(vr), tf.tensor1d(beta), tf.tensor1d(gamma), 1e-5));
    return this.node('BatchNormalization', ins, [{ name: 'epsilon', f: 1e-5 }, { name: 'momentum', f: 0.9 }], t);
  }

  relu(x: V): V {
    return this.node('Relu', [x.n], [], tf.relu(x.t));
  }
  /** nn.ReLU6 at opset 13: Clip with min/max inputs. */
  relu6(x: V): V {
    return this.node('Clip', [x.n, this.scalar('min', 0), this.scalar('max', 6)], [], tf.clipByValue(x.t, 0, 6));
  }
  tanh(x: V): V {
    return this.node('Tanh', [x.n], [], tf.tanh(x.t));
  }
  sigmoid(x: V): V {
    return this.node('Sigmoid', [x.n], [], tf.sigmoid(x.t));
  }
  hardSigmoid(x: V): V {
    return this.node('HardSigmoid', [x.n], [{ name: 'alpha', f: 1 / 6 }, { name: 'beta', f: 0.5 }], tf.tidy(() => tf.div(tf.relu6(tf.add(x.t, 3)), 6)));
  }
  mul(a: V, b: V): V {
    return this.node('Mul', [a.n, b.n], [], tf.mul(a.t, b.t));
  }
  add(a: V, b: V): V {
    return this.node('Add', [a.n, b.n], [], tf.add(a.t, b.t));
  }
  /** nn.Hardswish as torch 1.13 exports it at opset 13: x · HardSigmoid(x). */
  hardSwish(x: V): V {
    return this.mul(x, this.hardSigmoid(x));
  }
  /** nn.SiLU: x · Sigmoid(x). */
  silu(x: V): V {
    return this.mul(x, this.sigmoid(x));
  }
  /** nn.GELU() (exact): (x · 0.5) · (1 + erf(x / √2)), in torch's node order. */
  geluExact(x: V): V {
    const d = this.node('Div', [x.n, this.scalar('sqrt2', 1.4142135381698608)], [], tf.div(x.t, 1.4142135381698608));
    const e = this.node('Erf', [d.n], [], tf.erf(d.t));
    const a = this.node('Add', [e.n, this.scalar('one', 1)], [], tf.add(e.t, 1));
    const m = this.node('Mul', [x.n, a.n], [], tf.mul(x.t, a.t));
    return this.node('Mul', [m.n, this.scalar('half', 0.5)], [], tf.mul(m.t, 0.5));
  }
  /** nn.GELU(approximate='tanh'): 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). */
  geluTanh(x: V): V {
    const c = Math.fround(Math.sqrt(2 / Math.PI));
    const p = this.node('Pow', [x.n, this.scalar('three', 3)], [], tf.pow(x.t, 3));
    const m1 = this.node('Mul', [p.n, this.scalar('k', 0.044715)], [], tf.mul(p.t, 0.044715));
    const a1 = this.node('Add', [x.n, m1.n], [], tf.add(x.t, m1.t));
    const m2 = this.node('Mul', [a1.n, this.scalar('c', c)], [], tf.mul(a1.t, c));
    const th = this.node('Tanh', [m2.n], [], tf.tanh(m2.t));
    const a2 = this.node('Add', [th.n, this.scalar('one', 1)], [], tf.add(th.t, 1));
    const m3 = this.node('Mul', [x.n, this.scalar('half', 0.5)], [], tf.mul(x.t, 0.5));
    return this.node('Mul', [m3.n, a2.n], [], tf.mul(m3.t, a2.t));
  }
  leakyRelu(x: V, alpha: number): V {
    return this.node('LeakyRelu', [x.n], [{ name: 'alpha', f: alpha }], tf.leakyRelu(x.t, alpha));
  }
  /** nn.PReLU(C): slope [C,1,1] for a feature map, [C] after a Linear. */
  prelu(x: V): V {
    const c = x.t.shape[x.t.rank - 1];
    const a = this.uniform(c, 0.05, 0.4);
    const shape = x.t.rank === 4 ? [c, 1, 1] : x.t.rank === 3 ? [c, 1] : [c];
    return this.node('PRelu', [x.n, this.param('prelu.weight', shape, a)], [], tf.prelu(x.t, tf.tensor1d(a)));
  }
  softmax(x: V): V {
    return this.node('Softmax', [x.n], [{ name: 'axis', i: 1 }], tf.softmax(x.t));
  }

  maxPool(x: V, k: number): V {
    const r = x.t.rank - 2;
    const t = tf.tidy(() => (r === 2 ? tf.maxPool(x.t as tf.Tensor4D, k, k, 'valid') : tf.squeeze(tf.maxPool(tf.expandDims(x.t, 1) as tf.Tensor4D, [1, k], [1, k], 'valid'), [1])));
    const ones = new Array(r).fill(1);
    const attrs: Attr[] = [{ name: 'kernel_shape', ints: new Array(r).fill(k) }, { name: 'pads', ints: [...ones, ...ones].map(() => 0) }, { name: 'strides', ints: new Array(r).fill(k) }];
    if (this.opset >= 10) attrs.unshift({ name: 'ceil_mode', i: 0 });
    return this.node('MaxPool', [x.n], attrs, t);
  }
  avgPool(x: V, k: number | [number, number]): V {
    const kk: [number, number] = typeof k === 'number' ? [k, k] : k;
    const t = tf.avgPool(x.t as tf.Tensor4D, kk, kk, 'valid');
    return this.node('AveragePool', [x.n], [{ name: 'ceil_mode', i: 0 }, { name: 'count_include_pad', i: 1 }, { name: 'kernel_shape', ints: kk }, { name: 'pads', ints: [0, 0, 0, 0] }, { name: 'strides', ints: kk }], t);
  }
  /** nn.AdaptiveAvgPool2d(1) / AdaptiveAvgPool1d(1). */
  gap(x: V): V {
    const axes = x.t.rank === 4 ? [1, 2] : [1];
    return this.node('GlobalAveragePool', [x.n], [], tf.mean(x.t, axes, true));
  }
  /** torch.flatten(x, 1): channels-first element order. */
  flatten(x: V): V {
    const t = tf.tidy(() => {
      const cf = x.t.rank === 4 ? tf.transpose(x.t, [0, 3, 1, 2]) : x.t.rank === 3 ? tf.transpose(x.t, [0, 2, 1]) : x.t;
      return tf.reshape(cf, [x.t.shape[0], -1]);
    });
    return this.node('Flatten', [x.n], [{ name: 'axis', i: 1 }], t);
  }
  /** x.view(-1, N): Reshape by a constant with -1 for the batch. */
  view(x: V): V {
    const t = tf.tidy(() => tf.reshape(tf.transpose(x.t, [0, 3, 1, 2]), [x.t.shape[0], -1]));
    return this.node('Reshape', [x.n, this.i64('shape', [-1, t.shape[1]!])], [], t);
  }
  /** nn.Linear(k, n): Gemm with transB. */
  linear(x: V, n: number): V {
    const k = x.t.shape[1]!;
    const b = 1 / Math.sqrt(k);
    const w = this.uniform(n * k, -b, b);
    const bias = this.uniform(n, -b, b);
    const ins = [x.n, this.param('fc.weight', [n, k], w), this.param('fc.bias', [n], bias)];
    const t = tf.tidy(() => tf.add(tf.matMul(x.t as tf.Tensor2D, tf.tensor2d(w, [n, k]), false, true), tf.tensor1d(bias)));
    return this.node('Gemm', ins, [{ name: 'alpha', f: 1 }, { name: 'beta', f: 1 }, { name: 'transB', i: 1 }], t);
  }
  concat(a: V, b: V): V {
    return this.node('Concat', [a.n, b.n], [{ name: 'axis', i: 1 }], tf.concat([a.t, b.t], a.t.rank - 1));
  }
  /** nn.Upsample(scale_factor=2): Resize with an empty roi and constant scales (torch 1.13, opset 13). */
  upsample(x: V, mode: 'nearest' | 'bilinear'): V {
    const [, h, w] = x.t.shape;
    const roi = this.id('roi');
    this.inits.push({ name: roi, v: { dtype: 'float32', shape: [0], data: new Float32Array(0) } });
    const scales = this.id('scales');
    this.inits.push({ name: scales, v: { dtype: 'float32', shape: [4], data: Float32Array.of(1, 1, 2, 2) } });
    const t =
      mode === 'nearest'
        ? tf.image.resizeNearestNeighbor(x.t as tf.Tensor4D, [2 * h, 2 * w], false, false)
        : tf.image.resizeBilinear(x.t as tf.Tensor4D, [2 * h, 2 * w], false, true);
    const attrs: Attr[] =
      mode === 'nearest'
        ? [{ name: 'coordinate_transformation_mode', s: 'asymmetric' }, { name: 'cubic_coeff_a', f: -0.75 }, { name: 'mode', s: 'nearest' }, { name: 'nearest_mode', s: 'floor' }]
        : [{ name: 'coordinate_transformation_mode', s: 'pytorch_half_pixel' }, { name: 'cubic_coeff_a', f: -0.75 }, { name: 'mode', s: 'linear' }, { name: 'nearest_mode', s: 'floor' }];
    return this.node('Resize', [x.n, roi, scales], attrs, t);
  }
  /** nn.LayerNorm(D) on [N, D]: LayerNormalization (opset 17) or torch's opset-13 decomposition. */
  layerNorm(x: V): V {
    const d = x.t.shape[1]!;
    const gamma = this.uniform(d, 0.5, 1.5);
    const beta = this.uniform(d, -0.2, 0.2);
    const eps = 1e-5;
    const t = tf.tidy(() => {
      const { mean, variance } = tf.moments(x.t, [1], true);
      return tf.add(tf.mul(tf.div(tf.sub(x.t, mean), tf.sqrt(tf.add(variance, eps))), tf.tensor1d(gamma)), tf.tensor1d(beta));
    });
    const g = this.param('ln.weight', [d], gamma);
    const b = this.param('ln.bias', [d], beta);
    if (this.opset >= 17) return this.node('LayerNormalization', [x.n, g, b], [{ name: 'axis', i: -1 }, { name: 'epsilon', f: eps }], t);
    const m = this.node('ReduceMean', [x.n], [{ name: 'axes', ints: [-1] }], t);
    const s = this.node('Sub', [x.n, m.n], [], t);
    const p = this.node('Pow', [s.n, this.scalar('two', 2)], [], t);
    const v = this.node('ReduceMean', [p.n], [{ name: 'axes', ints: [-1] }], t);
    const ve = this.node('Add', [v.n, this.scalar('eps', eps)], [], t);
    const sq = this.node('Sqrt', [ve.n], [], t);
    const dv = this.node('Div', [s.n, sq.n], [], t);
    const mg = this.node('Mul', [dv.n, g], [], t);
    return this.node('Add', [mg.n, b], [], t);
  }
  /**
   * nn.GRU / nn.LSTM(F, H, batch_first=True), one layer, h0 = zeros(1, x.size(0), H) in forward — exported as
   * Shape/Gather/Unsqueeze/Concat building the state shape, Expand of a zero constant, Transpose to time-major,
   * the recurrent node, Squeeze of the last hidden state.
   */
  recurrent(x: V, kind: 'GRU' | 'LSTM', hidden: number): V {
    const [n, T, F] = x.t.shape;
    const gates = kind === 'GRU' ? 3 : 4;
    const b = 1 / Math.sqrt(hidden);
    const W = this.uniform(gates * hidden * F, -b, b);
    const R = this.uniform(gates * hidden * hidden, -b, b);
    const B = this.uniform(2 * gates * hidden, -b, b);
    const shp = this.node('Shape', [x.n], [], x.t);
    const bat = this.node('Gather', [shp.n, this.i64('idx', [0], [])], [{ name: 'axis', i: 0 }], x.t);
    const unsq = this.node('Unsqueeze', [bat.n, this.i64('axes', [0])], [], x.t);
    const cat = this.node('Concat', [this.i64('one', [1]), unsq.n, this.i64('hidden', [hidden])], [{ name: 'axis', i: 0 }], x.t);
    const zeros = this.id('zeros');
    this.inits.push({ name: zeros, v: { dtype: 'float32', shape: [1, 1, hidden], data: new Float32Array(hidden) } });
    const h0 = this.node('Expand', [zeros, cat.n], [], x.t);
    const states = [h0.n];
    if (kind === 'LSTM') states.push(this.node('Expand', [zeros, cat.n], [], x.t).n);
    const xt = this.node('Transpose', [x.n], [{ name: 'perm', ints: [1, 0, 2] }], x.t);
    const ins = [xt.n, this.param(`${kind}.W`, [1, gates * hidden, F], W), this.param(`${kind}.R`, [1, gates * hidden, hidden], R), this.param(`${kind}.B`, [1, 2 * gates * hidden], B), '', ...states];
    // reference: ONNX gate order GRU z,r,h (linear_before_reset = 1, as torch), LSTM i,o,f,c
    const t = tf.tidy(() => {
      const w = tf.tensor2d(W, [gates * hidden, F]);
      const r = tf.tensor2d(R, [gates * hidden, hidden]);
      const wb = tf.tensor1d(B.subarray(0, gates * hidden));
      const rb = tf.tensor1d(B.subarray(gates * hidden));
      let h = tf.zeros([n, hidden]);
      let c = tf.zeros([n, hidden]);
      const part = (m: tf.Tensor, k: number) => tf.slice(m, [0, k * hidden], [n, hidden]);
      for (let s = 0; s < T; s++) {
        const xs = tf.reshape(tf.slice(x.t, [0, s, 0], [n, 1, F]), [n, F]);
        const gx = tf.add(tf.matMul(xs, w, false, true), wb);
        const gh = tf.add(tf.matMul(h, r, false, true), rb);
        if (kind === 'GRU') {
          const z = tf.sigmoid(tf.add(part(gx, 0), part(gh, 0)));
          const rr = tf.sigmoid(tf.add(part(gx, 1), part(gh, 1)));
          const hh = tf.tanh(tf.add(part(gx, 2), tf.mul(rr, part(gh, 2))));
          h = tf.add(tf.mul(tf.sub(1, z), hh), tf.mul(z, h));
        } else {
          const g = tf.add(gx, gh);
          const i = tf.sigmoid(part(g, 0));
          const o = tf.sigmoid(part(g, 1));
          const f = tf.sigmoid(part(g, 2));
          const cc = tf.tanh(part(g, 3));
          c = tf.add(tf.mul(f, c), tf.mul(i, cc));
          h = tf.mul(o, tf.tanh(c));
        }
      }
      return h;
    });
    const attrs: Attr[] = [{ name: 'hidden_size', i: hidden }];
    if (kind === 'GRU') attrs.push({ name: 'linear_before_reset', i: 1 });
    const outs = [this.id(`/${kind}_Y`), this.id(`/${kind}_Y_h`), ...(kind === 'LSTM' ? [this.id(`/${kind}_Y_c`)] : [])];
    this.nodes.push({ op: kind, ins, outs, attrs, name: `/${kind.toLowerCase()}/${kind}` });
    return this.node('Squeeze', [outs[1], this.i64('axes', [0])], [], t);
  }
}

interface Spec {
  name: string;
  opset: number;
  /** Input shape in ONNX layout, batch 1. */
  input: number[];
  doc: string;
  body: (m: Net, x: V) => V;
}

// Basic blocks and inverted residuals shared by the networks below.
function basicBlock(m: Net, x: V, cout: number, stride: number): V {
  const y = m.bn(m.conv(m.relu(m.bn(m.conv(x, cout, 3, { stride, pad: 1, bias: false }))), cout, 3, { pad: 1, bias: false }));
  const sc = stride === 1 && x.t.shape[3] === cout ? x : m.bn(m.conv(x, cout, 1, { stride, bias: false }));
  return m.relu(m.add(y, sc));
}
function invertedResidual(m: Net, x: V, cout: number, stride: number, expand: number): V {
  const cin = x.t.shape[3]!;
  const h = m.relu6(m.bn(m.conv(x, cin * expand, 1, { bias: false })));
  const d = m.relu6(m.bn(m.conv(h, cin * expand, 3, { stride, pad: 1, groups: cin * expand, bias: false })));
  const p = m.bn(m.conv(d, cout, 1, { bias: false }));
  return stride === 1 && cin === cout ? m.add(x, p) : p;
}

export const SPECS: Spec[] = [
  {
    name: 'lenet5_tanh',
    opset: 13,
    input: [1, 1, 16, 16],
    doc: 'LeNet-5: Conv 5x5 (pad 2) · Tanh · AvgPool ×2, x.view(-1, N) (Reshape), Linear · Tanh ×2, Linear (no Softmax)',
    body: (m, x) => {
      let y = m.avgPool(m.tanh(m.conv(x, 6, 5, { pad: 2 })), 2);
      y = m.avgPool(m.tanh(m.conv(y, 16, 5)), 2);
      return m.linear(m.tanh(m.linear(m.tanh(m.linear(m.view(y), 32)), 24)), 10);
    },
  },
  {
    name: 'vgg_bn',
    opset: 13,
    input: [1, 3, 16, 16],
    doc: 'VGG with BatchNorm: (Conv 3x3 · BN · ReLU) ×2 · MaxPool, Conv · BN · ReLU · MaxPool, Flatten, Linear · ReLU, Linear',
    body: (m, x) => {
      let y = m.relu(m.bn(m.conv(x, 8, 3, { pad: 1 })));
      y = m.maxPool(m.relu(m.bn(m.conv(y, 8, 3, { pad: 1 }))), 2);
      y = m.maxPool(m.relu(m.bn(m.conv(y, 16, 3, { pad: 1 }))), 2);
      return m.linear(m.relu(m.linear(m.flatten(y), 32)), 10);
    },
  },
  {
    name: 'resnet8',
    opset: 13,
    input: [1, 3, 16, 16],
    doc: 'ResNet-8: stem Conv · BN · ReLU, three basic blocks (stride-2 3x3 convs with pad 1, 1x1 stride-2 shortcuts, Add · ReLU), GlobalAveragePool, Flatten, Linear',
    body: (m, x) => {
      let y = m.relu(m.bn(m.conv(x, 8, 3, { pad: 1, bias: false })));
      y = basicBlock(m, y, 8, 1);
      y = basicBlock(m, y, 16, 2);
      y = basicBlock(m, y, 32, 2);
      return m.linear(m.flatten(m.gap(y)), 10);
    },
  },
  {
    name: 'mobilenetv2_035',
    opset: 13,
    input: [1, 3, 32, 32],
    doc: 'MobileNetV2-0.35-style: Conv s2 · BN · ReLU6 (Clip), inverted residuals (1x1 expand, depthwise 3x3, 1x1 project, residual Add), 1x1 Conv, GlobalAveragePool, Flatten, Linear',
    body: (m, x) => {
      let y = m.relu6(m.bn(m.conv(x, 8, 3, { stride: 2, pad: 1, bias: false })));
      y = invertedResidual(m, y, 8, 1, 1);
      y = invertedResidual(m, y, 8, 2, 4);
      y = invertedResidual(m, y, 8, 1, 4);
      y = invertedResidual(m, y, 16, 2, 4);
      y = m.relu6(m.bn(m.conv(y, 32, 1, { bias: false })));
      return m.linear(m.flatten(m.gap(y)), 10);
    },
  },
  {
    name: 'dscnn_kws',
    opset: 13,
    input: [1, 1, 25, 10],
    doc: 'DS-CNN keyword spotter on MFCC frames: Conv (10x4, stride 2, pad (5,1)) · BN · ReLU, (depthwise 3x3 · BN · ReLU, pointwise · BN · ReLU) ×2, AvgPool over the map, Flatten, Linear',
    body: (m, x) => {
      let y = m.relu(m.bn(m.conv(x, 16, [10, 4], { stride: 2, pad: [5, 1] })));
      for (let i = 0; i < 2; i++) {
        y = m.relu(m.bn(m.conv(y, 16, 3, { pad: 1, groups: 16 })));
        y = m.relu(m.bn(m.conv(y, 16, 1)));
      }
      return m.linear(m.flatten(m.avgPool(y, [y.t.shape[1]!, y.t.shape[2]!])), 12);
    },
  },
  {
    name: 'mobilenetv3_se',
    opset: 13,
    input: [1, 3, 16, 16],
    doc: 'MobileNetV3 block: Conv s2 · BN · Hardswish (HardSigmoid·Mul, opset 13), depthwise · BN · ReLU, squeeze-excite (GlobalAveragePool, 1x1 Conv · ReLU, 1x1 Conv · HardSigmoid, Mul), 1x1 Conv · BN, GlobalAveragePool, Flatten, Linear',
    body: (m, x) => {
      let y = m.hardSwish(m.bn(m.conv(x, 16, 3, { stride: 2, pad: 1, bias: false })));
      y = m.relu(m.bn(m.conv(y, 16, 3, { pad: 1, groups: 16, bias: false })));
      const s = m.hardSigmoid(m.conv(m.relu(m.conv(m.gap(y), 8, 1)), 16, 1));
      y = m.bn(m.conv(m.mul(y, s), 16, 1, { bias: false }));
      return m.linear(m.flatten(m.gap(y)), 10);
    },
  },
  {
    name: 'act_cnn',
    opset: 13,
    input: [1, 3, 12, 12],
    doc: 'activations on feature maps: Conv · PReLU, Conv · LeakyReLU(0.1), Conv · SiLU (Sigmoid·Mul), Conv · GELU (exact, Erf), GlobalAveragePool, Flatten, Linear',
    body: (m, x) => {
      let y = m.prelu(m.conv(x, 8, 3, { pad: 1 }));
      y = m.leakyRelu(m.conv(y, 8, 3, { pad: 1 }), 0.1);
      y = m.silu(m.conv(y, 8, 3, { stride: 2, pad: 1 }));
      y = m.geluExact(m.conv(y, 8, 3, { pad: 1 }));
      return m.linear(m.flatten(m.gap(y)), 5);
    },
  },
  {
    name: 'mlp',
    opset: 13,
    input: [1, 20],
    doc: 'MLP: Linear · ReLU ×2, Linear, Softmax',
    body: (m, x) => m.softmax(m.linear(m.relu(m.linear(m.relu(m.linear(x, 32)), 16)), 4)),
  },
  {
    name: 'act_mlp',
    opset: 13,
    input: [1, 16],
    doc: 'MLP with SiLU, GELU (tanh form: Pow/Tanh), LeakyReLU, PReLU between Linear layers',
    body: (m, x) => m.linear(m.prelu(m.linear(m.leakyRelu(m.linear(m.geluTanh(m.linear(m.silu(m.linear(x, 24)), 24)), 24), 0.01), 16)), 3),
  },
  {
    name: 'unet_nearest',
    opset: 13,
    input: [1, 3, 16, 16],
    doc: 'U-Net: encoder Conv · ReLU, MaxPool, Conv · ReLU, Upsample (nearest, Resize asymmetric/floor) + Concat with the skip, Conv · ReLU, 1x1 Conv',
    body: (m, x) => {
      const e1 = m.relu(m.conv(x, 8, 3, { pad: 1 }));
      const e2 = m.relu(m.conv(m.maxPool(e1, 2), 16, 3, { pad: 1 }));
      const d = m.relu(m.conv(m.concat(m.upsample(e2, 'nearest'), e1), 8, 3, { pad: 1 }));
      return m.conv(d, 2, 1);
    },
  },
  {
    name: 'unet_bilinear',
    opset: 13,
    input: [1, 3, 16, 16],
    doc: 'U-Net with bilinear Upsample (Resize linear, pytorch_half_pixel) + Concat',
    body: (m, x) => {
      const e1 = m.relu(m.conv(x, 8, 3, { pad: 1 }));
      const e2 = m.relu(m.conv(m.maxPool(e1, 2), 16, 3, { pad: 1 }));
      const d = m.relu(m.conv(m.concat(m.upsample(e2, 'bilinear'), e1), 8, 3, { pad: 1 }));
      return m.conv(d, 2, 1);
    },
  },
  {
    name: 'conv_transpose_ae',
    opset: 13,
    input: [1, 1, 16, 16],
    doc: 'autoencoder: Conv s2 · ReLU ×2, ConvTranspose (k2 s2) · ReLU, ConvTranspose · Sigmoid',
    body: (m, x) => {
      const e = m.relu(m.conv(m.relu(m.conv(x, 8, 3, { stride: 2, pad: 1 })), 16, 3, { stride: 2, pad: 1 }));
      return m.sigmoid(m.convTranspose(m.relu(m.convTranspose(e, 8, 2)), 1, 2));
    },
  },
  {
    name: 'layernorm_17',
    opset: 17,
    input: [1, 16],
    doc: 'Linear, LayerNormalization (opset 17), ReLU, Linear',
    body: (m, x) => m.linear(m.relu(m.layerNorm(m.linear(x, 24))), 4),
  },
  {
    name: 'layernorm_13',
    opset: 13,
    input: [1, 16],
    doc: 'Linear, LayerNorm as torch decomposes it at opset 13 (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), ReLU, Linear',
    body: (m, x) => m.linear(m.relu(m.layerNorm(m.linear(x, 24))), 4),
  },
  {
    name: 'conv1d_audio',
    opset: 13,
    input: [1, 1, 64],
    doc: 'Conv1d audio net on [N, C, L]: Conv1d (k5 s2 p2) · BN · ReLU, Conv1d (k3 p1) · ReLU, MaxPool1d, GlobalAveragePool, Flatten, Linear',
    body: (m, x) => {
      let y = m.relu(m.bn(m.conv(x, 8, 5, { stride: 2, pad: 2 })));
      y = m.maxPool(m.relu(m.conv(y, 16, 3, { pad: 1 })), 2);
      return m.linear(m.flatten(m.gap(y)), 6);
    },
  },
  {
    name: 'gru',
    opset: 13,
    input: [1, 8, 6],
    doc: 'nn.GRU(6, 12, batch_first=True) with h0 = zeros(1, x.size(0), 12): Shape/Gather/Unsqueeze/Concat/Expand, Transpose, GRU, Squeeze, Linear',
    body: (m, x) => m.linear(m.recurrent(x, 'GRU', 12), 3),
  },
  {
    name: 'lstm',
    opset: 13,
    input: [1, 8, 6],
    doc: 'nn.LSTM(6, 12, batch_first=True) with (h0, c0) = zeros: Expand patterns, Transpose, LSTM, Squeeze, Linear',
    body: (m, x) => m.linear(m.recurrent(x, 'LSTM', 12), 3),
  },
  {
    name: 'prelu_silu_cnn',
    opset: 13,
    input: [1, 3, 12, 12],
    doc: 'the activations that have int8 kernels, without GELU: Conv · PReLU, Conv · LeakyReLU(0.1), Conv · SiLU (Sigmoid·Mul), MaxPool, Flatten, Linear · PReLU, Linear',
    body: (m, x) => {
      let y = m.prelu(m.conv(x, 8, 3, { pad: 1 }));
      y = m.leakyRelu(m.conv(y, 8, 3, { stride: 2, pad: 1 }), 0.1);
      y = m.maxPool(m.silu(m.conv(y, 8, 3, { pad: 1 })), 2);
      return m.linear(m.prelu(m.linear(m.flatten(y), 16)), 4);
    },
  },
];

/** Channels-last reference tensor → ONNX layout data. */
function toOnnxLayout(t: tf.Tensor): { shape: number[]; data: Float32Array } {
  const cf = t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t.rank === 3 ? tf.transpose(t, [0, 2, 1]) : t;
  return { shape: cf.shape, data: cf.dataSync() as Float32Array };
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(OUT, { recursive: true });
  let total = 0;
  for (const [k, s] of SPECS.entries()) {
    const m = new Net(s.name, s.opset, 1000 + 17 * k);
    // input: ONNX layout, values in [-1, 1); the reference runs channels-last (recurrent nets: [N, T, F] as is)
    const xd = m.uniform(s.input.reduce((a, b) => a * b, 1), -1, 1);
    const recurrent = /gru|lstm/.test(s.name);
    const xOnnx = tf.tensor(xd, s.input);
    const xt = s.input.length === 4 ? tf.transpose(xOnnx, [0, 2, 3, 1]) : s.input.length === 3 && !recurrent ? tf.transpose(xOnnx, [0, 2, 1]) : xOnnx;
    const y = s.body(m, { n: 'input', t: xt });
    const yo = recurrent ? { shape: y.t.shape, data: y.t.dataSync() as Float32Array } : toOnnxLayout(y.t);
    // torch names the last node's output 'output' (output_names=['output'])
    const last = m.nodes.at(-1)!;
    last.outs[0] = 'output';
    const bytes = model({
      opset: s.opset,
      producer: 'pytorch',
      nodes: m.nodes,
      inputs: [{ name: 'input', dims: ['batch_size', ...s.input.slice(1)] }],
      outputs: [{ name: 'output', dims: ['batch_size', ...yo.shape.slice(1)] }],
      inits: m.inits,
    });
    writeFileSync(join(OUT, `${s.name}.onnx`), bytes);
    writeFileSync(join(OUT, `${s.name}.x.npy`), writeNpy({ dtype: 'float32', shape: s.input, data: xd }));
    writeFileSync(join(OUT, `${s.name}.y.npy`), writeNpy({ dtype: 'float32', shape: yo.shape, data: yo.data }));
    total += bytes.length;
    console.log(`${s.name}.onnx  opset ${s.opset}  ${m.nodes.length} nodes  ${bytes.length} bytes  output [${yo.shape}]`);
  }
  console.log(`total ${total} bytes of .onnx in ${OUT}`);
}

if (process.argv[1] && /gen-pytorch-set/.test(process.argv[1])) await main();
