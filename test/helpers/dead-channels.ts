// A float ONNX model with near-dead convolution channels, as post-training quantization meets them in trained
// networks: output channels whose weights are all zero or ~1e-30 but whose bias is not zero. Quantized naively,
// such a channel gets a weight scale near 1e-32 and its int32 bias saturates.
import { model } from './onnx-model.js';
import type { Value } from '../../src/ops/types.js';
import { makeRng } from '../../src/data/rng.js';

/** Conv 3x3 (6 channels: 0–2 normal, 3 all-zero weights, 4 weights 1e-30, 5 weights 1e-12; biases nonzero) → Relu → Conv 1x1 (4 channels) → Relu. */
export function deadChannelOnnx(): Uint8Array {
  const rng = makeRng(42);
  const r = () => rng() * 2 - 1;
  const w1 = new Float32Array(6 * 3 * 3 * 3);
  for (let o = 0; o < 6; o++)
    for (let k = 0; k < 27; k++) w1[o * 27 + k] = o < 3 ? 0.4 * r() : o === 3 ? 0 : o === 4 ? 1e-30 * r() : 1e-12 * r();
  const b1 = Float32Array.from([0.1, -0.2, 0.05, 0.5, -0.3, 1.0]);
  const w2 = Float32Array.from({ length: 4 * 6 }, () => 0.5 * r());
  const b2 = Float32Array.from([0.01, -0.02, 0.03, 0]);
  const v = (shape: number[], data: Float32Array): Value => ({ dtype: 'float32', shape, data });
  return model({
    opset: 13,
    inputs: [{ name: 'x', dims: [1, 3, 8, 8] }],
    outputs: ['y'],
    inits: [
      { name: 'w1', v: v([6, 3, 3, 3], w1) },
      { name: 'b1', v: v([6], b1) },
      { name: 'w2', v: v([4, 6, 1, 1], w2) },
      { name: 'b2', v: v([4], b2) },
    ],
    nodes: [
      { op: 'Conv', ins: ['x', 'w1', 'b1'], outs: ['c1'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
      { op: 'Relu', ins: ['c1'], outs: ['r1'] },
      { op: 'Conv', ins: ['r1', 'w2', 'b2'], outs: ['c2'] },
      { op: 'Relu', ins: ['c2'], outs: ['y'] },
    ],
  });
}
