// ESP-DL's integer primitives (espressif/esp-dl, esp-dl/dl/tool/src/dl_tool.cpp and dl/base/): power-of-two
// requantization is a shift with chip-dependent rounding, then saturation to the element type.
//
// - shift_and_round: ESP32-P4 (and S31, PIE v2) round half to even, every other chip half up; a non-positive
//   shift is an exact left shift.
// - truncate: saturate to int8 [-128, 127] / int16 [-32768, 32767].
// - round_half_even on floats (used by the average pools, in float32): value ± 0.5 truncated toward zero, then
//   moved back by one when the value lay within 1e-6 of a tie and the result is odd.
//
// Values are JS numbers (exact integers below 2^53), so accumulators never wrap.

export type Rounding = 'half_up' | 'half_even';

/** Rounding of ESP-DL's shifts on a chip: half-even on PIE v2 chips (P4, S31), half-up elsewhere. */
export function chipRounding(chip: string): Rounding {
  return chip === 'esp32p4' || chip === 'esp32s31' ? 'half_even' : 'half_up';
}

/** v · 2^-shift rounded to an integer (shift ≤ 0: exact left shift). */
export function shiftRound(v: number, shift: number, mode: Rounding): number {
  if (shift <= 0) return v * 2 ** -shift;
  const d = 2 ** shift;
  const half = d / 2;
  if (mode === 'half_up') return Math.floor((v + half) / d);
  const q = Math.floor(v / d);
  const rem = v - q * d;
  if (rem > half || (rem === half && (q & 1) !== 0)) return q + 1;
  return q;
}

export function saturate(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** ESP-DL's float round_half_even (dl_tool.cpp), evaluated on a float32 value. */
export function roundHalfEvenF(value: number): number {
  const rounded = Math.fround(value < 0 ? value - 0.5 : value + 0.5);
  let ip = Math.trunc(rounded);
  if (Math.abs(rounded - ip) < 1e-6 && (ip & 1) !== 0) ip += value < 0 ? 1 : -1;
  return ip;
}

/** Round a float to an integer the way ESP-DL's tool::round does on the chip. */
export function roundChip(value: number, mode: Rounding): number {
  return mode === 'half_even' ? roundHalfEvenF(value) : Math.floor(value + 0.5);
}
