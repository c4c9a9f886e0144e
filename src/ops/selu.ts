// Selu: Y = gamma * (x > 0 ? x : alpha * (exp(x) - 1)). Defaults are the ONNX ones (float32 values of the
// constants from Klambauer et al. 2017).
import { attrFloat } from './util.js';
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'Selu',
  'scaled exponential linear unit, gamma*(x > 0 ? x : alpha*(exp(x)-1))',
  {
    alpha: { type: 'float', default: 1.67326319217681884765625 },
    gamma: { type: 'float', default: 1.05070102519989013671875 },
  },
  (a) => {
    const alpha = attrFloat(a, 'alpha');
    const gamma = attrFloat(a, 'gamma');
    return (x) => gamma * (x > 0 ? x : alpha * Math.expm1(x));
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    "Selu has no int8 kernel: replace it with LeakyRelu or Relu (int8 kernels) and fine-tune",
};
