// Per-op quantization policy as PTQ reads it.

import type { DType } from '../ir/dtype.js';
import type { Graph, Tensor } from '../ir/graph.js';

/** Ops whose integer kernels run int16 (16x8) activations, i.e. layers the mixed scheme may move to int16. */
export const INT16_OPS: ReadonlySet<string> = new Set([
  'Conv', 'FullyConnected', 'Add', 'Sub', 'Mul', 'AveragePool', 'MaxPool', 'ReduceMean', 'Softmax', 'Sigmoid', 'Tanh',
  'Relu', 'Clip', 'LeakyRelu', 'Concat', 'Pad',
]);

/**
 * Ops with an int8 integer kernel but no int16 one (TFLM has none): under the int16 scheme they run as int8 islands
 * (QUANTIZE int16 → int8, the op, QUANTIZE int8 → int16), so that every integer op of the model has a C kernel.
 */
export const INT8_ONLY_OPS: ReadonlySet<string> = new Set(['LogSoftmax', 'HardSwish', 'PRelu']);

/** PRelu with a slope computed at run time stays float: its integer kernel takes a quantized slope tensor, which PTQ
 * derives (like weights, symmetric int8 per tensor) only for a constant slope. */
export const ptqKeepsFloat = (n: Graph['nodes'][number], tensors: Tensor[]): boolean => n.op === 'PRelu' && !tensors[n.inputs[1]]?.data;

/** Ops whose integer kernels do not requantize: data inputs and output share one scale/zero point. */
export const SHARED: Record<string, number[] | 'all'> = {
  MaxPool: [0],
  AveragePool: [0],
  Reshape: [0],
  Transpose: [0],
  Pad: [0],
  Slice: [0],
  Gather: [0],
  ReduceMax: [0],
  Resize: [0],
  Identity: [0],
  Concat: 'all',
  // TFLite MAXIMUM / MINIMUM compare stored values: every operand and the output share one quantization
  Max: 'all',
  Min: 'all',
};

/** Weight (port 1) and bias (port 2) handling per op. */
export const WEIGHTED: Record<string, 'per-channel' | 'per-tensor'> = {
  Conv: 'per-channel',
  FullyConnected: 'per-tensor',
  ConvTranspose: 'per-tensor',
  // the slope (alpha) of PRelu: an int8 tensor with its own scale, as TFLite's PRELU takes it
  PRelu: 'per-tensor',
};

export function fixedOutput(op: string, act: DType): { scale: number; zeroPoint: number } | undefined {
  if (act === 'int8') {
    if (op === 'Softmax' || op === 'Sigmoid') return { scale: 1 / 256, zeroPoint: -128 };
    if (op === 'Tanh') return { scale: 1 / 128, zeroPoint: 0 };
    if (op === 'LogSoftmax') return { scale: 16 / 256, zeroPoint: 127 };
  } else {
    if (op === 'Softmax' || op === 'Sigmoid' || op === 'Tanh') return { scale: 1 / 32768, zeroPoint: 0 };
  }
  return undefined;
}
