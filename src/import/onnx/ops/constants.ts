// Import-time ONNX ops: folded into constants or aliases, never in the IR.

import { shapeSize, type DType } from '../../../ir/dtype.js';
import type { Value } from '../../../ops/types.js';
import { fval, intsOf, scalarLike, type OpEntry } from './helpers.js';

const constantEntry: OpEntry = {
  attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
  convert({ ctx, a, outs }) {
    let v: Value | undefined = a.tensor('value');
    if (!v && a.has('value_float')) v = { dtype: 'float32', shape: [], data: new Float32Array([a.float('value_float', 0)]) };
    if (!v && a.has('value_floats')) v = fval('float32', a.floats('value_floats')!);
    if (!v && a.has('value_int')) v = { dtype: 'int64', shape: [], data: new Float64Array([a.int('value_int', 0)]) };
    if (!v && a.has('value_ints')) v = fval('int64', a.ints('value_ints', []));
    if (!v) return ctx.err('EF2006', 'Constant holds a string or sparse value, which espforge does not handle');
    ctx.set(outs[0], ctx.constSym(outs[0], v));
  },
};

const constantOfShapeEntry: OpEntry = {
  attrs: ['value'],
  constInputs: () => [0],
  convert({ ctx, a, ins, outs }) {
    const shape = intsOf(ctx.constValue(ins[0], 'input'));
    const fill = a.tensor('value') ?? { dtype: 'float32' as DType, shape: [1], data: new Float32Array([0]) };
    if (fill.data.length !== 1) ctx.err('EF2003', 'value must hold one element');
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) ctx.err('EF1004', `invalid shape [${shape.join(',')}]`);
    const n = shapeSize(shape);
    if (n > 1 << 26)
      ctx.err('EF1007', `ConstantOfShape would materialise [${shape.join(',')}] = ${n} elements, more than espforge folds (${1 << 26})`);
    const data = new (fill.data.constructor as Float32ArrayConstructor)(n);
    data.fill(fill.data[0]);
    ctx.set(outs[0], ctx.constSym(outs[0], { dtype: fill.dtype, shape, data }));
  },
};

const shapeEntry: OpEntry = {
  attrs: ['start', 'end'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'data');
    const sh = ctx.shape(X);
    const r = sh.length;
    const norm = (x: number) => Math.min(r, Math.max(0, x < 0 ? x + r : x));
    const s = norm(a.int('start', 0));
    const e = norm(a.int('end', r));
    ctx.set(outs[0], ctx.constSym(outs[0], fval('int64', sh.slice(s, Math.max(s, e)))));
  },
};

const identityEntry: OpEntry = {
  attrs: [],
  convert({ ctx, ins, outs }) {
    ctx.set(outs[0], ctx.need(ins[0], 'input'));
  },
};

const dropoutEntry: OpEntry = {
  attrs: ['ratio', 'is_test', 'seed', 'consumed_inputs'],
  constInputs: (o) => (o >= 12 ? [1, 2] : []),
  convert({ ctx, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    if (opset >= 12 && ins[2]) {
      const tm = ctx.constValue(ins[2], 'training_mode');
      if (tm.data[0]) ctx.err('EF2003', 'Dropout with training_mode=true is not supported (inference only)');
    }
    ctx.set(outs[0], X);
    if (outs[1]) {
      const sh = ctx.shape(X);
      const mask: Value = opset >= 10 ? { dtype: 'bool', shape: sh, data: new Uint8Array(shapeSize(sh)).fill(1) } : { ...scalarLike({ dtype: ctx.dtype(X), shape: [], data: new Float32Array(1) }, 1), shape: sh, data: new Float32Array(shapeSize(sh)).fill(1) };
      ctx.set(outs[1], ctx.constSym(outs[1], mask));
    }
  },
};

export const CONSTANT_OPS: Record<string, OpEntry> = {
  Identity: identityEntry,
  Dropout: dropoutEntry,
  Constant: constantEntry,
  ConstantOfShape: constantOfShapeEntry,
  Shape: shapeEntry,
};
