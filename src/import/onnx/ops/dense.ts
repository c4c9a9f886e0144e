// Dense ONNX ops: Gemm and MatMul become FullyConnected (or BatchMatMul) with a constant weight.

import { shapeSize } from '../../../ir/dtype.js';
import { transposeValue } from '../../../ir/layout.js';
import type { Value } from '../../../ops/types.js';
import { PLAIN, type OnnxContext, type Sym } from '../context.js';
import { binary, type OpEntry, permuteFlat } from './helpers.js';

/** FullyConnected from X[..., K] and a constant ONNX-layout weight B[K, N] (already alpha-scaled). */
function fullyConnected(ctx: OnnxContext, X: Sym, Wkn: Value, bias: Value | undefined, outName: string | undefined): Sym {
  const [K, N] = Wkn.shape;
  const w = transposeValue(Wkn, [1, 0]);
  let xid = X.id;
  if (X.layout.k === 'flat') {
    const out = w.data.slice();
    permuteFlat(w.data, out, X.layout.c, X.layout.sp, N);
    w.data = out;
  } else if (X.layout.k === 'cl') xid = ctx.toPlain(X);
  const xs = ctx.tensor(xid).shape;
  if (xs[xs.length - 1] !== K) ctx.err('EF1004', `input [${xs.join(',')}] does not match weight [${K},${N}]`);
  const wid = ctx.constant(`${ctx.node}_W`, w);
  const bid = bias ? ctx.constant(`${ctx.node}_B`, bias) : -1;
  return { id: ctx.emit1('FullyConnected', [xid, wid, bid], {}, outName), layout: PLAIN };
}

const gemmEntry: OpEntry = {
  attrs: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
  constInputs: () => [1, 2],
  convert({ ctx, a, ins, outs }) {
    const alpha = a.float('alpha', 1);
    const beta = a.float('beta', 1);
    const transA = a.int('transA', 0);
    const transB = a.int('transB', 0);
    let A = ctx.need(ins[0], 'A');
    const B = ctx.need(ins[1], 'B');
    const C = ctx.get(ins[2]);
    if (ctx.shape(A).length !== 2 || ctx.shape(B).length !== 2) ctx.err('EF1004', 'Gemm inputs A and B must be 2-D');
    if (transA) A = { id: ctx.transpose(ctx.toPlain(A), [1, 0]), layout: PLAIN };
    const bv = ctx.value(B.id);
    const cv = C ? ctx.value(ctx.toPlain(C)) : undefined;
    const dt = ctx.dtype(A);
    if (bv && dt === 'float32' && (!C || cv)) {
      let wkn = transB ? transposeValue(bv, [1, 0]) : { ...bv, data: bv.data.slice() };
      if (alpha !== 1) {
        const d = wkn.data.slice();
        for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i] * alpha);
        wkn = { ...wkn, data: d };
      }
      const N = wkn.shape[1];
      let bias: Value | undefined;
      let matBias: Value | undefined;
      if (cv) {
        const cn = shapeSize(cv.shape);
        const nonOne = cv.shape.filter((x) => x !== 1).length;
        const scaled = new Float32Array(cn);
        for (let i = 0; i < cn; i++) scaled[i] = Math.fround(beta * cv.data[i]);
        if (cn === N && (cv.shape.length === 1 || (cv.shape.length === 2 && cv.shape[0] === 1))) bias = { dtype: 'float32', shape: [N], data: scaled };
        else if (cn === 1 && nonOne === 0) bias = { dtype: 'float32', shape: [N], data: new Float32Array(N).fill(scaled[0]) };
        else matBias = { dtype: 'float32', shape: cv.shape.slice(), data: scaled };
      }
      const fc = fullyConnected(ctx, A, wkn, bias, matBias ? undefined : outs[0]);
      if (matBias) ctx.set(outs[0], binary(ctx, 'Add', fc, ctx.constSym(`${ctx.node}_C`, matBias), outs[0]));
      else ctx.set(outs[0], fc);
      return;
    }
    // general form: MatMul (+ scaling) (+ bias)
    let bid = ctx.toPlain(B);
    if (transB) bid = ctx.transpose(bid, [1, 0]);
    let y: Sym = { id: ctx.emit1('MatMul', [ctx.toPlain(A), bid], {}), layout: PLAIN };
    if (alpha !== 1) y = binary(ctx, 'Mul', y, ctx.constSym(`${ctx.node}_alpha`, { dtype: dt, shape: [], data: dt === 'float64' ? new Float64Array([alpha]) : new Float32Array([alpha]) }));
    if (C) {
      let c = C;
      if (beta !== 1) c = binary(ctx, 'Mul', C, ctx.constSym(`${ctx.node}_beta`, { dtype: dt, shape: [], data: dt === 'float64' ? new Float64Array([beta]) : new Float32Array([beta]) }));
      y = binary(ctx, 'Add', y, c, outs[0]);
    }
    ctx.set(outs[0], y);
  },
};

const matmulEntry: OpEntry = {
  attrs: [],
  convert({ ctx, ins, outs }) {
    const A = ctx.need(ins[0], 'A');
    const B = ctx.need(ins[1], 'B');
    const bv = ctx.value(B.id);
    const sa = ctx.shape(A);
    if (bv && bv.shape.length === 2 && sa.length >= 2 && ctx.dtype(A) === 'float32' && !ctx.isConst(A.id)) {
      ctx.set(outs[0], fullyConnected(ctx, A, bv, undefined, outs[0]));
      return;
    }
    ctx.set(outs[0], { id: ctx.emit1('MatMul', [ctx.toPlain(A), ctx.toPlain(B)], {}, outs[0]), layout: PLAIN });
  },
};

export const DENSE_OPS: Record<string, OpEntry> = {
  Gemm: gemmEntry,
  MatMul: matmulEntry,
};
