// The integer kernel table: canonical op name → IntKernel. An op absent here has no integer execution
// (EF3002 at prepare time).

import type { IntKernel } from '../../ops/types.js';
import { kernel as Add } from './add.js';
import { kernel as AveragePool } from './average-pool.js';
import { kernel as Clip } from './clip.js';
import { kernel as Concat } from './concat.js';
import { kernel as Conv } from './conv.js';
import { kernel as Dequantize } from './dequantize.js';
import { kernel as FullyConnected } from './fully-connected.js';
import { generic } from './generic.js';
import { kernel as HardSwish } from './hard-swish.js';
import { kernel as Identity } from './identity.js';
import { kernel as LeakyRelu } from './leaky-relu.js';
import { kernel as LogSoftmax } from './log-softmax.js';
import { kernel as Lstm } from './lstm.js';
import { kernel as MaxPool } from './max-pool.js';
import { kernel as Mul } from './mul.js';
import { kernel as Pad } from './pad.js';
import { kernel as PRelu } from './prelu.js';
import { kernel as Quantize } from './quantize.js';
import { kernel as ReduceMean } from './reduce-mean.js';
import { kernel as Relu } from './relu.js';
import { kernel as Reshape } from './reshape.js';
import { kernel as Sigmoid } from './sigmoid.js';
import { kernel as Softmax } from './softmax.js';
import { kernel as Sub } from './sub.js';
import { kernel as Tanh } from './tanh.js';
import { kernel as Transpose } from './transpose.js';
import { fail } from '../../diagnostics.js';

export const INT_KERNELS: Readonly<Record<string, IntKernel>> = {
  Conv,
  FullyConnected,
  Add,
  Sub,
  Mul,
  AveragePool,
  MaxPool,
  ReduceMean,
  Softmax,
  LogSoftmax,
  Sigmoid,
  Tanh,
  Relu,
  Clip,
  LeakyRelu,
  PRelu,
  HardSwish,
  Quantize,
  Dequantize,
  Reshape,
  Identity,
  Transpose,
  Pad,
  Concat,
  Lstm,
  Slice: generic('Slice', true),
  Gather: generic('Gather', true),
  Max: generic('Max', true),
  Min: generic('Min', true),
  ReduceMax: generic('ReduceMax', true),
  ArgMax: generic('ArgMax', false),
  Resize: generic('Resize', true, (n) => {
    if ((n.attrs.mode ?? 'nearest') !== 'nearest') fail('EF3002', 'Resize has an integer kernel for mode=nearest only', { node: n.name });
  }),
};

export function intKernel(op: string): IntKernel | undefined {
  return Object.prototype.hasOwnProperty.call(INT_KERNELS, op) ? INT_KERNELS[op] : undefined;
}
