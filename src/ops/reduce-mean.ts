// ReduceMean: mean over `axes` (empty = all), keepdims. Global average pooling imports as ReduceMean over [1,2].
import { reduceOp } from './reduce.js';
import type { OpDef } from './types.js';

const base = reduceOp('ReduceMean', 'mean over axes (empty = all), keepdims', 'mean');

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16' },
};
