// MaxPool: NHWC max pooling with kernel, strides, dilations, explicit pads (padding never wins) and ONNX
// ceil_mode; fused activation. Geometry and kernel shared with AveragePool in pool.ts.
import { poolOp } from './pool.js';
import type { OpDef } from './types.js';

const base = poolOp('MaxPool', 'NHWC max pooling: kernel, strides, dilations, pads, ceil_mode', 'max');

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16', sharedPorts: [0] },
  layout: 'spatial',
};
