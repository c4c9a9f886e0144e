// HardSigmoid: Y = max(0, min(1, alpha*x + beta)) (ONNX defaults alpha 0.2, beta 0.5; Keras uses the same
// formula with its own constants, set by the importer).
import { attrFloat } from './util.js';
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'HardSigmoid',
  'piecewise-linear sigmoid max(0, min(1, alpha*x + beta))',
  {
    alpha: { type: 'float', default: 0.2 },
    beta: { type: 'float', default: 0.5 },
  },
  (a) => {
    const alpha = attrFloat(a, 'alpha');
    const beta = attrFloat(a, 'beta');
    return (x) => {
      const y = alpha * x + beta;
      return y < 0 ? 0 : y > 1 ? 1 : y;
    };
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    "HardSigmoid has no int8 kernel yet: PyTorch's nn.Hardsigmoid is relu6(x + 3) / 6, so write it as torch.clamp(x + 3, 0, 6) * (1 / 6) (Add, Clip and Mul have int8 kernels), or compute it in the application on the dequantized output",
};
