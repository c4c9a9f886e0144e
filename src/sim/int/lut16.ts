// Shared pieces of TFLM's int16 (16x8) LUT-based kernels:
//   lutPopulateInt16   the 513-entry interpolation table of a float function, built in Prepare with float32 math
//                      (TFLM LUTPopulate<int16_t> / the older gen_lut: 512 segments, each entry biased by half the
//                      midpoint interpolation error, plus one end entry used only for the last slope)
//   lutLookup16        the interpolating lookup (index = 256 + (v >> 7), 7 fraction bits, rounded slope product)
//   SIGMOID_TABLE_UINT16  TFLite's fixed 256-entry table of sigmoid(i/24) in 0.16 format used by the int16
//                      LOGISTIC and TANH kernels (the values are the published table, not a formula: they differ
//                      from round(65536·sigmoid(i/24)) by one in places).

const f = Math.fround;

/** C round() on a float32 value (halves away from zero); the result is integral so it stays a float32. */
const roundF = (x: number): number => (x < 0 ? -Math.round(-x) || 0 : Math.round(x));

/**
 * TFLM LUTPopulateInt16<float>: table of `fn` over the int16 input range of (inputScale, inputZp), quantized with
 * (outputScale, outputZp). Every intermediate is rounded to float32 as the C float arithmetic does; `fn` must
 * itself return a float32-rounded value.
 */
export function lutPopulateInt16(inputScale: number, inputZp: number, outputScale: number, outputZp: number, fn: (x: number) => number): Int16Array {
  const inputMin = f(f(inputScale) * (-32768 - inputZp));
  const inputMax = f(f(inputScale) * (32767 - inputZp));
  const outputMin = f(f(outputScale) * (-32768 - outputZp));
  const outputMax = f(f(outputScale) * (32767 - outputZp));
  return lutFromRange(inputMin, inputMax, outputMin, outputMax, fn);
}

/** The common body of LUTPopulateInt16 and gen_lut<float, int16_t, int16_t> over [inputMin, inputMax]. */
export function lutFromRange(inputMin: number, inputMax: number, outputMin: number, outputMax: number, fn: (x: number) => number): Int16Array {
  const steps = 512;
  const step = f(f(inputMax - inputMin) / steps);
  const halfStep = f(step / 2);
  const inv = f(65536 / f(outputMax - outputMin));
  const lut = new Int16Array(steps + 1);
  const clamp = (v: number) => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);
  for (let i = 0; i < steps; i++) {
    const x0 = f(inputMin + f(i * step));
    const val = fn(x0);
    const valMid = fn(f(x0 + halfStep));
    const valNext = fn(f(inputMin + f((i + 1) * step)));
    const sample = roundF(f(val * inv));
    const midInterp = roundF(f(f(f(valNext * inv) + roundF(f(val * inv))) / 2));
    const mid = roundF(f(valMid * inv));
    const bias = roundF(f(f(midInterp - mid) / 2));
    lut[i] = clamp(f(sample - bias));
  }
  lut[steps] = clamp(roundF(f(fn(inputMax) * inv)));
  return lut;
}

/** float32 exp as C `std::exp(float)` (correctly rounded here; glibc expf is within 0.502 ulp of it). */
export const expF = (x: number): number => f(Math.exp(x));
/** float32 1/(1+x). */
export const oneOverOnePlusXF = (x: number): number => f(1 / f(1 + x));

/** The TFLM softmax exp table: exp over [−10, 0] on Q0.15 outputs (input scale 10/65535, zp 32767). */
export function softmaxExpLut(): Int16Array {
  const range = 65535;
  return lutPopulateInt16(f(10 / range), 32767, f(2 / range), 0, expF);
}

/** The TFLM softmax reciprocal table: 1/(1+x) over [0, 1] (input scale 1/65535, zp −32768). */
export function softmaxOneOverOnePlusXLut(): Int16Array {
  const range = 65535;
  return lutPopulateInt16(f(1 / range), -32768, f(2 / range), 0, oneOverOnePlusXF);
}

/** TFLM int16 LUT lookup with linear interpolation (513-entry table). Input and result are int16. */
export function lutLookup16(value: number, lut: ArrayLike<number>): number {
  const index = 256 + (value >> 7);
  const offset = value & 0x7f;
  const base = lut[index];
  const slope = ((lut[index + 1] - base) << 16) >> 16; // int16 wrap, as the C cast
  const delta = (slope * offset + 64) >> 7;
  return ((base + delta) << 16) >> 16;
}

// sigmoid(i/24) for i = 0..255 in 0.16 fixed point (TFLite kernels/internal/common.h, CMSIS-NN arm_nntables.c).
export const SIGMOID_TABLE_UINT16: readonly number[] = [
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
  43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
  51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
  61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
  63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
  64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
  65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
  65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
  65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
  65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
  65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
];
