// ReduceMax: maximum over `axes` (empty = all), keepdims. Global max pooling imports as ReduceMax over [1,2].
import { reduceOp } from './reduce.js';

export const def = reduceOp('ReduceMax', 'maximum over axes (empty = all), keepdims', 'max');
