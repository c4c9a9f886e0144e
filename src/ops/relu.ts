// Relu: Y = max(X, 0).
import { unaryOp } from './unary.js';

export const def = unaryOp('Relu', 'rectified linear unit, max(x, 0)', (x) => (x > 0 ? x : 0));
