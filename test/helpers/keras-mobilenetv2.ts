// Keras-applications MobileNetV2 weights files written the way Keras writes them, for tests (the real files cannot
// be downloaded here). The layer list, names, weight order and shapes follow keras_applications/mobilenet_v2.py and
// Keras 2's save_weights (hdf5_format.save_weights_to_hdf5_group), written out here independently of
// src/train/spec.ts so that a naming or shape difference in the built-in base shows up:
//   root attrs: layer_names (every layer of the model, in order), backend, keras_version
//   /<layer> group, attr weight_names = ['<layer>/kernel:0', ...] (trainable first, then non-trainable:
//   BatchNormalization is gamma, beta, moving_mean, moving_variance), dataset /<layer>/<layer>/<weight>:0.
import { rmSync } from 'node:fs';

export interface KerasLayer {
  name: string;
  weights: { name: string; shape: number[] }[];
}

function makeDivisible(v: number, d = 8): number {
  let n = Math.max(d, Math.floor((v + d / 2) / d) * d);
  if (n < 0.9 * v) n += d;
  return n;
}

/** Keras MobileNetV2's layers (weights and shapes) for width `alpha`; `top` adds the 1000-class Logits layer. */
export function kerasMobileNetV2Layers(alpha: number, top: boolean): KerasLayer[] {
  const L: KerasLayer[] = [{ name: 'input_1', weights: [] }];
  const conv = (name: string, k: number, cin: number, cout: number) => L.push({ name, weights: [{ name: 'kernel', shape: [k, k, cin, cout] }] });
  const dw = (name: string, c: number) => L.push({ name, weights: [{ name: 'depthwise_kernel', shape: [3, 3, c, 1] }] });
  const bn = (name: string, c: number) =>
    L.push({ name, weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => ({ name: n, shape: [c] })) });
  const none = (name: string) => L.push({ name, weights: [] });
  const first = makeDivisible(32 * alpha);
  conv('Conv1', 3, 3, first);
  bn('bn_Conv1', first);
  none('Conv1_relu');
  // (filters, stride, expansion, block_id) as in keras_applications.mobilenet_v2
  const blocks: [number, number, number, number][] = [
    [16, 1, 1, 0], [24, 2, 6, 1], [24, 1, 6, 2], [32, 2, 6, 3], [32, 1, 6, 4], [32, 1, 6, 5], [64, 2, 6, 6], [64, 1, 6, 7], [64, 1, 6, 8],
    [64, 1, 6, 9], [96, 1, 6, 10], [96, 1, 6, 11], [96, 1, 6, 12], [160, 2, 6, 13], [160, 1, 6, 14], [160, 1, 6, 15], [320, 1, 6, 16],
  ];
  let inC = first;
  for (const [filters, stride, t, id] of blocks) {
    const pw = makeDivisible(Math.trunc(filters * alpha));
    const p = id ? `block_${id}_` : 'expanded_conv_';
    let c = inC;
    if (id) {
      c = t * inC;
      conv(`${p}expand`, 1, inC, c);
      bn(`${p}expand_BN`, c);
      none(`${p}expand_relu`);
    }
    if (stride === 2) none(`${p}pad`);
    dw(`${p}depthwise`, c);
    bn(`${p}depthwise_BN`, c);
    none(`${p}depthwise_relu`);
    conv(`${p}project`, 1, c, pw);
    bn(`${p}project_BN`, pw);
    if (stride === 1 && inC === pw) none(`${p}add`);
    inC = pw;
  }
  const last = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  conv('Conv_1', 1, inC, last);
  bn('Conv_1_bn', last);
  none('out_relu');
  if (top) {
    none('global_average_pooling2d_1');
    L.push({ name: 'Logits', weights: [{ name: 'kernel', shape: [last, 1000] }, { name: 'bias', shape: [1000] }] });
  }
  return L;
}

/** Write a weights-only HDF5 file in Keras 2 layout; `value(layer, weight, shape)` gives each array. */
export async function writeKerasWeightsH5(path: string, layers: KerasLayer[], value: (layer: string, weight: string, shape: number[]) => Float32Array): Promise<void> {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  rmSync(path, { force: true });
  const f = new h5.File(path, 'w');
  try {
    const fixed = (xs: string[]) => `A${Math.max(1, ...xs.map((x) => x.length)) + 1}`;
    const names = layers.map((l) => l.name);
    f.create_attribute('layer_names', names, [names.length], fixed(names));
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('keras_version', '2.2.4');
    for (const l of [...layers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const g = f.create_group(l.name);
      const wn = l.weights.map((w) => `${l.name}/${w.name}:0`);
      if (wn.length) g.create_attribute('weight_names', wn, [wn.length], fixed(wn));
      else g.create_attribute('weight_names', new Float32Array(0), [0], '<f4');
      if (!l.weights.length) continue;
      const inner = g.create_group(l.name);
      for (const w of l.weights) inner.create_dataset({ name: `${w.name}:0`, data: value(l.name, w.name, w.shape), shape: w.shape, dtype: '<f4' });
    }
  } finally {
    f.close();
  }
}
