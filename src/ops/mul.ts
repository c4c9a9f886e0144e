// Mul: C = A * B with numpy broadcasting and an optional fused activation (int32 products wrap exactly).
import { binaryOp } from './binary.js';

export const def = binaryOp('Mul', 'element-wise product with broadcasting', (a, b) => a * b, { intMul: true });
