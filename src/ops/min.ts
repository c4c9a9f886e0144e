// Min: element-wise minimum of one or more inputs (ONNX Min is variadic), broadcast and folded left.
// NaN propagates (Math.min), as numpy.minimum does.
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Min', 'element-wise minimum of 1+ inputs with broadcasting', Math.min, { variadic: true });

export const def: OpDef = {
  ...base,
  // TFLite MINIMUM compares stored values: every operand and the output share one quantization
  quant: { activations: 'any', sharedPorts: 'all' },
};
