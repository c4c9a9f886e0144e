// Relu: Y = max(X, 0).
import { unaryOp } from './unary.js';
import type { OpDef } from './types.js';

const base = unaryOp('Relu', 'rectified linear unit, max(x, 0)', (x) => (x > 0 ? x : 0));

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
  layout: 'transparent',
};
