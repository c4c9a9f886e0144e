// Axis and shape ONNX ops: Softmax, Concat, Reshape and friends, Transpose, Pad, Slice, Gather, reductions
// and ArgMax.

import { shapeSize, type DType } from '../../../ir/dtype.js';
import type { Attrs } from '../../../ir/graph.js';
import { NodeAttrs } from '../attrs.js';
import { PLAIN, clAxis, type OnnxContext, type Sym } from '../context.js';
import { constToLayout, intsOf, type OpEntry } from './helpers.js';

function softmaxEntry(op: 'Softmax' | 'LogSoftmax'): OpEntry {
  return {
    attrs: ['axis'],
    convert({ ctx, a, ins, outs, opset }) {
      const X = ctx.need(ins[0], 'input');
      const sh = ctx.shape(X);
      const r = sh.length;
      let axis = a.int('axis', opset < 13 ? 1 : -1);
      if (axis < 0) axis += r;
      if (axis < 0 || axis >= r) ctx.err('EF1006', `axis ${a.int('axis')} is out of range for rank ${r}`);
      if (opset < 13 && axis !== r - 1) {
        // before opset 13 the input is coerced to 2-D at `axis`: the same as a single-axis softmax when at most
        // one of the trailing dims is larger than 1
        const big = sh.map((_, i) => i).filter((i) => i >= axis && sh[i] !== 1);
        if (big.length <= 1) axis = big.length ? big[0] : axis;
        else {
          const lead = shapeSize(sh.slice(0, axis));
          const p = ctx.reshape(ctx.toPlain(X), [lead, shapeSize(sh.slice(axis))]);
          const y = ctx.emit1(op, [p], { axis: -1 });
          ctx.set(outs[0], { id: ctx.reshape(y, sh, outs[0]), layout: PLAIN });
          return;
        }
      }
      let id: number;
      if (X.layout.k === 'cl') id = ctx.emit1(op, [X.id], { axis: clAxis(axis, X.layout.r) }, outs[0]);
      else if (X.layout.k === 'flat' && axis === 0) id = ctx.emit1(op, [X.id], { axis: 0 }, outs[0]);
      else if (X.layout.k === 'flat') {
        ctx.set(outs[0], { id: ctx.emit1(op, [X.id], { axis: 1 }, outs[0]), layout: X.layout });
        return;
      } else id = ctx.emit1(op, [X.id], { axis }, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

const concatEntry: OpEntry = {
  attrs: ['axis'],
  convert({ ctx, a, ins, outs }) {
    const xs = ins.filter((n) => n).map((n, i) => ctx.need(n, `input_${i}`));
    const r = ctx.shape(xs[0]).length;
    let axis = a.int('axis', 1);
    if (axis < 0) axis += r;
    const cl = xs.find((x) => x.layout.k === 'cl');
    if (cl && cl.layout.k === 'cl') {
      const layout = cl.layout;
      const ids: number[] = [];
      for (const x of xs) {
        if (x.layout.k === 'cl') ids.push(x.id);
        else if (ctx.isConst(x.id) && ctx.shape(x).length === r) ids.push(constToLayout(ctx, x, layout, ctx.shape(x))!.id);
        else ids.push(ctx.toCl(x).id);
      }
      const id = ctx.emit1('Concat', ids, { axis: clAxis(axis, layout.r) }, outs[0]);
      ctx.set(outs[0], { id, layout });
      return;
    }
    const id = ctx.emit1('Concat', xs.map((x) => ctx.toPlain(x)), { axis }, outs[0]);
    ctx.set(outs[0], { id, layout: PLAIN });
  },
};

/** Target shape of an ONNX Reshape (0 copies the input dim unless allowzero). */
function reshapeTarget(inShape: number[], shape: number[], allowzero: boolean): number[] {
  return shape.map((d, i) => (d === 0 && !allowzero ? inShape[i] : d));
}

function reshapeSym(ctx: OnnxContext, X: Sym, target: number[], outName: string | undefined): Sym {
  const sh = ctx.shape(X);
  // resolve -1 against the ONNX shape
  const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const full = target.map((d) => (d === -1 ? (known === 0 ? 0 : shapeSize(sh) / known) : d));
  if (full.length === sh.length && full.every((d, i) => d === sh[i])) return X;
  if (X.layout.k === 'cl' && full.length === 2 && full[0] === sh[0]) {
    const id = ctx.reshape(X.id, full, outName);
    return { id, layout: { k: 'flat', c: sh[1], sp: sh.slice(2) } };
  }
  if (X.layout.k === 'flat' && full.length === 2 && full[0] === sh[0]) return X;
  return { id: ctx.reshape(ctx.toPlain(X), target.map((d, i) => (d === -1 ? -1 : full[i])), outName), layout: PLAIN };
}

const reshapeEntry: OpEntry = {
  attrs: ['allowzero', 'shape', 'consumed_inputs'],
  constInputs: (o) => (o >= 5 ? [1] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    const shape = opset < 5 ? a.ints('shape') : intsOf(ctx.constValue(ins[1], 'shape'));
    if (!shape) return ctx.err('EF2003', 'Reshape needs a shape');
    const target = reshapeTarget(ctx.shape(X), shape, a.int('allowzero', 0) === 1);
    ctx.set(outs[0], reshapeSym(ctx, X, target, outs[0]));
  },
};

const expandEntry: OpEntry = {
  attrs: [],
  constInputs: () => [1],
  convert({ ctx, ins, outs }) {
    const X = ctx.need(ins[0], 'input');
    const shape = intsOf(ctx.constValue(ins[1], 'shape'));
    if (!shape) return ctx.err('EF2003', 'Expand needs a constant shape');
    ctx.set(outs[0], { id: ctx.emit1('Expand', [ctx.toPlain(X)], { shape }, outs[0]), layout: PLAIN });
  },
};

const flattenEntry: OpEntry = {
  attrs: ['axis'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'input');
    const sh = ctx.shape(X);
    let axis = a.int('axis', 1);
    if (axis < 0) axis += sh.length;
    const target = [shapeSize(sh.slice(0, axis)), shapeSize(sh.slice(axis))];
    ctx.set(outs[0], reshapeSym(ctx, X, target, outs[0]));
  },
};

const transposeEntry: OpEntry = {
  attrs: ['perm'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'data');
    const r = ctx.shape(X).length;
    const perm = a.ints('perm', [...new Array(r).keys()].reverse());
    if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) ctx.err('EF2003', `perm [${perm}] is not a permutation of rank ${r}`);
    if (X.layout.k === 'cl' && X.layout.r === 4) {
      // stored axis of ONNX axis j is clAxis(j): compose to one transpose of the stored tensor
      const q = perm.map((p) => clAxis(p, 4));
      ctx.set(outs[0], { id: ctx.transpose(X.id, q, outs[0]), layout: PLAIN });
      return;
    }
    ctx.set(outs[0], { id: ctx.transpose(ctx.toPlain(X), perm, outs[0]), layout: PLAIN });
  },
};

function axesFrom(ctx: OnnxContext, a: NodeAttrs, ins: string[], opsetSwitch: number, opset: number, idx: number): number[] | undefined {
  if (opset < opsetSwitch) return a.ints('axes');
  return ins[idx] ? intsOf(ctx.constValue(ins[idx], 'axes')) : undefined;
}

const squeezeEntry: OpEntry = {
  attrs: ['axes'],
  constInputs: (o) => (o >= 13 ? [1] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    const sh = ctx.shape(X);
    const axes = (axesFrom(ctx, a, ins, 13, opset, 1) ?? sh.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((x) => (x < 0 ? x + sh.length : x));
    for (const ax of axes) if (sh[ax] !== 1) ctx.err('EF1004', `cannot squeeze axis ${ax} of [${sh.join(',')}]`);
    const target = sh.filter((_, i) => !axes.includes(i));
    ctx.set(outs[0], { id: ctx.reshape(ctx.toPlain(X), target, outs[0]), layout: PLAIN });
  },
};

const unsqueezeEntry: OpEntry = {
  attrs: ['axes'],
  constInputs: (o) => (o >= 13 ? [1] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    const sh = ctx.shape(X);
    const axes = axesFrom(ctx, a, ins, 13, opset, 1);
    if (!axes) return ctx.err('EF2003', 'Unsqueeze needs axes');
    const r = sh.length + axes.length;
    const norm = axes.map((x) => (x < 0 ? x + r : x));
    const target: number[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) target.push(norm.includes(i) ? 1 : sh[j++]);
    ctx.set(outs[0], { id: ctx.reshape(ctx.toPlain(X), target, outs[0]), layout: PLAIN });
  },
};

const padEntry: OpEntry = {
  attrs: ['mode', 'pads', 'paddings', 'value'],
  constInputs: (o) => (o >= 11 ? [1, 2, 3] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    const sh = ctx.shape(X);
    const r = sh.length;
    const mode = a.str('mode', 'constant');
    if (!['constant', 'edge', 'reflect', 'wrap'].includes(mode)) ctx.err('EF2003', `Pad mode '${mode}' is not supported`);
    let pads: number[];
    let value = 0;
    if (opset < 11) {
      pads = a.ints('pads') ?? a.ints('paddings') ?? ctx.err('EF2003', 'Pad needs pads');
      value = a.float('value', 0);
    } else {
      pads = intsOf(ctx.constValue(ins[1], 'pads'));
      // The IR's value is the fill as a real number. ONNX pads a float tensor (QDQ graphs pad the dequantized
      // values) with constant_value as it stands; a raw integer tensor carries no quantization record here, so its
      // literal integer is the value too. (A quantized TFLite PADV2 constant is converted to real in its importer.)
      const cv = ctx.optConstValue(ins[2], 'constant_value');
      if (cv) value = cv.data[0] ?? 0;
      const axes = ins[3] ? intsOf(ctx.constValue(ins[3], 'axes')) : undefined;
      if (axes) {
        const full = new Array(2 * r).fill(0);
        axes.forEach((ax, i) => {
          const x = ax < 0 ? ax + r : ax;
          full[x] = pads[i];
          full[r + x] = pads[axes.length + i];
        });
        pads = full;
      }
    }
    if (pads.length !== 2 * r) ctx.err('EF1006', `pads has ${pads.length} entries for rank ${r}`);
    if (X.layout.k === 'cl') {
      const L = X.layout;
      const sp = new Array(8).fill(0);
      for (let j = 0; j < r; j++) {
        sp[clAxis(j, L.r)] = pads[j];
        sp[4 + clAxis(j, L.r)] = pads[r + j];
      }
      ctx.set(outs[0], { id: ctx.emit1('Pad', [X.id], { pads: sp, mode, value }, outs[0]), layout: L });
      return;
    }
    ctx.set(outs[0], { id: ctx.emit1('Pad', [ctx.toPlain(X)], { pads, mode, value }, outs[0]), layout: PLAIN });
  },
};

const I32 = 2147483647;
const clampI = (x: number) => (x > I32 ? I32 : x < -I32 - 1 ? -I32 - 1 : x);

const sliceEntry: OpEntry = {
  attrs: ['axes', 'ends', 'starts'],
  constInputs: (o) => (o >= 10 ? [1, 2, 3, 4] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'data');
    const r = ctx.shape(X).length;
    let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
    if (opset < 10) {
      starts = a.ints('starts') ?? ctx.err('EF2003', 'Slice needs starts');
      ends = a.ints('ends') ?? ctx.err('EF2003', 'Slice needs ends');
      axes = a.ints('axes');
    } else {
      starts = intsOf(ctx.constValue(ins[1], 'starts'));
      ends = intsOf(ctx.constValue(ins[2], 'ends'));
      axes = ins[3] ? intsOf(ctx.constValue(ins[3], 'axes')) : undefined;
      steps = ins[4] ? intsOf(ctx.constValue(ins[4], 'steps')) : undefined;
    }
    axes = (axes ?? starts.map((_, i) => i)).map((x) => (x < 0 ? x + r : x));
    const attrs: Attrs = { starts: starts.map(clampI), ends: ends.map(clampI) };
    if (steps) attrs.steps = steps.map(clampI);
    if (X.layout.k === 'cl') {
      const L = X.layout;
      attrs.axes = axes.map((x) => clAxis(x, L.r));
      ctx.set(outs[0], { id: ctx.emit1('Slice', [X.id], attrs, outs[0]), layout: L });
      return;
    }
    attrs.axes = axes;
    ctx.set(outs[0], { id: ctx.emit1('Slice', [ctx.toPlain(X)], attrs, outs[0]), layout: PLAIN });
  },
};

const gatherEntry: OpEntry = {
  attrs: ['axis'],
  constInputs: () => [1],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'data');
    const r = ctx.shape(X).length;
    const iv = ctx.constValue(ins[1], 'indices');
    let axis = a.int('axis', 0);
    if (axis < 0) axis += r;
    const idx = iv.dtype === 'int64' || iv.dtype === 'int32' ? iv : { ...iv, dtype: 'int64' as DType, data: Float64Array.from(iv.data) };
    const iid = ctx.constant(`${ins[1]}`, idx);
    if (X.layout.k === 'cl' && idx.shape.length === 1) {
      const L = X.layout;
      ctx.set(outs[0], { id: ctx.emit1('Gather', [X.id, iid], { axis: clAxis(axis, L.r) }, outs[0]), layout: L });
      return;
    }
    ctx.set(outs[0], { id: ctx.emit1('Gather', [ctx.toPlain(X), iid], { axis }, outs[0]), layout: PLAIN });
  },
};

/** Reduction (or ArgMax) over ONNX axes, following the cl layout where the result stays well-defined. */
function reduceLike(ctx: OnnxContext, op: string, X: Sym, axes: number[], keepdims: number, extra: Attrs, outName: string | undefined): Sym {
  const r = ctx.shape(X).length;
  const norm = axes.map((x) => (x < 0 ? x + r : x));
  const single = op === 'ArgMax';
  if (X.layout.k === 'cl') {
    const L = X.layout;
    const sAxes = norm.map((x) => clAxis(x, L.r));
    if (keepdims) {
      const attrs: Attrs = single ? { axis: sAxes[0], keepdims: 1, ...extra } : { axes: sAxes, keepdims: 1, ...extra };
      return { id: ctx.emit1(op, [X.id], attrs, outName), layout: L };
    }
    // keepdims=0: fine when the remaining stored axes are in ONNX order (e.g. [N,H,W,C] over H,W → [N,C])
    const all = L.r === 3 && !single ? [...sAxes, 1] : sAxes;
    const remain = [0, 1, 2, 3].filter((s) => !all.includes(s));
    const inv = L.r === 4 ? [0, 2, 3, 1] : [0, -1, 2, 1];
    const order = remain.map((s) => inv[s]);
    if (!single && order.every((o, i) => o >= 0 && (i === 0 || o > order[i - 1]))) {
      return { id: ctx.emit1(op, [X.id], { axes: all, keepdims: 0, ...extra }, outName), layout: PLAIN };
    }
  }
  const xid = ctx.toPlain(X);
  const attrs: Attrs = single ? { axis: norm[0], keepdims, ...extra } : { axes: norm, keepdims, ...extra };
  return { id: ctx.emit1(op, [xid], attrs, outName), layout: PLAIN };
}

function reduceEntry(op: 'ReduceMean' | 'ReduceMax'): OpEntry {
  return {
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    constInputs: (o) => (o >= 18 ? [1] : []),
    convert({ ctx, a, ins, outs, opset }) {
      const X = ctx.need(ins[0], 'data');
      const r = ctx.shape(X).length;
      let axes = axesFrom(ctx, a, ins, 18, opset, 1);
      if (!axes || axes.length === 0) {
        if (a.int('noop_with_empty_axes', 0) === 1) {
          ctx.set(outs[0], X);
          return;
        }
        axes = [...new Array(r).keys()];
      }
      ctx.set(outs[0], reduceLike(ctx, op, X, axes, a.int('keepdims', 1), {}, outs[0]));
    },
  };
}

const argmaxEntry: OpEntry = {
  attrs: ['axis', 'keepdims', 'select_last_index'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'data');
    ctx.set(outs[0], reduceLike(ctx, 'ArgMax', X, [a.int('axis', 0)], a.int('keepdims', 1), { select_last_index: a.int('select_last_index', 0) }, outs[0]));
  },
};

export const AXIS_OPS: Record<string, OpEntry> = {
  Softmax: softmaxEntry('Softmax'),
  LogSoftmax: softmaxEntry('LogSoftmax'),
  Concat: concatEntry,
  Reshape: reshapeEntry,
  Flatten: flattenEntry,
  Expand: expandEntry,
  Transpose: transposeEntry,
  Squeeze: squeezeEntry,
  Unsqueeze: unsqueezeEntry,
  Pad: padEntry,
  Slice: sliceEntry,
  Gather: gatherEntry,
  ReduceMean: reduceEntry('ReduceMean'),
  ReduceMax: reduceEntry('ReduceMax'),
  ArgMax: argmaxEntry,
};
