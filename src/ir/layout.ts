// Layout helpers at the graph boundary: transposing host-side data between a source model's layout
// (e.g. ONNX NCHW) and the stored IR layout (NHWC), as recorded by Tensor.sourcePerm.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize, stridesOf } from './dtype.js';
import type { Tensor } from './graph.js';
import type { Value } from '../ops/types.js';

/** out = transpose(v, perm): out.shape[i] = v.shape[perm[i]]. */
export function transposeValue(v: Value, perm: number[]): Value {
  const r = v.shape.length;
  if (perm.length !== r) fail('EF1004', `permutation [${perm}] does not match rank ${r}`);
  const outShape = perm.map((p) => v.shape[p]);
  const inStr = stridesOf(v.shape);
  const n = shapeSize(outShape);
  const out = allocArray(v.dtype, n);
  const str = perm.map((p) => inStr[p]);
  const coord = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = v.data[off];
    for (let d = r - 1; d >= 0; d--) {
      coord[d]++;
      off += str[d];
      if (coord[d] < outShape[d]) break;
      off -= str[d] * coord[d];
      coord[d] = 0;
    }
  }
  return { dtype: v.dtype, shape: outShape, data: out };
}

export function invertPerm(p: number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((x, i) => (inv[x] = i));
  return inv;
}

/** Shape of the tensor in its source model's layout. */
export function sourceShape(t: Tensor): number[] {
  if (!t.sourcePerm) return t.shape;
  const inv = invertPerm(t.sourcePerm);
  return inv.map((i) => t.shape[i]);
}

/** How host data is laid out: channels-first (PyTorch/ONNX NCHW, NCL) or channels-last (TFLite/Keras NHWC, NLC). */
export type DataLayout = 'nchw' | 'nhwc';
export const DATA_LAYOUTS: readonly DataLayout[] = ['nchw', 'nhwc'];

let defaultLayout: DataLayout | undefined;
/** The CLI's `--layout`: the layout every command assumes for data when it is given (undefined: decide by shape). */
export function setDataLayout(l: DataLayout | undefined): void {
  defaultLayout = l;
}
export function getDataLayout(): DataLayout | undefined {
  return defaultLayout;
}

/** A decision on how to read host data of some shape for a graph input: reshape to `shape`, then transpose by `perm`. */
export interface LayoutPlan {
  /** The shape the data is read as (same element count as the data). */
  readAs: number[];
  /** stored = transpose(readAs, perm); undefined when no transposition. */
  perm?: number[];
  /** 'nchw' (channels-first) or 'nhwc' (the stored channels-last layout), for messages. */
  layout: DataLayout;
}

const eqShape = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const nonUnit = (s: number[]) => s.filter((d) => d !== 1);
const fmt = (s: number[]) => `[${s.join(',')}]`;

/** Channels-first → stored permutation of input `t`: its sourcePerm, or NCHW→NHWC / NCL→NLC for a rank-4/3 input. */
function channelsFirstPerm(t: Tensor): number[] | undefined {
  if (t.sourcePerm) return t.sourcePerm;
  if (t.shape.length === 4) return [0, 2, 3, 1];
  if (t.shape.length === 3) return [0, 2, 1];
  return undefined;
}

/** True when transposing by `perm` moves no element (only unit axes change places). */
function trivialPerm(shape: number[], perm: number[]): boolean {
  const moved = perm.filter((p) => shape[p] !== 1);
  return moved.every((p, i) => i === 0 || p > moved[i - 1]);
}

/**
 * The one layout rule for data fed to graph input `t` (run --input, eval --data, quantize/build --calib...).
 * `shape` is the data's shape with a leading batch axis of 1 for dataset samples. The model's source layout is
 * known: channels-first when the input carries `sourcePerm` (ONNX), channels-last otherwise (TFLite, Keras).
 *  - data in the stored (channels-last) shape is taken as it is; data in the channels-first shape of an ONNX input
 *    is transposed; unit axes may be dropped or added, never reordered;
 *  - flat data (one non-unit axis) is read in the model's source layout;
 *  - when both readings fit and give different element orders (e.g. C == H == W), it is ambiguous: EF1013;
 *  - channels-first data for a channels-last model, or a shape that fits neither: EF1004 naming both shapes;
 *  - `layout` ('nchw' | 'nhwc', the CLI's --layout) says which reading to use; then any shape of the same size
 *    is read in that layout.
 */
export function planLayout(shape: number[], t: Tensor, layout: DataLayout | undefined = defaultLayout, file?: string): LayoutPlan {
  const want = t.shape.map((d) => (d < 0 ? 1 : d));
  const perm = channelsFirstPerm(t);
  const cf = perm ? invertPerm(perm).map((i) => want[i]) : undefined; // channels-first shape of the input
  const size = shapeSize(want);
  const stored: LayoutPlan = { readAs: want, layout: 'nhwc' };
  const first: LayoutPlan | undefined = perm && cf && !trivialPerm(cf, perm) ? { readAs: cf, perm, layout: 'nchw' } : undefined;
  const sourceFirst = t.sourcePerm !== undefined;
  const what = (l: DataLayout) => (l === 'nchw' ? (want.length === 3 ? 'channels-first NCL' : 'channels-first NCHW') : want.length === 3 ? 'channels-last NLC' : want.length === 4 ? 'channels-last NHWC' : 'the model input');
  const where = { file, node: t.name };
  if (shapeSize(shape) !== size || (shape.length > 0 && shape.some((d) => !Number.isInteger(d) || d < 0))) {
    return fail('EF1004', `input '${t.name}' expects ${fmt(want)} (${what('nhwc')})${cf && perm && !trivialPerm(cf, perm) ? ` or ${fmt(cf)} (${what('nchw')})` : ''}, got ${fmt(shape)} (${shapeSize(shape)} values, not ${size})`, where);
  }
  if (layout === 'nhwc') return stored;
  if (layout === 'nchw') return first ?? stored;
  const fitsStored = eqShape(shape, want) || eqShape(nonUnit(shape), nonUnit(want));
  const fitsFirst = first !== undefined && (eqShape(shape, first.readAs) || eqShape(nonUnit(shape), nonUnit(first.readAs)));
  if (!first) return stored; // both readings are the same element order
  if (fitsStored && fitsFirst && sourceFirst)
    return fail('EF1013', `data of shape ${fmt(shape)} for input '${t.name}' fits both ${fmt(cf!)} (${what('nchw')}, the model's source layout) and ${fmt(want)} (${what('nhwc')}), which order the values differently`, {
      ...where,
      suggestion: 'say which with --layout nchw or --layout nhwc',
    });
  if (fitsStored) return stored;
  if (fitsFirst && sourceFirst) return first;
  if (nonUnit(shape).length <= 1) return sourceFirst ? first : stored; // flat data: the source model's layout
  if (fitsFirst)
    return fail('EF1004', `data of shape ${fmt(shape)} looks ${what('nchw')}, but input '${t.name}' is ${fmt(want)} (${what('nhwc')}: the model's own layout)`, {
      ...where,
      suggestion: `transpose the data, or give --layout nchw to have espforge transpose it`,
    });
  return fail('EF1004', `data of shape ${fmt(shape)} fits neither ${fmt(want)} (${what('nhwc')}) nor ${fmt(cf!)} (${what('nchw')}) for input '${t.name}'`, {
    ...where,
    suggestion: 'reshape the data to one of them, or give --layout nchw|nhwc to read it in that layout',
  });
}

/** Apply a layout plan to a value (its size already checked by planLayout). */
export function applyLayout(v: Value, plan: LayoutPlan): Value {
  const r = { ...v, shape: plan.readAs };
  return plan.perm ? transposeValue(r, plan.perm) : r;
}

/** Bring a host value into the stored layout of graph input `t` by the layout rule (planLayout). */
export function toStoredLayout(v: Value, t: Tensor, layout?: DataLayout, file?: string): Value {
  return applyLayout(v, planLayout(v.shape, t, layout ?? defaultLayout, file));
}

/** Bring an output value from the stored layout back to the source model's layout. */
export function toSourceLayout(v: Value, t: Tensor): Value {
  return t.sourcePerm ? transposeValue(v, invertPerm(t.sourcePerm)) : v;
}
