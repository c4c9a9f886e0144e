// The contract between quantization (who computes), the integer simulator and the C emitter (who read):
// node.qparams field names per canonical op for int8 / int16x8 execution. Values are computed ONCE by
// src/quant/prepare.ts from tensor quantization records (INT8-ARITHMETIC.md "Prepare" steps) and are never
// recomputed elsewhere. Multipliers are Q31 int32 values; shifts follow TFLite: positive = left shift.
//
// Common to every quantized op:
//   in_zp, in2_zp (second input), out_zp : zero points
//   act_min, act_max                      : output clamp in the output dtype's integers (fused activation applied)

/** Conv, ConvTranspose, FullyConnected (per output channel; per-tensor filters repeat one value). */
export interface ConvQ {
  in_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  mult: number[];
  shift: number[];
}

/** Add, Sub (TFLite ADD/SUB: inputs rescaled to a common scale with a left shift of 20, or 15 for int16). */
export interface AddQ {
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
}

/** Mul: y = out_zp + MBQM((x1 - in_zp)(x2 - in2_zp), mult, shift). */
export interface MulQ {
  in_zp: number;
  in2_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
  mult: number;
  shift: number;
}

/** MaxPool, AveragePool, Relu-like clamps, Pad, Concat with equal scales: only the clamp (and zero point). */
export interface ClampQ {
  in_zp: number;
  out_zp: number;
  act_min: number;
  act_max: number;
}

/** ReduceMean: multiplier of s_in/s_out; the N-dependent adjustment is part of Prepare too (count = N). */
export interface MeanQ {
  in_zp: number;
  out_zp: number;
  mult: number;
  shift: number;
  count: number;
}

/** Requantize (int→int Quantize), and rescaling Concat/Pad inputs when scales differ: per input. */
export interface RequantQ {
  in_zp: number;
  out_zp: number;
  mult: number;
  shift: number;
}

/** Softmax (int8 in → int8 out, s_out = 1/256, zp_out = -128). */
export interface SoftmaxQ {
  input_multiplier: number;
  input_left_shift: number;
  diff_min: number;
}

/** Sigmoid (TFLite LOGISTIC) and Tanh. */
export interface LogisticQ {
  in_zp: number;
  input_multiplier: number;
  input_left_shift: number;
  input_range_radius: number;
}

export type QParams = ConvQ | AddQ | MulQ | ClampQ | MeanQ | RequantQ | SoftmaxQ | LogisticQ | Record<string, number | number[]>;
