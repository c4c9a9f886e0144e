// The contract between the integer kernels' prepare (who computes), the integer simulator and the C emitter (who
// read): node.qparams per canonical op for int8 / int16x8 execution, as typed structs. Each kernel in src/sim/int/
// is an IntKernel<P> whose prepare returns its P, computed ONCE from the tensors' quantization records
// (INT8-ARITHMETIC.md "Prepare" steps, shared helpers in src/sim/int/prepare.ts); prepareIntGraph (src/sim/int.ts)
// stores it as node.qparams, unchanged at run time (the same keys the C emitter reads). Multipliers are Q31 int32
// values; shifts follow TFLite: positive = left shift. Nodes that are entirely float (no integer non-constant
// tensor) get `{ float_node: 1 }` and run the float kernel.
//
// Common to most quantized ops:
//   in_zp, in2_zp (second input), out_zp : zero points
//   act_min, act_max                      : output clamp in the output dtype's integers (fused activation applied)
//
// These are type aliases, not interfaces, so that each is assignable to the runtime record type QParamsRecord.

/** node.qparams at run time: numbers and number arrays by key. */
export type QParamsRecord = Record<string, number | number[]>;

/** Conv, ConvTranspose, FullyConnected (per output channel; per-tensor filters repeat one value). */
export type ConvParams = {
  in_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  mult: number[];
  shift: number[];
  /** Filter zero point (TFLite requires 0; FullyConnected applies it as TFLM's filter_offset, Conv ignores it). */
  w_zp: number;
  /**
   * 1 = int16 activations with an int64 bias: accumulate in int64 and requantize with the int64 MBQM overload
   * (INT8-ARITHMETIC.md §3). 0 = int32 accumulator and the int32 MBQM. For int16 activations TFLM applies no
   * zero points (in_zp/out_zp are recorded but must be 0 and are not used).
   */
  acc64: number;
};

/**
 * Add, Sub (TFLite ADD/SUB: inputs rescaled to a common scale with a left shift of 20, or 15 for int16).
 * ADD computes the real multipliers in double, SUB in float32 (as TFLM sub_common.cc). in/in2/out shifts are <= 0.
 */
export type AddParams = {
  in_zp: number;
  in2_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  left_shift: number;
  in_mult: number;
  in_shift: number;
  in2_mult: number;
  in2_shift: number;
  out_mult: number;
  out_shift: number;
};

/** Mul: y = out_zp + MBQM((x1 - in_zp)(x2 - in2_zp), mult, shift). */
export type MulParams = {
  in_zp: number;
  in2_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  mult: number;
  shift: number;
};

/** MaxPool, AveragePool (input and output share scale and zero point): only the clamp and the zero points. */
export type ClampParams = {
  in_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
};

/**
 * ReduceMean: mult/shift are the FINAL values with 1/N folded in (INT8-ARITHMETIC.md §11): from (M,S) = QM(s_in/s_out),
 * sh = min(floor(log2 N), 32, 31+S), mult = (M·2^sh)/N (int64 truncating), shift = S − sh. count = N.
 * y = clamp(MBQM(sum − in_zp·N, mult, shift) + out_zp) to the dtype range (no fused activation).
 */
export type MeanParams = {
  in_zp: number;
  out_zp: number;
  mult: number;
  shift: number;
  count: number;
};

/** Quantize. int→int (requantize): requant = 1 with mult/shift = QM(s_in/s_out). float→int: requant = 0 and only
 * out_zp (the per-element rounding uses the output tensor's scale(s) as float32: clamp(rha(f32(x/s)) + zp)). */
export type QuantizeParams =
  | { requant: 1; in_zp: number; out_zp: number; mult: number; shift: number }
  | { requant: 0; out_zp: number };

/** Dequantize: the input zero point (per-element scale(s) from the input tensor). */
export type DequantizeParams = { in_zp: number };

/** Relu and Clip: requantize (only when same_quant = 0) then clamp to [act_min, act_max]. mult/shift = QM(s_in/s_out). */
export type ClampRequantParams = {
  in_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  mult: number;
  shift: number;
  same_quant: number;
};

/**
 * Concat: per input k (arrays): in_zp[k], mult[k], shift[k] = QM(s_k/s_out), requant[k] = 0 when the input shares
 * the output's scale and zero point (bytes copied, as TFLM does), 1 otherwise (requantized and clamped: an espforge
 * extension; TFLM int8 CONCATENATION always copies bytes).
 */
export type ConcatParams = {
  out_zp: number;
  in_zp: number[];
  mult: number[];
  shift: number[];
  requant: number[];
};

/** Pad: pad_value = the fill in output integers (out_zp for value 0). */
export type PadParams = {
  in_zp: number;
  out_zp: number;
  pad_value: number;
};

/** LeakyRelu (TFLM): x − in_zp >= 0 uses the identity multiplier, else the alpha one; float32 prepare math. */
export type LeakyReluParams = {
  in_zp: number;
  out_zp: number;
  mult_identity: number;
  shift_identity: number;
  mult_alpha: number;
  shift_alpha: number;
};

/** PRelu (TFLM): as LeakyRelu with a quantized slope tensor (alpha_zp its zero point); the alpha multiplier is
 * QM(s_in·s_alpha/s_out). */
export type PReluParams = LeakyReluParams & { alpha_zp: number };

/** HardSwish (TFLM int8 reference): the two multipliers are already down-scaled to int16 (DownScaleInt32ToInt16Multiplier). */
export type HardSwishParams = {
  in_zp: number;
  out_zp: number;
  output_multiplier: number;
  output_multiplier_exponent: number;
  reluish_multiplier: number;
  reluish_multiplier_exponent: number;
};

/**
 * HardSigmoid (int8; TFLite has no HARD_SIGMOID builtin, so the arithmetic is espforge's own, built like TFLM's
 * int8 kernels from MultiplyByQuantizedMultiplier): with d = x - in_zp,
 *   y = clamp(out_zp + RoundingDivideByPOT(MBQM(d, mult, shift) + beta_q, frac_bits), act_min, act_max)
 * where (mult, shift) = QM(alpha·s_in/s_out·2^frac_bits), beta_q = round(beta/s_out·2^frac_bits), and
 * [act_min, act_max] is [0, 1] quantized (out_zp, out_zp + round(1/s_out)) within the dtype range. The linear part is
 * kept with frac_bits (8) fractional bits until one final rounding, so y is within 1 LSB of the float function.
 */
export type HardSigmoidParams = {
  in_zp: number;
  out_zp: number;
  mult: number;
  shift: number;
  beta_q: number;
  frac_bits: number;
  act_min: number;
  act_max: number;
};

/** Gelu (TFLM GELU, int8/uint8): lut[q − min] = the output integer for input integer q (256 entries, float32 as
 * TFLM's LUTPopulate). */
export type GeluParams = { lut: number[] };

/** Softmax (int8 in → int8 out, s_out = 1/256, zp_out = -128; or int16 out, s = 1/65536, zp = -32768). Axis from attrs.
 * Optional node attribute `beta` (TFLite) defaults to 1.
 * int16 input (TFLM SoftmaxInt16; int16 output s = 1/32768, zp 0): input_multiplier/input_left_shift =
 * QM(s_in·beta/(10/65535)) (the shift may be negative), diff_min unused (0), and the two 513-entry int16 tables
 * exp_lut (exp on [−10, 0]) and one_over_one_plus_x_lut (1/(1+x) on [0, 1]) built by TFLM's LUTPopulate. */
export type SoftmaxParams = {
  input_multiplier: number;
  input_left_shift: number;
  diff_min: number;
  in_zp: number;
  out_zp: number;
  exp_lut?: number[];
  one_over_one_plus_x_lut?: number[];
};

/** LogSoftmax (TFLM LOG_SOFTMAX, int8 only; output s = 16/256, zp = 127): input_multiplier/input_left_shift =
 * QM(s_in·2^(31−5)), reverse_multiplier/reverse_shift = QM(2^(31−L)/M) (reverse_shift >= 0 is a right shift),
 * diff_min = −(radius of the fixed-point input range). */
export type LogSoftmaxParams = {
  in_zp: number;
  out_zp: number;
  input_multiplier: number;
  input_left_shift: number;
  reverse_multiplier: number;
  reverse_shift: number;
  diff_min: number;
};

/** Sigmoid (TFLite LOGISTIC; output s = 1/256, zp = -128) and Tanh (output s = 1/128, zp = 0) for int8.
 * int16 → int16 (16x8; zp 0, output s = 2^-15): input_multiplier (< 2^15; 0 = power-of-two input scale, use
 * 3 << input_left_shift with no shift) and input_left_shift rescale the input to 1/(3·4096) for the 256-entry
 * sigmoid table (SIGMOID_TABLE_UINT16 in src/sim/int/lut16.ts); input_range_radius is 0 (unused). */
export type LogisticParams = {
  in_zp: number;
  out_zp: number;
  input_multiplier: number;
  input_left_shift: number;
  input_range_radius: number;
};

/**
 * Resize: nearest passes values through (PassThroughParams). Bilinear (mode linear) as TFLM's int8/int16
 * RESIZE_BILINEAR (ResizeBilinearInteger): input and output share quantization; the source coordinates are in
 * fixed point with 10 fractional bits, scale_10 = round(2^10·in/out) (align_corners: 2^10·(in−1)/(out−1)), with
 * half-pixel centres (scale_10·o + scale_10/2 − 2^9) or without; the four taps' weights are products of 10-bit
 * fractions (2^20 in all) and the sum is rounded half away from zero by 2^20.
 */
export type ResizeParams = PassThroughParams & {
  bilinear?: number;
  align_corners?: number;
  half_pixel_centers?: number;
  h_scale_10?: number;
  w_scale_10?: number;
};

/** Reshape, Identity, Transpose, ArgMax: nothing. */
export type NoParams = Record<string, never>;

/** Slice, Gather, Max, Min, ReduceMax, nearest Resize: values pass through (quantization must be equal). */
export type PassThroughParams = { out_zp: number };

/** The parameters of each op with an integer kernel, by op name (for readers such as the C lowerings:
 * `node.qparams as OpParams['Conv']` once the node is known to be an integer Conv, i.e. not `{ float_node: 1 }`). */
export type OpParams = {
  Conv: ConvParams;
  ConvTranspose: ConvParams;
  FullyConnected: ConvParams;
  Add: AddParams;
  Sub: AddParams;
  Mul: MulParams;
  AveragePool: ClampParams;
  MaxPool: ClampParams;
  ReduceMean: MeanParams;
  Softmax: SoftmaxParams;
  LogSoftmax: LogSoftmaxParams;
  Sigmoid: LogisticParams;
  Tanh: LogisticParams;
  Relu: ClampRequantParams;
  Clip: ClampRequantParams;
  LeakyRelu: LeakyReluParams;
  PRelu: PReluParams;
  HardSwish: HardSwishParams;
  HardSigmoid: HardSigmoidParams;
  Gelu: GeluParams;
  Quantize: QuantizeParams;
  Dequantize: DequantizeParams;
  Reshape: NoParams;
  Identity: NoParams;
  Transpose: NoParams;
  Pad: PadParams;
  Concat: ConcatParams;
  Slice: PassThroughParams;
  Gather: PassThroughParams;
  Max: PassThroughParams;
  Min: PassThroughParams;
  ReduceMax: PassThroughParams;
  Resize: ResizeParams;
  ArgMax: NoParams;
};
