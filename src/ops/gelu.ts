// Gelu: Y = x·Φ(x) (ONNX Gelu, opset 20; TFLite GELU). approximate = 'none': 0.5·x·(1 + erf(x/√2));
// 'tanh': 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). PyTorch before opset 20 exports both as chains of
// element-wise ops, which the fuse-gelu pass turns into this op.
import { attrStr } from './util.js';
import { elementwise } from './unary.js';
import { erf } from './erf.js';
import type { OpDef } from './types.js';

export const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function gelu(x: number, approximate: string): number {
  if (approximate === 'tanh') return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

const base = elementwise(
  'Gelu',
  'Gaussian error linear unit x·Φ(x), exact (erf) or tanh approximation',
  { approximate: { type: 'string', default: 'none', oneOf: ['none', 'tanh'], doc: "'none' (erf) or 'tanh'" } },
  (a) => {
    const approx = attrStr(a, 'approximate');
    return (x) => gelu(x, approx);
  },
  { floatOnly: true, macsPerElement: 8 },
);

export const def: OpDef = {
  ...base,
  // int8 as TFLM's GELU: a 256-entry table of the float function, built at prepare time (src/sim/int/gelu.ts)
  quant: { activations: 'int8' },
  layout: 'transparent',
};
