// Keras-applications MobileNetV2 weight files for the built-in base:
//   mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<alpha>_<size>[_no_top].h5
// are weights-only HDF5 files (Keras 2 `save_weights` layout, read by src/import/keras readKerasWeightsH5) whose
// layer groups carry Keras' MobileNetV2 layer names (Conv1, bn_Conv1, expanded_conv_depthwise, ..._BN,
// block_<n>_expand / _depthwise / _project (+ _BN), Conv_1, Conv_1_bn, and Logits in the files with the top).
// The built-in base (src/train/spec.ts mobileNetV2) uses the same names, so weights are matched by layer name and,
// inside a layer, by weight name (kernel, depthwise_kernel, gamma, beta, moving_mean, moving_variance).

import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fail } from '../diagnostics.js';
import type { LayerWeightsH5 } from '../import/keras/index.js';
import { tf } from './backend.js';
import type * as tfl from '@tensorflow/tfjs-layers';

export const KERAS_MOBILENETV2_FILE = /^mobilenet_v2_weights_tf_dim_ordering_tf_kernels_(\d+(?:\.\d+)?)_(\d+)(_no_top)?\.h5$/;

/** Top-of-network layers a Keras-applications file may hold that the base does not use. */
const TOP_LAYERS = new Set(['Logits', 'predictions']);

export interface MobileNetV2Weights {
  file: string;
  layers: Map<string, LayerWeightsH5['weights']>;
  /** From the file name, when it follows the Keras-applications pattern. */
  alpha?: number;
  size?: number;
  noTop?: boolean;
}

/**
 * Read a Keras-applications MobileNetV2 weights file for a base of width `alpha` and input [H, W, C]. A file
 * named in the Keras-applications pattern must match alpha and the input size (EF5003 otherwise).
 */
export async function readMobileNetV2Weights(file: string, alpha: number, input: number[], specFile?: string): Promise<MobileNetV2Weights> {
  if (!existsSync(file)) fail('EF0001', 'MobileNetV2 weights file not found', { file, suggestion: 'a relative "weights" path is relative to the spec file' });
  const m = KERAS_MOBILENETV2_FILE.exec(basename(file));
  const out: MobileNetV2Weights = { file, layers: new Map() };
  if (m) {
    out.alpha = Number(m[1]);
    out.size = Number(m[2]);
    out.noTop = !!m[3];
    if (Math.abs(out.alpha - alpha) > 1e-9)
      fail('EF5003', `the weights file is for MobileNetV2 alpha ${m[1]} but the base has alpha ${alpha}`, {
        file: specFile ?? file,
        node: 'base',
        suggestion: `set "alpha": ${out.alpha} in the base, or use the ..._${alpha}_<size>... weights file`,
      });
    if (input[0] !== out.size || input[1] !== out.size)
      fail('EF5003', `the weights file is for ${out.size}x${out.size} inputs but the spec's input is ${input[0]}x${input[1]}`, {
        file: specFile ?? file,
        node: 'input',
        suggestion: `set "input": [${out.size}, ${out.size}, 3], or use the ..._${alpha}_${input[0]}... weights file`,
      });
  }
  if (input[2] !== 3) fail('EF5003', `Keras-applications MobileNetV2 weights take RGB input (3 channels); the spec's input has ${input[2]}`, { file: specFile ?? file, node: 'input' });
  const { readKerasWeightsH5 } = await import('../import/keras/index.js');
  for (const l of await readKerasWeightsH5(readFileSync(file), file)) out.layers.set(l.layer, l.weights);
  return out;
}

/** Copy the file's weights into the base's layers (names without `prefix`); EF5003 names any mismatch. */
export function applyMobileNetV2Weights(layers: tfl.layers.Layer[], w: MobileNetV2Weights, prefix = ''): number {
  const used = new Set<string>();
  let count = 0;
  for (const l of layers) {
    const vars = l.weights;
    if (!vars.length) continue;
    const name = l.name.startsWith(prefix) ? l.name.slice(prefix.length) : l.name;
    const fw = w.layers.get(name);
    if (!fw || !fw.length)
      fail('EF5003', `layer '${name}' of the MobileNetV2 base has no weights in the file`, {
        file: w.file,
        node: name,
        suggestion: 'is this a Keras-applications MobileNetV2 weights file (mobilenet_v2_weights_tf_dim_ordering_tf_kernels_*.h5)?',
      });
    used.add(name);
    const values = vars.map((v, i) => {
      const wn = (v.originalName ?? v.name).replace(/:\d+$/, '').split('/').pop()!;
      const f = fw!.find((x) => x.name === wn) ?? fw![i];
      if (!f) fail('EF5003', `layer '${name}': the file has no '${wn}'`, { file: w.file, node: name });
      const want = v.shape as number[];
      if (f.shape.length !== want.length || f.shape.some((d, k) => d !== want[k]))
        fail('EF5003', `layer '${name}': '${wn}' is [${f.shape}] in the file but [${want}] in the base`, {
          file: w.file,
          node: name,
          suggestion: 'the file is for another alpha (width): make "alpha" match the file name',
        });
      return tf.tensor(f.data, f.shape);
    });
    l.setWeights(values);
    values.forEach((t) => t.dispose());
    count += vars.length;
  }
  const extra = [...w.layers.entries()].filter(([n, ws]) => ws.length > 0 && !used.has(n) && !TOP_LAYERS.has(n)).map(([n]) => n);
  if (extra.length)
    fail('EF5003', `the weights file has layer(s) the MobileNetV2 base does not: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`, {
      file: w.file,
      suggestion: 'layer names must be Keras MobileNetV2 names (Conv1, bn_Conv1, expanded_conv_depthwise, block_<n>_expand, ..., Conv_1)',
    });
  return count;
}
