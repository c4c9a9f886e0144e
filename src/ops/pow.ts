// Pow: C = A ** B with numpy broadcasting (ONNX Pow; PyTorch's tanh-approximation GELU exports x ** 3). Float only.
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Pow', 'element-wise power A ** B with broadcasting', (a, b) => Math.pow(a, b));

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    'Pow has no int8 kernel: write small integer powers as products (x * x * x; Mul has an int8 kernel), or compute it in the application',
};
