// THE registry: the only list of operators. Everything that enumerates ops (importer coverage, --list-ops,
// the docs tables) derives from this list. Adding an op: one file in this folder, one import and one entry here.

import { didYouMean, fail } from '../diagnostics.js';
import type { Attrs, AttrValue } from '../ir/graph.js';
import type { AttrSpec, OpDef } from './types.js';

import { def as Conv } from './conv.js';
import { def as ConvTranspose } from './conv-transpose.js';
import { def as FullyConnected } from './fully-connected.js';
import { def as MatMul } from './matmul.js';
import { def as Add } from './add.js';
import { def as Sub } from './sub.js';
import { def as Mul } from './mul.js';
import { def as Div } from './div.js';
import { def as Pow } from './pow.js';
import { def as Max } from './max.js';
import { def as Min } from './min.js';
import { def as Relu } from './relu.js';
import { def as Clip } from './clip.js';
import { def as LeakyRelu } from './leaky-relu.js';
import { def as PRelu } from './prelu.js';
import { def as Sigmoid } from './sigmoid.js';
import { def as HardSigmoid } from './hard-sigmoid.js';
import { def as HardSwish } from './hard-swish.js';
import { def as Tanh } from './tanh.js';
import { def as Elu } from './elu.js';
import { def as Erf } from './erf.js';
import { def as Selu } from './selu.js';
import { def as Softmax } from './softmax.js';
import { def as LogSoftmax } from './log-softmax.js';
import { def as MaxPool } from './max-pool.js';
import { def as AveragePool } from './average-pool.js';
import { def as ReduceMean } from './reduce-mean.js';
import { def as ReduceMax } from './reduce-max.js';
import { def as BatchNormalization } from './batch-normalization.js';
import { def as Concat } from './concat.js';
import { def as Reshape } from './reshape.js';
import { def as Expand } from './expand.js';
import { def as Transpose } from './transpose.js';
import { def as Pad } from './pad.js';
import { def as Slice } from './slice.js';
import { def as Gather } from './gather.js';
import { def as Identity } from './identity.js';
import { def as Resize } from './resize.js';
import { def as ArgMax } from './argmax.js';
import { def as Cast } from './cast.js';
import { def as Quantize } from './quantize.js';
import { def as Dequantize } from './dequantize.js';
import { def as Lstm } from './lstm.js';
import { def as Gru } from './gru.js';

export const OPS: readonly OpDef[] = [
  Conv,
  ConvTranspose,
  FullyConnected,
  MatMul,
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Max,
  Min,
  Relu,
  Clip,
  LeakyRelu,
  PRelu,
  Sigmoid,
  HardSigmoid,
  HardSwish,
  Tanh,
  Elu,
  Erf,
  Selu,
  Softmax,
  LogSoftmax,
  MaxPool,
  AveragePool,
  ReduceMean,
  ReduceMax,
  BatchNormalization,
  Concat,
  Reshape,
  Expand,
  Transpose,
  Pad,
  Slice,
  Gather,
  Identity,
  Resize,
  ArgMax,
  Cast,
  Quantize,
  Dequantize,
  Lstm,
  Gru,
];

const BY_NAME = new Map<string, OpDef>(OPS.map((d) => [d.name, d]));

export const OP_NAMES: readonly string[] = OPS.map((d) => d.name);

export function hasOp(name: string): boolean {
  return BY_NAME.has(name);
}

export function getOp(name: string): OpDef {
  const d = BY_NAME.get(name);
  if (!d) {
    const near = didYouMean(name, OP_NAMES);
    fail('EF2002', `operator '${name}' is not in the registry`, { suggestion: near ? `did you mean '${near}'?` : undefined });
  }
  return d;
}

function typeOk(spec: AttrSpec, v: AttrValue): boolean {
  switch (spec.type) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string' && (!spec.oneOf || spec.oneOf.includes(v));
    case 'ints':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'floats':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

/**
 * Validate a node's attributes against the op's schema and fill in defaults. Unknown attributes and values
 * of the wrong type are errors, never silently ignored.
 */
export function normalizeAttrs(def: OpDef, attrs: Attrs, nodeName: string): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(attrs)) {
    const spec = def.attrs[k];
    if (!spec) {
      const near = didYouMean(k, Object.keys(def.attrs));
      fail('EF1006', `${def.name} has no attribute '${k}'`, {
        node: nodeName,
        suggestion: near ? `did you mean '${near}'?` : undefined,
      });
    }
    if (!typeOk(spec, v)) {
      fail('EF1006', `${def.name} attribute '${k}' has a bad value ${JSON.stringify(v)} (expected ${spec.type}${
        spec.oneOf ? ' one of ' + spec.oneOf.join('|') : ''
      })`, { node: nodeName });
    }
    out[k] = v;
  }
  for (const [k, spec] of Object.entries(def.attrs)) {
    if (out[k] === undefined) {
      if (spec.required) fail('EF1006', `${def.name} needs attribute '${k}'`, { node: nodeName });
      if (spec.default !== undefined) out[k] = spec.default;
    }
  }
  return out;
}

/** What to do about an op that has no integer kernel: the registry's advice for it, or the generic one. */
export function noIntegerKernelAdvice(op: string): string {
  return (
    (hasOp(op) ? getOp(op).noIntAdvice : undefined) ??
    `${op} has no integer kernel: replace it with an operator that has one (\`espforge inspect --list-ops\` lists them), or cut it out of the model and compute it in the application on the dequantized output`
  );
}
