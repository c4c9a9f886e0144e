// ReduceMax: maximum over `axes` (empty = all), keepdims. Global max pooling imports as ReduceMax over [1,2].
import { reduceOp } from './reduce.js';
import type { OpDef } from './types.js';

const base = reduceOp('ReduceMax', 'maximum over axes (empty = all), keepdims', 'max');

export const def: OpDef = {
  ...base,
  quant: { activations: 'any', sharedPorts: [0] },
};
