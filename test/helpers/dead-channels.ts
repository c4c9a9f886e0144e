// A float ONNX model with near-dead convolution channels, as post-training quantization meets them in trained
// networks: output channels whose weights are all zero or ~1e-30 but whose bias is not zero. Quantized naively,
// such a channel gets a weight scale near 1e-32 and its int32 bias saturates.
import { model } from './onnx-model.js';
import type { Value } from '../../src/ops/types.js';
import { makeRng } from '../../src/data/rng.js';

/**
 * Conv 3x3 (6 channels: 0–2 normal, 3 all-zero weights, 4 weights 1e-30, 5 weights 1e-12; biases nonzero) → Relu →
 * Conv 1x1 (4 channels) → Relu → depthwise Conv 3x3 (channel 2 all-zero weights) → Flatten → Gemm (3 outputs):
 * every int8 kernel with an int32 bias (convolution, 1x1 GEMM, depthwise, fully connected).
 */
export function deadChannelOnnx(): Uint8Array {
  const rng = makeRng(42);
  const r = () => rng() * 2 - 1;
  const w1 = new Float32Array(6 * 3 * 3 * 3);
  for (let o = 0; o < 6; o++)
    for (let k = 0; k < 27; k++) w1[o * 27 + k] = o < 3 ? 0.4 * r() : o === 3 ? 0 : o === 4 ? 1e-30 * r() : 1e-12 * r();
  const b1 = Float32Array.from([0.1, -0.2, 0.05, 0.5, -0.3, 1.0]);
  const w2 = Float32Array.from({ length: 4 * 6 }, () => 0.5 * r());
  const b2 = Float32Array.from([0.01, -0.02, 0.03, 0]);
  const w3 = Float32Array.from({ length: 4 * 9 }, (_, i) => (Math.floor(i / 9) === 2 ? 0 : 0.5 * r()));
  const b3 = Float32Array.from([0.02, 0.01, 0.4, -0.05]);
  const w4 = Float32Array.from({ length: 3 * 4 * 8 * 8 }, () => 0.1 * r());
  const b4 = Float32Array.from([0.1, 0, -0.1]);
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
      { name: 'w3', v: v([4, 1, 3, 3], w3) },
      { name: 'b3', v: v([4], b3) },
      { name: 'w4', v: v([3, 256], w4) },
      { name: 'b4', v: v([3], b4) },
    ],
    nodes: [
      { op: 'Conv', ins: ['x', 'w1', 'b1'], outs: ['c1'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
      { op: 'Relu', ins: ['c1'], outs: ['r1'] },
      { op: 'Conv', ins: ['r1', 'w2', 'b2'], outs: ['c2'] },
      { op: 'Relu', ins: ['c2'], outs: ['r2'] },
      { op: 'Conv', ins: ['r2', 'w3', 'b3'], outs: ['d3'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }, { name: 'group', i: 4 }] },
      { op: 'Flatten', ins: ['d3'], outs: ['f3'] },
      { op: 'Gemm', ins: ['f3', 'w4', 'b4'], outs: ['y'], attrs: [{ name: 'transB', i: 1 }] },
    ],
  });
}
