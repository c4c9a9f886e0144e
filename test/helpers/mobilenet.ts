// A float MobileNetV2 (the repo's builder, src/train/spec.ts; random weights, a linear 1000-class head) at any
// width and input size, quantized int8 with two synthetic samples: MobileNetV2 1.0 at 224x224x3 is the model
// the PSRAM tests put on an ESP32-S3 N8R8; 0.35 at 96x96x3 is the one over ESP32's largest internal block.
// Only the structure matters here (arena, weights), not accuracy.
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/train/backend.js';
import { mobileNetV2 } from '../../src/train/spec.js';
import { modelToIR } from '../../src/train/to-ir.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { shapeSize } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';

export async function mobileNetV2Int8(alpha = 1.0, size = 224): Promise<Graph> {
  await initBackend();
  const input = tfl.input({ shape: [size, size, 3] });
  const { output } = mobileNetV2(input, { alpha, seed: 1 });
  const logits = tfl.layers.dense({ units: 1000, name: 'logits' }).apply(output) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: logits, name: `mobilenetv2_${alpha}_${size}` });
  const g = modelToIR(m, { name: `mobilenetv2_${alpha}_${size}` });
  const samples = [1, 2].map((seed) => {
    let s = seed;
    return g.inputs.map((id) => {
      const shape = g.tensors[id].shape.map((d) => (d < 0 ? 1 : d));
      const data = new Float32Array(shapeSize(shape));
      for (let i = 0; i < data.length; i++) data[i] = ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
      return { dtype: 'float32' as const, shape, data };
    });
  });
  return (await quantizeModel(g, samples)).graph;
}

