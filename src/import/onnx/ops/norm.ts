// BatchNormalization (folded into the preceding conv later, or kept as a per-channel Mul/Add).

import { shapeSize } from '../../../ir/dtype.js';
import { PLAIN, type Sym } from '../context.js';
import { type OpEntry } from './helpers.js';

const batchNormEntry: OpEntry = {
  attrs: ['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs'],
  constInputs: () => [1, 2, 3, 4],
  convert({ ctx, a, ins, outs }) {
    if (a.int('training_mode', 0) === 1) ctx.err('EF2003', 'training_mode=1 (batch statistics) is not supported; export the model in eval mode');
    if (outs.slice(1).some((o) => o)) ctx.err('EF2003', 'the training outputs (running mean/var) of BatchNormalization are not supported');
    const X0 = ctx.need(ins[0], 'X');
    const sh = ctx.shape(X0);
    const params = [1, 2, 3, 4].map((i) => ctx.constValue(ins[i], ['scale', 'B', 'input_mean', 'input_var'][i - 1]));
    const C = sh[1];
    if (a.int('spatial', 1) === 0 && params.some((p) => shapeSize(p.shape) !== C))
      ctx.err('EF2003', 'spatial=0 with per-position statistics is not supported');
    const pids = params.map((p, i) => ctx.constant(`${ins[i + 1]}`, { ...p, shape: [shapeSize(p.shape)] }));
    let X: Sym;
    if (sh.length === 2) X = { id: ctx.toPlain(X0), layout: PLAIN };
    else if (sh.length === 3 || sh.length === 4) X = ctx.toCl(X0);
    else return ctx.err('EF2003', `BatchNormalization on rank ${sh.length} is not supported`);
    const id = ctx.emit1('BatchNormalization', [X.id, ...pids], { epsilon: a.float('epsilon', 1e-5) }, outs[0]);
    ctx.set(outs[0], { id, layout: X.layout });
  },
};

export const NORM_OPS: Record<string, OpEntry> = {
  BatchNormalization: batchNormEntry,
};
