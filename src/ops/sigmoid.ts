// Sigmoid: Y = 1 / (1 + exp(-x)), evaluated in the form that never overflows exp().
import { elementwise } from './unary.js';

export const def = elementwise(
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
