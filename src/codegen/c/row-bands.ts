// Row-band (patch-based, MCUNetV2-style) execution of a layer pair, behind `build --row-bands`.
//
// A producer layer p whose output only layer p + 1 reads (as its input 0) can run interleaved with it, one consumer
// output row at a time: the producer's output never exists whole. A band buffer holds the producer rows [lo, hi) the
// consumer's current output row reads (its window, clipped to the tensor); for the next output row the kept rows
// slide to the band's start (section bandslide copies the rows both windows share) and the producer computes only the rows not yet
// computed, so every producer row is computed exactly once (rows no window reads, at a consumer stride larger than
// its window, are never computed). Both layers use their usual kernels: a kernel that can compute any range of
// output rows [a, b) (CLowering.rowBand) is called with oh = b - a, its input starting at row s0 = a * sh - pt when
// s0 > 0 (ih - s0 rows left, no top padding) or at row 0 with top padding -s0 otherwise; the consumer reads the band
// with ih = hi - lo and top padding lo - (oy * sh - pt). Every sum is the one the whole-layer call makes, so the bytes
// are the same (tests: test/codegen/row-bands.test.ts).
//
// Which pairs could run in bands is decided here; whether they do is the memory planner's choice
// (PlanOptions.rowBands, src/plan/planner.ts): only when the arena gets smaller by at least 1% (ROW_BAND_MIN_GAIN).

import type { Graph, Node } from '../../ir/graph.js';
import type { RowBand } from '../../plan/planner.js';
import type { LayerCode, RowArgs, RowWindow, WalkCtx } from './lowering.js';
import { cLowering } from './ops/index.js';

/** Kernel sections the row-band loop itself names (besides its two layers' own). */
export const ROW_BAND_KERNELS: readonly string[] = ['bandslide'];

/** A layer pair that may run in row bands, with both vertical windows and the band it needs. */
export interface BandPair extends RowBand {
  consumer: number;
  prod: RowWindow;
  cons: RowWindow;
  /** Rows of the intermediate tensor the band holds (the largest clipped consumer window). */
  bandRows: number;
}

const walkCtx = (g: Graph, n: Node): WalkCtx => ({ n, q: n.qparams as WalkCtx['q'], T: (id) => g.tensors[id], X: g.tensors[n.inputs[0]], Y: g.tensors[n.outputs[0]] });

/** Input rows [a, b) output row oy of window w reads, clipped to the input's rows. */
export function windowRows(w: RowWindow, oy: number, inRows: number): [number, number] {
  const r0 = oy * w.sh - w.pt;
  return [Math.max(0, r0), Math.min(inRows, r0 + w.kh)];
}

/** The largest number of input rows any output row reads; 0 when some output row reads none (not offered). */
function maxRows(w: RowWindow, outRows: number, inRows: number): number {
  let m = 0;
  for (let oy = 0; oy < outRows; oy++) {
    const [a, b] = windowRows(w, oy, inRows);
    if (b <= a) return 0;
    m = Math.max(m, b - a);
  }
  return m;
}

/**
 * Pairs (p, p + 1) that could run in row bands: both layers' kernels compute row ranges (CLowering.rowBand), batch 1,
 * p's only output is read by p + 1 alone, as its input 0, and is no graph output; every output row of both layers
 * reads at least one input row; and the band is smaller than the tensor. `skip(i)`: layers a target back end takes.
 */
export function rowBandCandidates(g: Graph, skip: (i: number) => boolean = () => false): BandPair[] {
  const out: BandPair[] = [];
  const readers = new Map<number, number>();
  for (const n of g.nodes) for (const t of n.inputs) if (t >= 0) readers.set(t, (readers.get(t) ?? 0) + 1);
  const graphOut = new Set(g.outputs);
  for (let p = 0; p + 1 < g.nodes.length; p++) {
    const P = g.nodes[p];
    const C = g.nodes[p + 1];
    const mid = P.outputs[0];
    if (skip(p) || skip(p + 1) || P.outputs.length !== 1 || C.inputs[0] !== mid || graphOut.has(mid) || readers.get(mid) !== 1) continue;
    const T = g.tensors[mid];
    if (T.data || T.dtype !== 'int8' || T.shape.length !== 4 || T.shape[0] !== 1) continue;
    const X = g.tensors[P.inputs[0]];
    const Y = g.tensors[C.outputs[0]];
    if (!X || X.shape.length !== 4 || Y.shape.length !== 4) continue;
    const prod = cLowering(P.op)?.rowBand?.(walkCtx(g, P));
    const cons = cLowering(C.op)?.rowBand?.(walkCtx(g, C));
    if (!prod || !cons) continue;
    const [, PH, PW, PC] = T.shape;
    if (maxRows(prod, PH, X.shape[1]) === 0) continue;
    const bandRows = maxRows(cons, Y.shape[1], PH);
    if (bandRows === 0 || bandRows >= PH) continue;
    out.push({ producer: p, consumer: p + 1, prod, cons, bandRows, bandBytes: bandRows * PW * PC });
  }
  return out;
}

/**
 * The C of a pair the plan took: the producer's slot holds the interleaved loop, the consumer's only a comment (its
 * constant arrays and kernel sections still come with its LayerCode). `emitRows(i, rows)` is the layer's own lowering
 * with LowerCtx.rows set; `cptr` / `ptr` the arena pointers of the memory plan.
 */
export function emitBandPair(
  g: Graph,
  pair: BandPair,
  Pfx: string,
  emitRows: (i: number, rows: RowArgs) => LayerCode,
  ptr: (id: number) => string,
  cptr: (id: number) => string,
): { producer: LayerCode; consumer: LayerCode } {
  const P = g.nodes[pair.producer];
  const C = g.nodes[pair.consumer];
  const X = g.tensors[P.inputs[0]];
  const M = g.tensors[P.outputs[0]];
  const Y = g.tensors[C.outputs[0]];
  const [, IH, IW, IC] = X.shape;
  const [, PH, PW, PC] = M.shape;
  const [, OH, OW, OC] = Y.shape;
  const RB = PW * PC;
  const { prod, cons } = pair;
  const pl = emitRows(pair.producer, {
    x: `rb_in + (rb_s0 > 0 ? (size_t)rb_s0 * ${IW * IC} : 0)`,
    ih: `(rb_s0 > 0 ? ${IH} - rb_s0 : ${IH})`,
    pt: `(rb_s0 > 0 ? 0 : -rb_s0)`,
    y: `rb_band + (size_t)(rb_hi - rb_lo) * ${RB}`,
    oh: `(rb_b - rb_hi)`,
  });
  const cl = emitRows(pair.consumer, { x: 'rb_band', ih: '(rb_hi - rb_lo)', pt: '(rb_lo - rb_r0)', y: `rb_out + (size_t)rb_oy * ${OW * OC}`, oh: '1' });
  const indent = (s: string) => s.split('\n').map((l) => (l ? '        ' + l : l)).join('\n');
  const full = PH * RB;
  const call = [
    `    {`,
    `        /* row bands: layers ${pair.producer} and ${pair.consumer} interleaved, one output row of layer ${pair.consumer} at a time; layer ${pair.producer}'s`,
    `         * output [${M.shape.join(',')}] (${full} B) never exists whole: the band holds its rows [rb_lo, rb_hi), at most ${pair.bandRows} (${pair.bandBytes} B) */`,
    `        const int8_t *const rb_in = ${cptr(X.id)};`,
    `        int8_t *const rb_band = ${ptr(M.id)};`,
    `        int8_t *const rb_out = ${ptr(Y.id)};`,
    `        int rb_lo = 0, rb_hi = 0, rb_oy;`,
    `        for (rb_oy = 0; rb_oy < ${OH}; ++rb_oy) {`,
    `            const int rb_r0 = rb_oy * ${cons.sh} - ${cons.pt};`,
    `            const int rb_a = rb_r0 < 0 ? 0 : rb_r0;`,
    `            const int rb_b = rb_r0 + ${cons.kh} > ${PH} ? ${PH} : rb_r0 + ${cons.kh};`,
    ...(cons.kh > cons.sh
      ? [
          `            if (rb_a > rb_lo) {`,
          `                /* slide: keep the rows this window shares with the last one */`,
          `                if (rb_hi > rb_a) ${Pfx}_band_slide(rb_band, (size_t)(rb_a - rb_lo) * ${RB}, (size_t)(rb_hi - rb_a) * ${RB});`,
          `                else rb_hi = rb_a;`,
          `                rb_lo = rb_a;`,
          `            }`,
        ]
      : [
          // windows no taller than the stride share no rows: nothing to keep (rows between them are never computed)
          `            if (rb_a > rb_lo) rb_lo = rb_hi = rb_a; /* windows share no rows: nothing to keep */`,
        ]),
    `            if (rb_b > rb_hi) {`,
    `                /* layer ${pair.producer}: its output rows [rb_hi, rb_b), each computed once */`,
    `                const int rb_s0 = rb_hi * ${prod.sh} - ${prod.pt};`,
    indent(indent(pl.call)),
    `                rb_hi = rb_b;`,
    `            }`,
    `            /* layer ${pair.consumer}: output row rb_oy from the band */`,
    indent(cl.call),
    `        }`,
    `    }`,
  ].join('\n');
  const slide = cons.kh > cons.sh ? [...ROW_BAND_KERNELS] : [];
  return {
    producer: { ...pl, kernel: [...pl.kernel, ...slide], call, notes: [...pl.notes, `row bands with layer ${pair.consumer}: output held as a band of ${pair.bandRows} of ${PH} rows (${pair.bandBytes} B instead of ${full} B)`] },
    consumer: { ...cl, call: `    /* computed in row bands with layer ${pair.producer} (above) */`, notes: [...cl.notes, `row bands: runs inside layer ${pair.producer}'s loop, one output row at a time, reading the band`] },
  };
}
