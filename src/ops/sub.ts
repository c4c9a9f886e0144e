// Sub: C = A - B with numpy broadcasting and an optional fused activation.
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Sub', 'element-wise difference A - B with broadcasting', (a, b) => a - b);

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
  layout: 'transparent',
};
