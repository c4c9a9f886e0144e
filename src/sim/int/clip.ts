// Clip on integers (TFLite RELU6 / RELU_N1_TO_1 / RELU_0_TO_1 and general clips): with equal input/output
// quantization a plain clamp to [zp + rha(f32(min/s)), zp + rha(f32(max/s))] as TFLM Relu6 does; otherwise the
// input is requantized first (as relu.ts).

import type { ClampRequantParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { attrOr } from './common.js';
import { evalClampRequant, prepareClampRequant } from './relu.js';

export const kernel: IntKernel<ClampRequantParams> = {
  prepare: (node, g) =>
    prepareClampRequant(node, g, attrOr(node, 'min', -Infinity) as number, attrOr(node, 'max', Infinity) as number),
  eval: evalClampRequant,
};
