// HardSwish: Y = x * relu6(x + 3) / 6 (the TFLite/MobileNetV3 form; ONNX writes it as
// x * max(0, min(1, x/6 + 1/2)), equal in exact arithmetic).
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'HardSwish',
  'x * relu6(x + 3) / 6',
  {},
  () => (x) => {
    const r = x + 3;
    return (x * (r < 0 ? 0 : r > 6 ? 6 : r)) / 6;
  },
  { floatOnly: true, macsPerElement: 1 },
);

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8' },
  layout: 'transparent',
};
