// Element-wise ONNX ops: unary activations, binary arithmetic with broadcasting, variadic Max/Min/Sum/Mean,
// Clip and PRelu.

import type { Attrs } from '../../../ir/graph.js';
import { PLAIN } from '../context.js';
import { alignBinary, binary, type OpEntry } from './helpers.js';

const unaryOps: Record<string, { op: string; attrs: Record<string, string> }> = {
  Relu: { op: 'Relu', attrs: {} },
  Sigmoid: { op: 'Sigmoid', attrs: {} },
  Tanh: { op: 'Tanh', attrs: {} },
  HardSwish: { op: 'HardSwish', attrs: {} },
  LeakyRelu: { op: 'LeakyRelu', attrs: { alpha: 'alpha' } },
  HardSigmoid: { op: 'HardSigmoid', attrs: { alpha: 'alpha', beta: 'beta' } },
  Elu: { op: 'Elu', attrs: { alpha: 'alpha' } },
  Erf: { op: 'Erf', attrs: {} },
  Selu: { op: 'Selu', attrs: { alpha: 'alpha', gamma: 'gamma' } },
};

function unaryEntry(onnxOp: string): OpEntry {
  const u = unaryOps[onnxOp];
  return {
    attrs: [...Object.keys(u.attrs), 'consumed_inputs'],
    convert({ ctx, a, ins, outs }) {
      const X = ctx.need(ins[0], 'X');
      const attrs: Attrs = {};
      for (const [k, canon] of Object.entries(u.attrs)) {
        const v = a.float(k);
        if (v !== undefined) attrs[canon] = v;
      }
      ctx.set(outs[0], { id: ctx.emit1(u.op, [X.id], attrs, outs[0]), layout: X.layout });
    },
  };
}

/** Pow: a constant integer exponent (ONNX allows T2 ≠ T since opset 12) becomes float like the base. */
const powEntry: OpEntry = {
  attrs: [],
  convert({ ctx, ins, outs }) {
    const A = ctx.need(ins[0], 'X');
    let B = ctx.need(ins[1], 'Y');
    const bv = ctx.value(B.id);
    if (bv && bv.dtype !== 'float32' && ctx.dtype(A) === 'float32' && B.layout.k === 'plain')
      B = ctx.constSym(`${ins[1]}_f32`, { dtype: 'float32', shape: bv.shape.slice(), data: Float32Array.from(bv.data as ArrayLike<number>) });
    ctx.set(outs[0], binary(ctx, 'Pow', A, B, outs[0]));
  },
};

function binaryEntry(op: string): OpEntry {
  return {
    attrs: ['broadcast', 'axis', 'consumed_inputs'],
    convert({ ctx, a, ins, outs, opset }) {
      const A = ctx.need(ins[0], 'A');
      let B = ctx.need(ins[1], 'B');
      if (opset < 7 && a.int('broadcast', 0) === 1 && a.has('axis')) {
        // legacy broadcast: B's dims align with A's starting at `axis`
        const ra = ctx.shape(A).length;
        const sb = ctx.shape(B);
        let axis = a.int('axis', 0);
        if (axis < 0) axis += ra;
        const target = [...sb, ...new Array(Math.max(0, ra - axis - sb.length)).fill(1)];
        B = { id: ctx.reshape(ctx.toPlain(B), target), layout: PLAIN };
      }
      ctx.set(outs[0], binary(ctx, op, A, B, outs[0]));
    },
  };
}

function variadicEntry(op: string, mean = false): OpEntry {
  return {
    attrs: ['consumed_inputs'],
    convert({ ctx, ins, outs }) {
      const xs = ins.filter((n) => n).map((n, i) => ctx.need(n, `data_${i}`));
      if (xs.length === 0) ctx.err('EF1009', 'has no inputs');
      let acc = xs[0];
      for (let i = 1; i < xs.length; i++) acc = binary(ctx, op, acc, xs[i], !mean && i === xs.length - 1 ? outs[0] : undefined);
      if (mean && xs.length > 1) {
        const dt = ctx.dtype(acc);
        const c = ctx.constSym(`${ctx.node}_inv_n`, { dtype: dt, shape: [], data: dt === 'float64' ? new Float64Array([1 / xs.length]) : new Float32Array([1 / xs.length]) });
        acc = binary(ctx, 'Mul', acc, c, outs[0]);
      }
      ctx.set(outs[0], acc);
    },
  };
}

const clipEntry: OpEntry = {
  attrs: ['min', 'max', 'consumed_inputs'],
  constInputs: (o) => (o >= 11 ? [1, 2] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'input');
    const attrs: Attrs = {};
    if (opset < 11) {
      const lo = a.float('min');
      const hi = a.float('max');
      if (lo !== undefined) attrs.min = lo;
      if (hi !== undefined) attrs.max = hi;
    } else {
      const lo = ctx.optConstValue(ins[1], 'min');
      const hi = ctx.optConstValue(ins[2], 'max');
      if (lo) attrs.min = lo.data[0];
      if (hi) attrs.max = hi.data[0];
    }
    ctx.set(outs[0], { id: ctx.emit1('Clip', [X.id], attrs, outs[0]), layout: X.layout });
  },
};

const preluEntry: OpEntry = {
  attrs: ['consumed_inputs'],
  convert({ ctx, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'X');
    let S = ctx.need(ins[1], 'slope');
    const xs = ctx.shape(X);
    const ss = ctx.shape(S);
    if (opset < 7 && ss.length === 1 && ss[0] > 1 && xs.length > 2) {
      // before opset 7 a 1-D slope holds one value per channel (axis 1)
      S = { id: ctx.reshape(ctx.toPlain(S), [ss[0], ...new Array(xs.length - 2).fill(1)]), layout: PLAIN };
    }
    const { ids, layout } = alignBinary(ctx, X, S);
    ctx.set(outs[0], { id: ctx.emit1('PRelu', ids, {}, outs[0]), layout });
  },
};

export const ELEMENTWISE_OPS: Record<string, OpEntry> = {
  Add: binaryEntry('Add'),
  Sub: binaryEntry('Sub'),
  Mul: binaryEntry('Mul'),
  Div: binaryEntry('Div'),
  Pow: powEntry,
  Max: variadicEntry('Max'),
  Min: variadicEntry('Min'),
  Sum: variadicEntry('Add'),
  Mean: variadicEntry('Add', true),
  Relu: unaryEntry('Relu'),
  Sigmoid: unaryEntry('Sigmoid'),
  Tanh: unaryEntry('Tanh'),
  HardSwish: unaryEntry('HardSwish'),
  LeakyRelu: unaryEntry('LeakyRelu'),
  HardSigmoid: unaryEntry('HardSigmoid'),
  Elu: unaryEntry('Elu'),
  Erf: unaryEntry('Erf'),
  Selu: unaryEntry('Selu'),
  Clip: clipEntry,
  PRelu: preluEntry,
};
