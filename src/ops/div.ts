// Div: C = A / B with numpy broadcasting; integer dtypes truncate toward zero (C semantics, as ONNX Div).
import { binaryOp } from './binary.js';

export const def = binaryOp('Div', 'element-wise quotient A / B with broadcasting (integers truncate)', (a, b) => a / b, {
  intDiv: true,
});
