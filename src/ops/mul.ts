// Mul: C = A * B with numpy broadcasting and an optional fused activation (int32 products wrap exactly).
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Mul', 'element-wise product with broadcasting', (a, b) => a * b, { intMul: true });

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
  layout: 'transparent',
};
