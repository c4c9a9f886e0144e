// Add: C = A + B with numpy broadcasting and an optional fused activation.
import { binaryOp } from './binary.js';

export const def = binaryOp('Add', 'element-wise sum with broadcasting', (a, b) => a + b);
