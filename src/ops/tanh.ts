// Tanh: Y = tanh(x).
import { elementwise } from './unary.js';

export const def = elementwise('Tanh', 'hyperbolic tangent', {}, () => Math.tanh, { floatOnly: true, macsPerElement: 1 });
