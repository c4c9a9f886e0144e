// THE registry: the only list of operators. Everything that enumerates ops (importer coverage, --list-ops,
// the docs tables) or asks what an op supports (quantization policy, integer kernel, layout role) reads it.
// Adding an op: one file in this folder, one import and one entry here (its key is the op's name, OpName); with an
// integer kernel also its file in src/sim/int/ (exporting the kernel and its typed parameters) and `int` on the entry.

import { didYouMean, fail } from '../diagnostics.js';
import type { Attrs, AttrValue } from '../ir/graph.js';
import type { OpParams } from './qparams.js';
import type { AttrSpec, IntKernel, OpDef, OpName } from './types.js';

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
import { def as Gelu } from './gelu.js';
import { def as Selu } from './selu.js';
import { def as Softmax } from './softmax.js';
import { def as LogSoftmax } from './log-softmax.js';
import { def as MaxPool } from './max-pool.js';
import { def as AveragePool } from './average-pool.js';
import { def as ReduceMean } from './reduce-mean.js';
import { def as ReduceMax } from './reduce-max.js';
import { def as LayerNormalization } from './layer-normalization.js';
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

// Integer kernels (src/sim/int/), attached to their ops below. The kernel modules use the registry only inside
// functions (generic.ts calls getOp at eval time), so this import cycle is safe under ESM.
import { kernel as AddInt } from '../sim/int/add.js';
import { kernel as AveragePoolInt } from '../sim/int/average-pool.js';
import { kernel as ClipInt } from '../sim/int/clip.js';
import { kernel as ConcatInt } from '../sim/int/concat.js';
import { kernel as ConvInt } from '../sim/int/conv.js';
import { kernel as ConvTransposeInt } from '../sim/int/conv-transpose.js';
import { kernel as DequantizeInt } from '../sim/int/dequantize.js';
import { kernel as LstmInt } from '../sim/int/lstm.js';
import { kernel as FullyConnectedInt } from '../sim/int/fully-connected.js';
import { kernel as GeluInt } from '../sim/int/gelu.js';
import { kernel as HardSigmoidInt } from '../sim/int/hard-sigmoid.js';
import { kernel as HardSwishInt } from '../sim/int/hard-swish.js';
import { kernel as IdentityInt } from '../sim/int/identity.js';
import { kernel as LeakyReluInt } from '../sim/int/leaky-relu.js';
import { kernel as LogSoftmaxInt } from '../sim/int/log-softmax.js';
import { kernel as MaxPoolInt } from '../sim/int/max-pool.js';
import { kernel as MulInt } from '../sim/int/mul.js';
import { kernel as PReluInt } from '../sim/int/prelu.js';
import { kernel as PadInt } from '../sim/int/pad.js';
import { kernel as QuantizeInt } from '../sim/int/quantize.js';
import { kernel as ReduceMeanInt } from '../sim/int/reduce-mean.js';
import { kernel as LayerNormalizationInt } from '../sim/int/layer-normalization.js';
import { kernel as ReluInt } from '../sim/int/relu.js';
import { kernel as ReshapeInt } from '../sim/int/reshape.js';
import { kernel as ResizeInt } from '../sim/int/resize.js';
import { kernel as SigmoidInt } from '../sim/int/sigmoid.js';
import { kernel as SoftmaxInt } from '../sim/int/softmax.js';
import { kernel as SubInt } from '../sim/int/sub.js';
import { kernel as TanhInt } from '../sim/int/tanh.js';
import { kernel as TransposeInt } from '../sim/int/transpose.js';
import { generic } from '../sim/int/generic.js';

/** Every op by name (the keys define OpName); the `satisfies` clause checks that each op OpParams
 * (src/ops/qparams.ts) lists carries an integer kernel of that parameter type; the line after it checks that each key
 * is its op's name. Order = listing order. */
export const REGISTRY = {
  Conv: { ...Conv, int: ConvInt },
  ConvTranspose: { ...ConvTranspose, int: ConvTransposeInt },
  FullyConnected: { ...FullyConnected, int: FullyConnectedInt },
  MatMul,
  Add: { ...Add, int: AddInt },
  Sub: { ...Sub, int: SubInt },
  Mul: { ...Mul, int: MulInt },
  Div,
  Pow,
  Max: { ...Max, int: generic('Max', true) },
  Min: { ...Min, int: generic('Min', true) },
  Relu: { ...Relu, int: ReluInt },
  Clip: { ...Clip, int: ClipInt },
  LeakyRelu: { ...LeakyRelu, int: LeakyReluInt },
  PRelu: { ...PRelu, int: PReluInt },
  Sigmoid: { ...Sigmoid, int: SigmoidInt },
  HardSigmoid: { ...HardSigmoid, int: HardSigmoidInt },
  HardSwish: { ...HardSwish, int: HardSwishInt },
  Tanh: { ...Tanh, int: TanhInt },
  Elu,
  Erf,
  Gelu: { ...Gelu, int: GeluInt },
  Selu,
  Softmax: { ...Softmax, int: SoftmaxInt },
  LogSoftmax: { ...LogSoftmax, int: LogSoftmaxInt },
  MaxPool: { ...MaxPool, int: MaxPoolInt },
  AveragePool: { ...AveragePool, int: AveragePoolInt },
  ReduceMean: { ...ReduceMean, int: ReduceMeanInt },
  ReduceMax: { ...ReduceMax, int: generic('ReduceMax', true) },
  LayerNormalization: { ...LayerNormalization, int: LayerNormalizationInt },
  BatchNormalization,
  Concat: { ...Concat, int: ConcatInt },
  Reshape: { ...Reshape, int: ReshapeInt },
  Expand,
  Transpose: { ...Transpose, int: TransposeInt },
  Pad: { ...Pad, int: PadInt },
  Slice: { ...Slice, int: generic('Slice', true) },
  Gather: { ...Gather, int: generic('Gather', true) },
  Identity: { ...Identity, int: IdentityInt },
  Resize: { ...Resize, int: ResizeInt },
  ArgMax: { ...ArgMax, int: generic('ArgMax', false) },
  Cast,
  Quantize: { ...Quantize, int: QuantizeInt },
  Dequantize: { ...Dequantize, int: DequantizeInt },
  Lstm: { ...Lstm, int: LstmInt },
  Gru,
} satisfies { readonly [k: string]: OpDef } & { readonly [K in keyof OpParams]: OpDef & { int: IntKernel<OpParams[K]> } };

export const OPS: readonly OpDef[] = Object.values(REGISTRY);
for (const [k, d] of Object.entries(REGISTRY)) if (k !== d.name) throw new Error(`registry key ${k} holds op ${d.name}`);

const BY_NAME = new Map<string, OpDef>(OPS.map((d) => [d.name, d]));

export const OP_NAMES: readonly string[] = OPS.map((d) => d.name);

export function hasOp(name: string): name is OpName {
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
