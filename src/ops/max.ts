// Max: element-wise maximum of one or more inputs (ONNX Max is variadic), broadcast and folded left.
// NaN propagates (Math.max), as numpy.maximum does.
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Max', 'element-wise maximum of 1+ inputs with broadcasting', Math.max, { variadic: true });

export const def: OpDef = {
  ...base,
  // TFLite MAXIMUM compares stored values: every operand and the output share one quantization
  quant: { activations: 'any', sharedPorts: 'all' },
};
