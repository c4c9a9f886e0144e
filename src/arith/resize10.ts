// TFLM RESIZE_BILINEAR's integer coordinate map (reference ComputeInterpolationValuesInteger): source coordinates
// with 10 fractional bits. Shared by the integer simulator (src/sim/int/resize.ts) and the C lowering, which
// turns it into per-row / per-column tables.

/** C's truncating integer division. */
const cdiv = (a: number, b: number): number => Math.trunc(a / b);

/** TFLM's 10-bit scale of one axis. */
export function scale10(inSize: number, outSize: number, alignCorners: boolean): number {
  if (alignCorners && outSize > 1) return cdiv(1024 * (inSize - 1) + cdiv(outSize - 1, 2), outSize - 1);
  return cdiv(1024 * inSize + cdiv(outSize, 2), outSize);
}

/** Source coordinate (10 fractional bits) and the two neighbours of output index o (ComputeInterpolationValuesInteger). */
export function interp10(o: number, s10: number, half: boolean, inSize: number): [number, number, number] {
  const v = half ? o * s10 + cdiv(s10, 2) - 512 : o * s10;
  return [v, Math.max(cdiv(v, 1024), 0), Math.min(cdiv(v + 1023, 1024), inSize - 1)];
}

