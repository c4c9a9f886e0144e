// What one op's portable C lowering declares (CLowering), the per-layer context it is handed (LowerCtx), and the
// helpers the lowerings share. The lowering modules (src/codegen/c/ops/*.ts) import only this module, the IR
// and the fixed tables they emit: never emit.ts nor the op registry at run time, so a registry entry can point
// at its lowering without an import cycle. Whatever a lowering needs from the registry (normalised attributes,
// the op's own float evaluation) comes in through the context.

import { fail } from '../../diagnostics.js';
import { shapeSize } from '../../ir/dtype.js';
import type { Attrs, Graph, Node, Tensor } from '../../ir/graph.js';
import type { OpDef } from '../../ops/types.js';
import type { Walk } from '../../plan/overlap.js';
import { commentSafe } from '../common/cwriter.js';

export type QP = Record<string, number | number[]>;

export interface ConstArray {
  sym: string;
  ctype: 'int8_t' | 'int32_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int64_t';
  data: ArrayLike<number>;
  comment: string;
  /** In NAME_weights.c (flash, extern) or in NAME.c (static const qparams). */
  where: 'weights' | 'model';
  /** One array for the whole model (a fixed table): emitted once however many layers use it. */
  shared?: boolean;
}

export const CTYPE_BYTES: Record<ConstArray['ctype'], number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, int64_t: 8 };

export interface LayerCode {
  /** Kernel sections (src/codegen/c/kernels/*.c) the call uses; a back end's own kernels as 'backend:name'. */
  kernel: string[];
  /** Optional code blocks of those sections the call reaches (`/*@@ if SECTION.NAME *\/` ... `/*@@ endif *\/` in
   * kernels/*.c): a model keeps a block only when one of its layers names it. A layer naming a section that has
   * such blocks must name the ones it reaches (emit.ts checks that it names at least one). */
  variants?: string[];
  call: string;
  consts: ConstArray[];
  notes: string[];
}

/** Everything a lowering gets to emit layer i: the graph, arena pointers, and the layer's const / note lists. */
export interface LowerCtx {
  g: Graph;
  n: Node;
  i: number;
  /** Symbol prefix of the model. */
  P: string;
  /** Symbol stem of this layer's constants. */
  L: string;
  q: QP | undefined;
  T: (id: number) => Tensor;
  /** Input 0 and output 0. */
  X: Tensor;
  Y: Tensor;
  ptr: (id: number, cast?: string) => string;
  cptr: (id: number, cast?: string) => string;
  /** The layer's constant arrays and comment notes, in emission order (push to them). */
  consts: ConstArray[];
  notes: string[];
  /** Optional kernel blocks the layer reaches through shared helpers (qArrays pushes rq.left); emit.ts adds them to
   * the LayerCode's own variants. */
  variants: string[];
  /** The op's registry entry (its float evaluation is the reference for selection tables). */
  def: OpDef;
  /** The node's attributes normalised by the registry (defaults filled in). */
  attrs: () => Attrs;
  /** The memory plan lets this layer's output share bytes with input 0 (emit the kernel whose `walk` was declared). */
  overlapped?: boolean;
  /**
   * Row-band execution (src/codegen/c/row-bands.ts): emit the call for a range of output rows, with these C
   * expressions in place of input 0's pointer, its row count and top padding, the output pointer and the output row
   * count (every other argument as for the whole layer). Only set for a lowering whose `rowBand` accepted the layer.
   */
  rows?: RowArgs;
}

/** C expressions of a row-range call (LowerCtx.rows). */
export interface RowArgs {
  x: string;
  ih: string;
  pt: string;
  y: string;
  oh: string;
}

/** The vertical window of a layer whose kernel can compute any range of output rows (CLowering.rowBand). */
export interface RowWindow {
  /** Input rows one output row's window spans ((kh - 1) * dilation + 1). */
  kh: number;
  sh: number;
  /** Top padding. */
  pt: number;
}

/** What a lowering's `walk` gets: the layer before it is emitted (no arena places yet). */
export interface WalkCtx {
  n: Node;
  q: QP | undefined;
  T: (id: number) => Tensor;
  X: Tensor;
  Y: Tensor;
}

/** What a target back end gets to emit one layer: arena pointers and its planned scratch block. */
export interface BackendCtx {
  P: string;
  /** Symbol stem of this layer's constants. */
  L: string;
  ptr: (id: number, cast?: string) => string;
  cptr: (id: number, cast?: string) => string;
  scratchOffset?: number;
  scratchSize?: number;
  /** Do two tensors share their arena bytes (in-place plan)? */
  samePlace: (a: number, b: number) => boolean;
}

/** One op's portable C lowering. */
export interface CLowering {
  /** The registry op it lowers. */
  op: string;
  /** Also takes int16 activations (16x8: int8 weights, int64 bias). */
  int16: boolean;
  /** The lowering checks its tensors' dtypes itself (mixed-dtype kernels such as Lstm's int16 cell state), so the
   * emitter's generic int8/int16 activation check skips it. */
  ownDtypes?: boolean;
  /** May the output overwrite input 0 element by element (for these input / output tensors)? Absent: never. */
  inPlace?: (x: Tensor, y: Tensor) => boolean;
  /** The output is input 0's bytes unchanged: the memory plan may give both one place. */
  alias?: boolean;
  /**
   * The memory walk (src/plan/overlap.ts) of the kernel `emit` uses when `overlapped` is set: the order in which
   * it reads input 0 and writes output 0, from which the planner derives how far the output may overlap the
   * input. Absent or undefined: the layer's output never overlaps its input. Declare it next to the kernel
   * choice it describes, and keep it exact: a kernel change that reads or writes in another order must change it
   * (test/plan/overlap-c.test.ts runs every kernel with a walk at its tightest overlap).
   */
  walk?: (c: WalkCtx) => Walk | undefined;
  /** Does the kernel form the walk describes cost more than the one emitted without overlap (the plan then
   * overlaps this layer only where the arena needs it)? */
  overlapCost?: (c: WalkCtx) => boolean;
  /**
   * Can the kernel `emit` picks compute any range of output rows [a, b) when called with oh = b - a, input 0 starting
   * at row a * sh - pt (clipped at 0, the rest given as top padding) and ih the rows from there, and `rows` set
   * (row-band execution, build --row-bands)? Return the vertical window, or undefined: the layer never runs in bands.
   * Declare it only for kernels whose every row depends on nothing but oy * sh - pad_t and ih (no walk from oh).
   */
  rowBand?: (c: WalkCtx) => RowWindow | undefined;
  /** Every kernel section emit may name (emit.ts checks each layer against it). */
  kernels: readonly string[];
  emit(c: LowerCtx): LayerCode;
}

/** In place when input and output have the same element type (the element-wise kernels). */
export const sameDtype = (x: Tensor, y: Tensor) => x.dtype === y.dtype;

const INT32_MIN = -2147483648;

export function num(q: QP | undefined, k: string, node: Node): number {
  const v = q?.[k];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  return fail('EF3001', `node '${node.name}' (${node.op}) has no integer parameter '${k}'`, {
    node: node.name,
    suggestion: 'prepare the graph for integer execution first (prepareIntGraph)',
  });
}

export function arr(q: QP | undefined, k: string, n: number, node: Node): number[] {
  const v = q?.[k];
  const a = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a)) return fail('EF3001', `node '${node.name}' (${node.op}) has no integer parameter '${k}'`, { node: node.name });
  if (a.length === 1 && n > 1) return new Array<number>(n).fill(a[0]);
  if (a.length !== n) fail('EF3001', `node '${node.name}': '${k}' has ${a.length} entries, expected ${n}`, { node: node.name });
  return a;
}

export function checkMult(ms: number[], node: Node) {
  for (const m of ms)
    if (!Number.isInteger(m) || m < 0 || m > 2147483647 || m === INT32_MIN)
      fail('EF9001', `node '${node.name}': multiplier ${m} is outside [0, 2^31)`, { node: node.name });
}

export const ctype = (t: Tensor) =>
  t.dtype === 'int8' ? 'int8_t' : t.dtype === 'uint8' ? 'uint8_t' : t.dtype === 'int16' ? 'int16_t' : t.dtype === 'int32' ? 'int32_t' : t.dtype === 'float32' ? 'float' : '';

export const shp = (t: Tensor) => `[${t.shape.join(',')}]`;
export const qstr = (t: Tensor) =>
  t.quant ? (t.quant.scale.length === 1 ? `s=${fmtF(t.quant.scale[0])} zp=${t.quant.zeroPoint[0]}` : `per-channel(${t.quant.scale.length}) axis ${t.quant.axis}`) : 'no quant';

function fmtF(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(9)).toString() : String(x);
}

/** C float literal that reads back as exactly this float32. */
export function floatLit(x: number): string {
  const f = Math.fround(x);
  for (let p = 6; p <= 12; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return (/[.eE]/.test(s) ? s : s + '.0') + 'f';
  }
  return f.toPrecision(17) + 'f';
}

/** The per-channel shift code of the requantization table (section rq): -S - 1 for S < 0, 32 + S for S >= 0. */
export const rqShiftCode = (s: number) => (s < 0 ? -s - 1 : 32 + s);

/**
 * Requantization tables of the conv / depthwise / GEMM kernels (kernels/fixedpoint.c section rq), 5 bytes per
 * channel: m = 2*M as a uint32 bit pattern (int32), s = rqShiftCode(S) (uint8). Exact re-encodings of the
 * prepared (M, S) with 0 <= M < 2^31 and -31 <= S <= 31, not new multipliers.
 */
export function rqTable(ms: number[], ss: number[]): { m: number[]; s: number[] } {
  return { m: ms.map((m) => (2 * m) | 0), s: ss.map(rqShiftCode) };
}

/** Width of the column block packColumns starts when `left` columns remain. */
const blockWidth = (left: number) => (left >= 8 ? 8 : left >= 4 ? 4 : 1);

/** The block widths packColumns lays N columns out in (the kernel's tile variants the layer reaches), ascending. */
export function columnBlocks(N: number): number[] {
  const set = new Set<number>();
  for (let o = 0; o < N; o += blockWidth(N - o)) set.add(blockWidth(N - o));
  return [...set].sort((a, b) => a - b);
}

/**
 * GEMM filter layout (kernels/conv.c section gemm): rows [N][K] grouped in column blocks of 8 while 8 remain, then
 * one block of 4, then single columns; the block of width B at column o fills [o*K, (o+B)*K) as [k][B].
 */
export function packColumns(w: ArrayLike<number>, N: number, K: number): Int8Array {
  const out = new Int8Array(N * K);
  let o = 0;
  while (o < N) {
    const B = blockWidth(N - o);
    for (let k = 0; k < K; k++) for (let j = 0; j < B; j++) out[o * K + k * B + j] = w[(o + j) * K + k];
    o += B;
  }
  return out;
}

export function attrNums(n: Node, k: string, dflt: number[]): number[] {
  const v = n.attrs[k];
  return Array.isArray(v) ? (v as number[]) : dflt;
}

/** Broadcast description for the element-wise kernels: 4-D output dims and per-input element strides. */
export function bcast4(out: number[], a: number[]): number[] {
  const r = out.length;
  if (r > 4) fail('EF3002', `element-wise op on rank ${r} > 4 is not supported in C`);
  const pa = [...new Array(r - a.length).fill(1), ...a];
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let k = r - 1; k >= 0; k--) {
    st[k] = pa[k] === 1 && out[k] !== 1 ? 0 : acc;
    acc *= pa[k];
  }
  return [...new Array(4 - r).fill(0), ...st];
}

/**
 * Per-channel requantization tables `${L}_rq` (2*M, int32) and `${L}_rqs` (shift code, uint8) of section rq, after
 * checking the prepared multipliers and shifts. The kernels take them as two arguments, `${L}_rq, ${L}_rqs`.
 */
export function qArrays(c: LowerCtx, ms: number[], ss: number[]) {
  const { n, L, i } = c;
  checkMult(ms, n);
  for (const v of ss) if (!Number.isInteger(v) || v < -31 || v > 31) fail('EF3004', `node '${n.name}': shift ${v} is outside [-31, 31]`, { node: n.name });
  const t = rqTable(ms, ss);
  if (ss.some((v) => v >= 0)) c.variants.push('rq.left'); // the S >= 0 path of section rq
  c.consts.push({ sym: `${L}_rq`, ctype: 'int32_t', data: t.m, comment: `layer ${i}: 2*M (uint32 bits) per output channel from the prepared Q31 multiplier M`, where: 'model' });
  c.consts.push({ sym: `${L}_rqs`, ctype: 'uint8_t', data: t.s, comment: `layer ${i}: shift code per output channel from the prepared shift S (-S-1 if S < 0, else 32+S)`, where: 'model' });
}

export function shiftOk(c: LowerCtx, v: number) {
  if (!Number.isInteger(v) || v < -31 || v > 31) fail('EF9001', `node '${c.n.name}': shift ${v} is outside [-31, 31]`, { node: c.n.name });
}

/** int16 element-wise kernels read and write int16 on both sides. */
export function same16(c: LowerCtx) {
  const { n, X, Y } = c;
  if (X.dtype !== 'int16' || Y.dtype !== 'int16') fail('EF3002', `${n.op} from ${X.dtype} to ${Y.dtype} has no C kernel`, { node: n.name });
}

/** A data operand: its arena place, or for a constant tensor a const array in flash. */
export function operand(c: LowerCtx, t: Tensor, port: number): string {
  const { n, L, i } = c;
  if (!t.data) return c.cptr(t.id, t.dtype === 'int16' ? 'int16_t' : 'int8_t');
  if (t.dtype !== 'int8' && t.dtype !== 'int16') fail('EF3002', `${n.op} with a constant ${t.dtype} operand has no C kernel`, { node: n.name });
  c.consts.push({ sym: `${L}_k${port}`, ctype: t.dtype === 'int16' ? 'int16_t' : 'int8_t', data: t.data, comment: `layer ${i} '${commentSafe(n.name)}': constant operand ${port} '${commentSafe(t.name)}' ${shp(t)} ${qstr(t)}`, where: 'weights' });
  return `${L}_k${port}`;
}

/** For a pure selection op: the flat input index each output element reads, from the op's float evaluation on a
 * tensor holding its own indices (other inputs as stored). */
export function sourceIndex(c: LowerCtx, X: Tensor): ArrayLike<number> {
  const ins = [{ dtype: 'float64' as const, shape: X.shape, data: Float64Array.from({ length: shapeSize(X.shape) }, (_, k) => k) }];
  return c.def.evalFloat(ins, c.attrs(), c.n)[0].data;
}
