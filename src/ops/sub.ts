// Sub: C = A - B with numpy broadcasting and an optional fused activation.
import { binaryOp } from './binary.js';

export const def = binaryOp('Sub', 'element-wise difference A - B with broadcasting', (a, b) => a - b);
