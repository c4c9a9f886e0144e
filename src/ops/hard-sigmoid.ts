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
  // int8 kernel: src/sim/int/hard-sigmoid.ts (espforge's own arithmetic; TFLite has no HARD_SIGMOID). PyTorch's
  // nn.Hardswish exported as HardSigmoid then Mul becomes one HardSwish node in the fuse-hardswish pass.
  quant: { activations: 'int8' },
  layout: 'transparent',
};
