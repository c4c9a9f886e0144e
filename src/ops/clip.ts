// Clip: Y = min(max(X, min), max). Absent bounds are unbounded. Works on any dtype (int8/uint8 keep their dtype;
// the bound is applied in real numbers and the result is stored through the typed array, so a fractional
// bound truncates toward zero on integer tensors). With min > max every element becomes max (numpy.clip order,
// as the ONNX test_clip_min_greater_than_max expects).
import { elementwise } from './unary.js';
import type { OpDef } from './types.js';

const base = elementwise(
  'Clip',
  'clamp to [min, max] (absent bound = unbounded)',
  {
    min: { type: 'float', doc: 'lower bound; absent = -inf' },
    max: { type: 'float', doc: 'upper bound; absent = +inf' },
  },
  (a) => {
    const lo = typeof a.min === 'number' ? a.min : -Infinity;
    const hi = typeof a.max === 'number' ? a.max : Infinity;
    return (x) => {
      const y = x < lo ? lo : x;
      return y > hi ? hi : y;
    };
  },
);

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
  layout: 'transparent',
};
