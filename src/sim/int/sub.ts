// Sub on integers: TFLM SUB (see add.ts; the real multipliers are computed in float32 as sub_common.cc does).
export { subKernel as kernel } from './add.js';
