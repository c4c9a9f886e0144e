// LeakyRelu: Y = x >= 0 ? x : alpha * x.
import { attrFloat } from './util.js';
import { elementwise } from './unary.js';

export const def = elementwise(
  'LeakyRelu',
  'leaky rectifier, x >= 0 ? x : alpha*x',
  { alpha: { type: 'float', default: 0.01, doc: 'slope for x < 0' } },
  (a) => {
    const alpha = attrFloat(a, 'alpha');
    return (x) => (x >= 0 ? x : alpha * x);
  },
  { floatOnly: true, macsPerElement: 1 },
);
