// Tanh: Y = tanh(x).
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise('Tanh', 'hyperbolic tangent', {}, () => Math.tanh, { floatOnly: true, macsPerElement: 1 });

export const def: OpDef = {
  ...base,
  quant: {
    activations: 'int8+int16',
    fixedOutput: { int8: { scale: 1 / 128, zeroPoint: 0 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  },
  layout: 'transparent',
};
