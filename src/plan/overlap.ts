// How far a kernel's output may overlap its own input, from the order in which the kernel walks memory.
//
// A kernel is described as a sequence of steps. Each step first reads input bytes (their hull [readLo, readHi),
// relative to the input's first byte) and then writes output bytes (their hull [writeLo, writeHi), relative to the
// output's first byte); nothing a step writes is read by that same step afterwards. A blocked kernel that reads a
// window, computes k pixels or channels in registers and then stores them is one step per store group.
//
// With the output placed d = out_offset - in_offset bytes from the input, the write of step k clobbers nothing a
// later step still reads when it lies entirely below or entirely above every byte read by steps k+1, k+2, ...:
//     d <= below = min over k of (min readLo of the later steps - writeHi_k)      (output trails below its input)
//     d >= above = max over k of (max readHi of the later steps - writeLo_k)      (output runs ahead above it)
// Both bounds are exact for this description: at d = below + 1 (above - 1) the binding write touches the first
// (last) byte a later step reads. A forward raster walk with channel expansion gets a negative `below` (the
// output starts before the input and catches up with it); a reverse walk would get a small `above`. Disjoint
// placements (d <= -outBytes, d >= inBytes) always satisfy one of the two, so the pair is a strict relaxation.
// Nothing here knows about C: the walks are declared next to each kernel's lowering (src/codegen/c/ops/).

/** One step of a kernel's walk: it reads input bytes [readLo, readHi) then writes output bytes [writeLo, writeHi). */
export type StepSink = (readLo: number, readHi: number, writeLo: number, writeHi: number) => void;
/** A kernel's memory walk: calls the sink once per step, in execution order. */
export type Walk = (step: StepSink) => void;

/** The offset differences d = out - in (bytes) a kernel allows: d <= below, or d >= above. */
export interface OverlapRange {
  below: number;
  above: number;
  /** Overlapping costs something (the kernel then runs a slower form): the planner undoes the overlap wherever
   * the arena stays the same without it. */
  preferApart?: boolean;
}

/** Step list of a walk (flat: readLo, readHi, writeLo, writeHi per step); empty reads as (+Inf, -Inf). */
export function walkSteps(walk: Walk): number[] {
  const s: number[] = [];
  walk((rl, rh, wl, wh) => {
    if (rh <= rl) s.push(Infinity, -Infinity, wl, wh);
    else s.push(rl, rh, wl, wh);
  });
  return s;
}

/** The allowed offset differences of a walk (see the header). Infinite bounds mean "no constraint on that side". */
export function overlapRange(walk: Walk): OverlapRange {
  const s = walkSteps(walk);
  let later = Infinity; // min readLo over the steps after k
  let laterHi = -Infinity; // max readHi over the steps after k
  let below = Infinity;
  let above = -Infinity;
  for (let k = s.length - 4; k >= 0; k -= 4) {
    const wl = s[k + 2];
    const wh = s[k + 3];
    if (wh > wl) {
      if (later !== Infinity) below = Math.min(below, later - wh);
      if (laterHi !== -Infinity) above = Math.max(above, laterHi - wl);
    }
    later = Math.min(later, s[k]);
    laterHi = Math.max(laterHi, s[k + 1]);
  }
  return { below, above };
}

/**
 * Smallest number of bytes an input of sizeIn and an output of sizeOut can span together when their offset
 * difference must satisfy the range (offsets multiples of `align`, sizes already rounded as the caller wants).
 */
export function pairFootprint(sizeIn: number, sizeOut: number, r: OverlapRange, align = 1): number {
  const { below, above } = alignedRange(r, sizeIn, sizeOut, align);
  const span = (d: number) => Math.max(d + sizeOut, sizeIn) - Math.min(d, 0);
  if (below >= above) return Math.max(sizeIn, sizeOut);
  // span falls while d < 0 and rises while d > 0: the best d of each allowed half-line is its point nearest 0
  return Math.min(span(Math.min(below, 0)), span(Math.max(above, 0)));
}

/**
 * The range with disjoint placements folded in (d <= -sizeOut and d >= sizeIn never conflict) and its bounds
 * rounded inwards to multiples of `align` (both offsets are aligned, so d is too).
 */
export function alignedRange(r: OverlapRange, sizeIn: number, sizeOut: number, align = 1): OverlapRange {
  const clamp = (v: number) => Math.min(Math.max(v, -sizeOut), sizeIn);
  return { below: Math.floor(clamp(r.below) / align) * align, above: Math.ceil(clamp(r.above) / align) * align };
}
