// LeakyRelu: Y = x >= 0 ? x : alpha * x.
import { attrFloat } from './util.js';
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'LeakyRelu',
  'leaky rectifier, x >= 0 ? x : alpha*x',
  { alpha: { type: 'float', default: 0.01, doc: 'slope for x < 0' } },
  (a) => {
    const alpha = attrFloat(a, 'alpha');
    return (x) => (x >= 0 ? x : alpha * x);
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
  layout: 'transparent',
};
