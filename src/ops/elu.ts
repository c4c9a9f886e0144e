// Elu: Y = x >= 0 ? x : alpha * (exp(x) - 1) (expm1 keeps precision near 0).
import { attrFloat } from './util.js';
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'Elu',
  'exponential linear unit, x >= 0 ? x : alpha*(exp(x)-1)',
  { alpha: { type: 'float', default: 1.0 } },
  (a) => {
    const alpha = attrFloat(a, 'alpha');
    return (x) => (x >= 0 ? x : alpha * Math.expm1(x));
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    "Elu has no int8 kernel: replace it with LeakyRelu or Relu (int8 kernels) and fine-tune",
};
