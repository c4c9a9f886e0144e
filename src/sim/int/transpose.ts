// Transpose on integers: pure data movement by `perm`.

import { shapeSize, stridesOf } from '../../ir/dtype.js';
import type { NoParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { attrOr, need, newOut } from './common.js';

export const kernel: IntKernel<NoParams> = {
  prepare: () => ({}),
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const r = x.shape.length;
    const perm = attrOr(node, 'perm', Array.from({ length: r }, (_, i) => r - 1 - i)) as number[];
    const inStr = stridesOf(x.shape);
    const src = perm.map((p) => inStr[p]);
    const oshape = perm.map((p) => x.shape[p]);
    const n = shapeSize(oshape);
    const coord = new Array<number>(r).fill(0);
    let off = 0;
    const xd = x.data;
    const yd = out.data;
    for (let i = 0; i < n; i++) {
      yd[i] = xd[off];
      for (let d = r - 1; d >= 0; d--) {
        coord[d]++;
        off += src[d];
        if (coord[d] < oshape[d]) break;
        off -= src[d] * coord[d];
        coord[d] = 0;
      }
    }
    return [out];
  },
};
