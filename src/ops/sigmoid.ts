// Sigmoid: Y = 1 / (1 + exp(-x)), evaluated in the form that never overflows exp().
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'Sigmoid',
  'logistic function 1/(1+exp(-x))',
  {},
  () => (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  quant: {
    activations: 'int8+int16',
    fixedOutput: { int8: { scale: 1 / 256, zeroPoint: -128 }, int16: { scale: 1 / 32768, zeroPoint: 0 } },
  },
  layout: 'transparent',
};
