// BatchNormalization (folded into the preceding conv later, or kept as a per-channel Mul/Add) and LayerNormalization.

import { shapeSize } from '../../../ir/dtype.js';
import type { Value } from '../../../ops/types.js';
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

// LayerNormalization (opset 17; PyTorch's nn.LayerNorm): the trailing dims from `axis` in the ONNX layout, so a
// channels-last input goes back to plain first. stash_type 1 (float32 statistics) is what the float kernel does.
// The training outputs Mean / InvStdDev, when present, are computed beside it with ReduceMean, Sub, Mul, Add, Pow.
const layerNormEntry: OpEntry = {
  attrs: ['axis', 'epsilon', 'stash_type'],
  constInputs: () => [1, 2],
  convert({ ctx, a, ins, outs }) {
    if (a.int('stash_type', 1) !== 1) ctx.err('EF2003', `stash_type=${a.int('stash_type')} is not supported (float32 statistics only)`);
    const X = ctx.toPlain(ctx.need(ins[0], 'X'));
    const r = ctx.shape(ctx.need(ins[0], 'X')).length;
    const axis = a.int('axis', -1);
    const eps = a.float('epsilon', 1e-5);
    const ps = [ctx.constant(ins[1], ctx.constValue(ins[1], 'Scale')), ...(ins[2] ? [ctx.constant(ins[2], ctx.constValue(ins[2], 'B'))] : [])];
    const id = ctx.emit1('LayerNormalization', [X, ...ps], { axis, epsilon: eps }, outs[0]);
    ctx.set(outs[0], { id, layout: PLAIN });
    // the optional Mean and InvStdDev outputs (float statistics, keepdims) from registry ops, when asked for
    if (outs[1] || outs[2]) {
      const axes = Array.from({ length: r - (axis < 0 ? axis + r : axis) }, (_, k) => -1 - k).reverse();
      const f = (v: number): Value => ({ dtype: 'float32', shape: [], data: Float32Array.of(v) });
      const mean = ctx.emit1('ReduceMean', [X], { axes, keepdims: 1 }, outs[1] || undefined);
      if (outs[1]) ctx.set(outs[1], { id: mean, layout: PLAIN });
      if (outs[2]) {
        const d = ctx.emit1('Sub', [X, mean], {});
        const v = ctx.emit1('ReduceMean', [ctx.emit1('Mul', [d, d], {})], { axes, keepdims: 1 });
        const ve = ctx.emit1('Add', [v, ctx.constant(`${outs[2]}_eps`, f(eps))], {});
        ctx.set(outs[2], { id: ctx.emit1('Pow', [ve, ctx.constant(`${outs[2]}_exp`, f(-0.5))], {}, outs[2]), layout: PLAIN });
      }
    }
  },
};

export const NORM_OPS: Record<string, OpEntry> = {
  BatchNormalization: batchNormEntry,
  LayerNormalization: layerNormEntry,
};
