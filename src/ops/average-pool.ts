// AveragePool: NHWC average pooling with kernel, strides, dilations, explicit pads, ONNX ceil_mode and
// count_include_pad; fused activation. Geometry and kernel shared with MaxPool in pool.ts.
import { poolOp } from './pool.js';
import type { OpDef } from './types.js';

const base = poolOp('AveragePool', 'NHWC average pooling: kernel, strides, dilations, pads, ceil_mode, count_include_pad', 'avg');

export const def: OpDef = {
  ...base,
  quant: { activations: 'int8+int16', sharedPorts: [0] },
  layout: 'spatial',
};
