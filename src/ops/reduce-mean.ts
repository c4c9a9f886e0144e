// ReduceMean: mean over `axes` (empty = all), keepdims. Global average pooling imports as ReduceMean over [1,2].
import { reduceOp } from './reduce.js';

export const def = reduceOp('ReduceMean', 'mean over axes (empty = all), keepdims', 'mean');
