// Div: C = A / B with numpy broadcasting; integer dtypes truncate toward zero (C semantics, as ONNX Div).
import { binaryOp } from './binary.js';
import type { OpDef } from './types.js';

const base = binaryOp('Div', 'element-wise quotient A / B with broadcasting (integers truncate)', (a, b) => a / b, {
  intDiv: true,
});

export const def: OpDef = {
  ...base,
  layout: 'transparent',
  noIntAdvice:
    "Div has no int8 kernel: divide by a constant by multiplying by its reciprocal (Mul has an int8 kernel); division by a computed tensor must run in the application",
};
