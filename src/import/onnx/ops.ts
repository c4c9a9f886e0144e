// The ONNX op table: for each supported ONNX operator, the attributes it accepts, which inputs must be
// constants, and the converter to canonical registry ops (src/ops/). Version differences are resolved here
// against the model's default-domain opset (the newest operator version ≤ that opset applies).

import { shapeSize, type DType } from '../../ir/dtype.js';
import type { Attrs } from '../../ir/graph.js';
import { transposeValue } from '../../ir/layout.js';
import { getOp } from '../../ops/index.js';
import type { Value } from '../../ops/types.js';
import { NodeAttrs } from './attrs.js';
import { PLAIN, clAxis, type Layout, type OnnxContext, type Sym } from './context.js';
import type { NodeProto } from './proto.js';
import { ONNX_DTYPE, ONNX_DTYPE_NAME } from './tensor.js';

export interface ConvertArgs {
  ctx: OnnxContext;
  node: NodeProto;
  a: NodeAttrs;
  ins: string[];
  outs: string[];
  opset: number;
}

export interface OpEntry {
  /** Attributes accepted (any other → EF2003). May depend on the opset. */
  attrs: readonly string[];
  /** ONNX input positions that must hold constants (bound / folded) at this opset. */
  constInputs?: (opset: number) => number[];
  convert(x: ConvertArgs): void;
}

// ---------------------------------------------------------------------------------------------------------
// helpers

/** Whether the registry op declares an attribute (optional refinements some op versions add). */
function hasAttr(op: string, name: string): boolean {
  return getOp(op).attrs[name] !== undefined;
}

const isOnes = (s: number[]) => s.every((d) => d === 1);

function fval(dtype: DType, xs: number[]): Value {
  const data = dtype === 'float32' ? new Float32Array(xs) : dtype === 'int64' || dtype === 'float64' ? new Float64Array(xs) : new Int32Array(xs);
  return { dtype, shape: [xs.length], data };
}

function scalarLike(v: Value, x: number): Value {
  const data = new (v.data.constructor as Float32ArrayConstructor)(1);
  data[0] = x;
  return { dtype: v.dtype, shape: [], data };
}

function intsOf(v: Value): number[] {
  return Array.from(v.data as ArrayLike<number>);
}

/** Permute a constant value (ONNX layout, rank ≤ target) into the stored form of `layout` with ONNX shape `full`. */
function constToLayout(ctx: OnnxContext, c: Sym, layout: Layout, full: number[]): Sym | undefined {
  const v = ctx.value(c.id);
  if (!v) return undefined;
  if (shapeSize(v.shape) === 1) return c;
  if (layout.k === 'cl') {
    const r = layout.r;
    if (v.shape.length > r) return undefined;
    const sh = [...new Array(r - v.shape.length).fill(1), ...v.shape];
    const x = { ...v, shape: sh };
    const t = r === 4 ? transposeValue(x, [0, 2, 3, 1]) : transposeValue(x, [0, 2, 1]);
    const st = r === 4 ? t.shape : [t.shape[0], 1, t.shape[1], t.shape[2]];
    return ctx.constSym(`${ctx.node}_cl`, { ...t, shape: st });
  }
  if (layout.k === 'flat') {
    const k = full[full.length - 1];
    const nonOne = v.shape.filter((d) => d !== 1);
    if (v.shape.length > 2 || nonOne.length !== 1 || v.shape[v.shape.length - 1] !== k) return undefined;
    const out = v.data.slice();
    permuteFlat(v.data, out, layout.c, layout.sp, 1);
    return ctx.constSym(`${ctx.node}_hwc`, { ...v, data: out });
  }
  return c;
}

/** out[rows × (S*C) in HWC order] = in[rows × (C*S) in CHW order]. */
function permuteFlat(src: ArrayLike<number>, dst: { [i: number]: number }, c: number, sp: number[], rows: number): void {
  const s = shapeSize(sp);
  const k = c * s;
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < s; p++) dst[base + p * c + ch] = src[base + ch * s + p];
  }
}

/** Bring two operands of an element-wise op to a common layout. Returns ids and the result layout. */
export function alignBinary(ctx: OnnxContext, A: Sym, B: Sym): { ids: [number, number]; layout: Layout } {
  const la = A.layout;
  const lb = B.layout;
  const sa = ctx.shape(A);
  const sb = ctx.shape(B);
  const same = (x: Layout, y: Layout) => JSON.stringify(x) === JSON.stringify(y);
  if (same(la, lb)) return { ids: [A.id, B.id], layout: la };
  if (la.k === 'plain' && lb.k === 'plain') return { ids: [A.id, B.id], layout: PLAIN };
  // one side permuted: a constant or a one-element operand follows it
  const tryFollow = (P: Sym, sp: number[], Q: Sym, sq: number[]): number | undefined => {
    if (Q.layout.k !== 'plain') return undefined;
    if (isOnes(sq) && sq.length <= sp.length) return Q.id;
    if (ctx.isConst(Q.id) && sq.length <= sp.length) return constToLayout(ctx, Q, P.layout, sp)?.id;
    if (P.layout.k === 'cl' && sq.length === sp.length) return ctx.toCl(Q).id;
    return undefined;
  };
  if (la.k !== 'plain') {
    const q = tryFollow(A, sa, B, sb);
    if (q !== undefined) return { ids: [A.id, q], layout: la };
  }
  if (lb.k !== 'plain') {
    const q = tryFollow(B, sb, A, sa);
    if (q !== undefined) return { ids: [q, B.id], layout: lb };
  }
  return { ids: [ctx.toPlain(A), ctx.toPlain(B)], layout: PLAIN };
}

function binary(ctx: OnnxContext, op: string, A: Sym, B: Sym, outName?: string): Sym {
  const { ids, layout } = alignBinary(ctx, A, B);
  const id = ctx.emit1(op, ids, {}, outName);
  return { id, layout };
}

/** Explicit begin/end pads for windowed ops from auto_pad / pads (ONNX order: all begins, then all ends). */
function windowPads(
  ctx: OnnxContext,
  a: NodeAttrs,
  inSp: number[],
  k: number[],
  s: number[],
  d: number[],
): { begin: number[]; end: number[] } {
  const n = inSp.length;
  const autoPad = a.str('auto_pad', 'NOTSET');
  const pads = a.ints('pads', new Array(2 * n).fill(0));
  if (pads.length !== 2 * n) ctx.err('EF2003', `pads has ${pads.length} entries, ${2 * n} expected`);
  if (autoPad === 'NOTSET') return { begin: pads.slice(0, n), end: pads.slice(n) };
  if (autoPad === 'VALID') return { begin: new Array(n).fill(0), end: new Array(n).fill(0) };
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') ctx.err('EF2003', `auto_pad '${autoPad}' is not supported`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    const out = Math.ceil(inSp[i] / s[i]);
    const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inSp[i]);
    const small = Math.floor(total / 2);
    if (autoPad === 'SAME_UPPER') begin.push(small), end.push(total - small);
    else begin.push(total - small), end.push(small);
  }
  return { begin, end };
}

/** Spatial attrs of a 1-D or 2-D windowed op, expressed as 2-D (H=1 for 1-D). */
function to2d(xs: number[], n: number, fill: number): number[] {
  return n === 1 ? [fill, xs[0]] : xs;
}
function pads2d(begin: number[], end: number[]): number[] {
  return begin.length === 1 ? [0, begin[0], 0, end[0]] : [begin[0], begin[1], end[0], end[1]];
}

function needRank(ctx: OnnxContext, s: Sym, ranks: number[], what: string): number[] {
  const sh = ctx.shape(s);
  if (!ranks.includes(sh.length))
    ctx.err('EF2003', `${what} supports ${ranks.map((r) => `${r}-D`).join(' and ')} inputs only, got [${sh.join(',')}]`);
  return sh;
}

const unaryOps: Record<string, { op: string; attrs: Record<string, string>; versions?: Record<string, number> }> = {
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

// ---------------------------------------------------------------------------------------------------------
// spatial ops

function convEntry(transpose: boolean): OpEntry {
  return {
    attrs: transpose
      ? ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides']
      : ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    constInputs: () => [1, 2],
    convert({ ctx, a, ins, outs }) {
      const X0 = ctx.need(ins[0], 'X');
      const xs = needRank(ctx, X0, [3, 4], transpose ? 'ConvTranspose' : 'Conv');
      const n = xs.length - 2;
      const X = ctx.toCl(X0);
      const W = ctx.constValue(ins[1], 'W');
      const Bv = ctx.optConstValue(ins[2], 'B');
      if (W.shape.length !== n + 2) ctx.err('EF1004', `weight W has shape [${W.shape.join(',')}], rank ${n + 2} expected`);
      const k = a.ints('kernel_shape', W.shape.slice(2));
      if (k.length !== n || k.some((v, i) => v !== W.shape[2 + i]))
        ctx.err('EF1004', `kernel_shape [${k.join(',')}] does not match W [${W.shape.join(',')}]`);
      const s = a.ints('strides', new Array(n).fill(1));
      const d = a.ints('dilations', new Array(n).fill(1));
      const group = a.int('group', 1);
      const inSp = xs.slice(2);
      // weights: OIHW → OHWI (Conv) / IOHW → IHWO (ConvTranspose); 1-D gets H=1
      const w4 = n === 1 ? { ...W, shape: [W.shape[0], W.shape[1], 1, W.shape[2]] } : W;
      const wt = transposeValue(w4, [0, 2, 3, 1]);
      const wid = ctx.constant(`${ins[1]}_${transpose ? 'ihwo' : 'ohwi'}`, wt);
      const bid = Bv ? ctx.constant(ins[2], Bv) : -1;
      let attrs: Attrs;
      if (!transpose) {
        const { begin, end } = windowPads(ctx, a, inSp, k, s, d);
        attrs = { strides: to2d(s, n, 1), dilations: to2d(d, n, 1), pads: pads2d(begin, end), group };
      } else {
        const op = a.ints('output_padding', new Array(n).fill(0));
        const outShape = a.ints('output_shape');
        const autoPad = a.str('auto_pad', 'NOTSET');
        let begin: number[];
        let end: number[];
        const opad = op.slice();
        if (outShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
          const want = outShape ? outShape.slice(-n) : inSp.map((v, i) => v * s[i]);
          begin = [];
          end = [];
          for (let i = 0; i < n; i++) {
            const total = s[i] * (inSp[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - want[i];
            if (total < 0) {
              begin.push(0), end.push(0);
              opad[i] = op[i] - total;
            } else {
              const small = Math.floor(total / 2);
              if (autoPad === 'SAME_UPPER') begin.push(small), end.push(total - small);
              else begin.push(total - small), end.push(small);
            }
          }
        } else if (autoPad === 'VALID') {
          begin = new Array(n).fill(0);
          end = new Array(n).fill(0);
        } else {
          if (autoPad !== 'NOTSET') ctx.err('EF2003', `auto_pad '${autoPad}' is not supported`);
          const p = a.ints('pads', new Array(2 * n).fill(0));
          begin = p.slice(0, n);
          end = p.slice(n);
        }
        attrs = { strides: to2d(s, n, 1), dilations: to2d(d, n, 1), pads: pads2d(begin, end), output_padding: to2d(opad, n, 0), group };
      }
      const id = ctx.emit1(transpose ? 'ConvTranspose' : 'Conv', [X.id, wid, bid], attrs, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

function poolEntry(op: 'MaxPool' | 'AveragePool'): OpEntry {
  return {
    attrs:
      op === 'MaxPool'
        ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
        : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    convert({ ctx, a, ins, outs }) {
      if (outs[1]) ctx.err('EF2003', 'the Indices output of MaxPool is not supported');
      const X0 = ctx.need(ins[0], 'X');
      const xs = needRank(ctx, X0, [3, 4], op);
      const n = xs.length - 2;
      const X = ctx.toCl(X0);
      const k = a.ints('kernel_shape');
      if (!k || k.length !== n) return ctx.err('EF2003', `kernel_shape must list ${n} sizes`);
      const s = a.ints('strides', new Array(n).fill(1));
      const d = a.ints('dilations', new Array(n).fill(1));
      const { begin, end } = windowPads(ctx, a, xs.slice(2), k, s, d);
      const attrs: Attrs = {
        kernel: to2d(k, n, 1),
        strides: to2d(s, n, 1),
        pads: pads2d(begin, end),
        dilations: to2d(d, n, 1),
        ceil_mode: a.int('ceil_mode', 0),
      };
      if (op === 'AveragePool') attrs.count_include_pad = a.int('count_include_pad', 0);
      const id = ctx.emit1(op, [X.id], attrs, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

function globalPoolEntry(op: 'ReduceMean' | 'ReduceMax'): OpEntry {
  return {
    attrs: [],
    convert({ ctx, ins, outs }) {
      const X0 = ctx.need(ins[0], 'X');
      needRank(ctx, X0, [3, 4], op === 'ReduceMean' ? 'GlobalAveragePool' : 'GlobalMaxPool');
      const X = ctx.toCl(X0);
      const id = ctx.emit1(op, [X.id], { axes: [1, 2], keepdims: 1 }, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// dense

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

// ---------------------------------------------------------------------------------------------------------
// axis ops

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

// ---------------------------------------------------------------------------------------------------------
// normalization, resize, casts, quantization

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

function resizeCommon(
  ctx: OnnxContext,
  X0: Sym,
  scales: number[] | undefined,
  sizes: number[] | undefined,
  attrs: Attrs,
  outName: string | undefined,
): void {
  const sh = needRank(ctx, X0, [4], 'Resize');
  let out: number[];
  if (sizes) out = sizes;
  else if (scales) out = sh.map((d, i) => Math.floor(d * scales[i]));
  else return ctx.err('EF1009', 'Resize needs scales or sizes');
  if (out[0] !== sh[0] || out[1] !== sh[1]) ctx.err('EF2003', 'resizing the batch or channel axis is not supported');
  const X = ctx.toCl(X0);
  const full: Attrs = { ...attrs, sizes: [out[0], out[2], out[3], out[1]] };
  if (scales && hasAttr('Resize', 'scales')) full.scales = [scales[0], scales[2], scales[3], scales[1]];
  ctx.set(outName, { id: ctx.emit1('Resize', [X.id], full, outName), layout: X.layout });
}

const resizeEntry: OpEntry = {
  attrs: ['mode', 'coordinate_transformation_mode', 'nearest_mode', 'cubic_coeff_a', 'exclude_outside', 'extrapolation_value', 'antialias', 'axes', 'keep_aspect_ratio_policy'],
  constInputs: (o) => (o >= 11 ? [1, 2, 3] : [1]),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'X');
    const sh = ctx.shape(X);
    const r = sh.length;
    const mode = a.str('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') ctx.err('EF2003', `Resize mode '${mode}' is not supported (nearest, linear)`);
    if (a.int('antialias', 0) !== 0) ctx.err('EF2003', 'antialias=1 is not supported');
    if (a.int('exclude_outside', 0) !== 0) ctx.err('EF2003', 'exclude_outside=1 is not supported');
    let ctm: string;
    let nearest: string;
    let scales: number[] | undefined;
    let sizes: number[] | undefined;
    if (opset < 11) {
      ctm = 'asymmetric';
      nearest = 'floor';
      scales = Array.from(ctx.constValue(ins[1], 'scales').data);
    } else {
      ctm = a.str('coordinate_transformation_mode', 'half_pixel');
      nearest = a.str('nearest_mode', 'round_prefer_floor');
      if (ctm === 'tf_crop_and_resize') ctx.err('EF2003', "coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
      const sv = ins[2] ? ctx.constValue(ins[2], 'scales') : undefined;
      const zv = ins[3] ? ctx.constValue(ins[3], 'sizes') : undefined;
      const axes = (a.ints('axes') ?? [...new Array(r).keys()]).map((x) => (x < 0 ? x + r : x));
      if (sv && sv.data.length > 0) {
        scales = new Array(r).fill(1);
        axes.forEach((ax, i) => (scales![ax] = sv.data[i]));
      }
      if (zv && zv.data.length > 0) {
        sizes = sh.slice();
        const policy = a.str('keep_aspect_ratio_policy', 'stretch');
        if (policy === 'stretch') axes.forEach((ax, i) => (sizes![ax] = zv.data[i]));
        else {
          const ratios = axes.map((ax, i) => zv.data[i] / sh[ax]);
          const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
          axes.forEach((ax) => (sizes![ax] = Math.round(s * sh[ax])));
          // the scale used by the coordinate transform is the common one
          scales = new Array(r).fill(1);
          axes.forEach((ax) => (scales![ax] = s));
        }
      }
    }
    const attrs: Attrs = { mode, coordinate_transformation_mode: ctm, nearest_mode: nearest };
    if (sizes && scales && a.str('keep_aspect_ratio_policy', 'stretch') === 'stretch') scales = undefined;
    resizeCommon(ctx, X, scales, sizes, attrs, outs[0]);
  },
};

const upsampleEntry: OpEntry = {
  attrs: ['mode', 'scales', 'height_scale', 'width_scale'],
  constInputs: (o) => (o >= 9 ? [1] : []),
  convert({ ctx, a, ins, outs, opset }) {
    const X = ctx.need(ins[0], 'X');
    let mode = a.str('mode', 'nearest');
    if (mode === 'bilinear') mode = 'linear';
    if (mode !== 'nearest' && mode !== 'linear') ctx.err('EF2003', `Upsample mode '${mode}' is not supported`);
    const scales = opset >= 9 ? Array.from(ctx.constValue(ins[1], 'scales').data) : a.floats('scales') ?? ctx.err('EF2003', 'Upsample needs scales');
    resizeCommon(ctx, X, scales, undefined, { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, outs[0]);
  },
};

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

function canonDType(ctx: OnnxContext, code: number, what: string): DType {
  const dt = ONNX_DTYPE[code];
  if (!dt) ctx.err('EF2006', `${what} ${ONNX_DTYPE_NAME[code] ?? code} is not supported`);
  return dt;
}

const castEntry: OpEntry = {
  attrs: ['to', 'saturate', 'round_mode'],
  convert({ ctx, a, ins, outs }) {
    const X = ctx.need(ins[0], 'input');
    const to = canonDType(ctx, a.int('to', 0), 'Cast to');
    ctx.set(outs[0], { id: ctx.emit1('Cast', [X.id], { to }, outs[0]), layout: X.layout });
  },
};

function quantEntry(q: boolean): OpEntry {
  return {
    attrs: ['axis', 'saturate', 'block_size', 'output_dtype', 'precision'],
    constInputs: () => [1, 2],
    convert({ ctx, a, ins, outs }) {
      const X = ctx.need(ins[0], 'x');
      if (a.int('block_size', 0) !== 0) ctx.err('EF2003', 'blocked quantization (block_size) is not supported');
      const sv = ctx.constValue(ins[1], 'scale');
      const zv = ctx.optConstValue(ins[2], 'zero_point');
      const r = ctx.shape(X).length;
      let axis = a.int('axis', 1);
      if (axis < 0) axis += r;
      const perAxis = sv.shape.length === 1 && sv.data.length > 1;
      const attrs: Attrs = {
        scale: Array.from(sv.data),
        zero_point: zv ? Array.from(zv.data) : new Array(sv.data.length).fill(0),
      };
      if (perAxis) attrs.axis = X.layout.k === 'cl' ? clAxis(axis, X.layout.r) : axis;
      if (q) {
        const od = a.int('output_dtype', 0);
        const to = zv ? zv.dtype : od ? canonDType(ctx, od, 'output_dtype') : 'uint8';
        if (!['int8', 'uint8', 'int16', 'uint16', 'int32'].includes(to)) ctx.err('EF2006', `QuantizeLinear to ${to} is not supported`);
        attrs.to = to;
        if (hasAttr('Quantize', 'rounding')) attrs.rounding = 'half_even';
      }
      const keep = perAxis && X.layout.k === 'flat' ? false : true;
      const xid = keep ? X.id : ctx.toPlain(X);
      ctx.set(outs[0], { id: ctx.emit1(q ? 'Quantize' : 'Dequantize', [xid], attrs, outs[0]), layout: keep ? X.layout : PLAIN });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// import-time ops: folded into constants, never in the IR

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

// ---------------------------------------------------------------------------------------------------------

export const OP_TABLE: Record<string, OpEntry> = {
  Conv: convEntry(false),
  ConvTranspose: convEntry(true),
  Gemm: gemmEntry,
  MatMul: matmulEntry,
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
  Softmax: softmaxEntry('Softmax'),
  LogSoftmax: softmaxEntry('LogSoftmax'),
  MaxPool: poolEntry('MaxPool'),
  AveragePool: poolEntry('AveragePool'),
  GlobalAveragePool: globalPoolEntry('ReduceMean'),
  GlobalMaxPool: globalPoolEntry('ReduceMax'),
  BatchNormalization: batchNormEntry,
  LayerNormalization: layerNormEntry,
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
  Identity: identityEntry,
  Dropout: dropoutEntry,
  Resize: resizeEntry,
  Upsample: upsampleEntry,
  Cast: castEntry,
  QuantizeLinear: quantEntry(true),
  DequantizeLinear: quantEntry(false),
  Constant: constantEntry,
  ConstantOfShape: constantOfShapeEntry,
  Shape: shapeEntry,
};

/** ONNX operators the importer converts (for docs and the conformance runner). */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(OP_TABLE).sort();
