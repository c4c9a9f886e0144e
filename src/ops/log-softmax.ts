// LogSoftmax over one axis (default -1): y = x - max - log(sum(exp(x - max))). Kernel shared with Softmax.
import { softmaxOp } from './softmax.js';
import type { OpDef } from './types.js';

const base = softmaxOp('LogSoftmax');

export const def: OpDef = {
  ...base,
  quant: {
    activations: 'int8',
    fixedOutput: { int8: { scale: 16 / 256, zeroPoint: 127 } },
  },
};
