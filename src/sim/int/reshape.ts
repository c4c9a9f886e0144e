// Reshape (and Identity, Squeeze-like views): bytes unchanged, only the shape changes.

import type { NoParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { need, outShape } from './common.js';

export const kernel: IntKernel<NoParams> = {
  prepare: () => ({}),
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const t = g.tensors[node.outputs[0]];
    return [{ dtype: t.dtype, shape: outShape(g, node, inputs), data: x.data }];
  },
};
