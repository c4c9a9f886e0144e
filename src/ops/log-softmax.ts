// LogSoftmax over one axis (default -1): y = x - max - log(sum(exp(x - max))). Kernel shared with Softmax.
import { softmaxOp } from './softmax.js';

export const def = softmaxOp('LogSoftmax');
