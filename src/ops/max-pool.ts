// MaxPool: NHWC max pooling with kernel, strides, dilations, explicit pads (padding never wins) and ONNX
// ceil_mode; fused activation. Geometry and kernel shared with AveragePool in pool.ts.
import { poolOp } from './pool.js';

export const def = poolOp('MaxPool', 'NHWC max pooling: kernel, strides, dilations, pads, ceil_mode', 'max');
