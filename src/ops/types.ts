// The shape of one operator definition. Each op lives in one file under src/ops/ and is listed once in
// src/ops/index.ts (the registry). Later stages fill the optional slots: the integer kernel and its
// parameter preparation (src/quant, src/sim), and the C emitter (src/codegen).

import type { DType, TypedArray } from '../ir/dtype.js';
import type { Attrs, AttrValue, Graph, Node, Tensor } from '../ir/graph.js';
import type { QParamsRecord } from './qparams.js';

/** A runtime value flowing through an interpreter. */
export interface Value {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings';

export interface AttrSpec {
  type: AttrType;
  /** Omitted default + not required = the attribute is optional and absent means "not given". */
  default?: AttrValue;
  required?: boolean;
  /** Allowed values for string attributes. */
  oneOf?: readonly string[];
  doc?: string;
}

export interface PortSpec {
  name: string;
  optional?: boolean;
  /** The input must be a constant tensor (weights): importers fold or reject otherwise. */
  constant?: boolean;
  /** Any number of inputs (Concat); only the last port may be variadic. */
  variadic?: boolean;
}

/** What shape inference sees of one input. */
export interface TensorInfo {
  dtype: DType;
  shape: number[];
  /** Present when the input is constant. */
  data?: TypedArray;
}

export interface InferCtx {
  node: Node;
  /** Attributes with defaults applied. */
  attrs: Attrs;
  /** One entry per input port occurrence; undefined for absent optional inputs. */
  inputs: (TensorInfo | undefined)[];
}

export interface OutputInfo {
  dtype: DType;
  shape: number[];
}

/** Fused activation names accepted by ops with an `activation` attribute. */
export const FUSED_ACTIVATIONS = ['none', 'relu', 'relu6', 'relu_n1_to_1'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

/**
 * The name of a registry op: the keys of the registry (src/ops/index.ts), so adding an op there is all it takes for
 * the name to exist; OpDef.name is checked against its key when the registry loads.
 */
export type OpName = keyof typeof import('./index.js').REGISTRY;

/** Activation dtypes of integer execution. */
export type IntActDType = 'int8' | 'int16';

/** A fixed output quantization (TFLite's Softmax, Logistic, Tanh, LogSoftmax outputs). */
export interface FixedQuant {
  scale: number;
  zeroPoint: number;
}

/**
 * How post-training quantization treats the op (src/quant reads only this). Absent = PTQ quantizes the op's
 * activations with calibrated parameters and nothing else.
 */
export interface OpQuant {
  /**
   * Activation dtypes of the integer kernel. 'int8': int8 only (TFLM has no int16 kernel; under the int16 scheme it
   * runs as an int8 island between QUANTIZE nodes). 'int8+int16': also 16x8 (int16 activations, int8 weights,
   * int64 bias; the mixed scheme may move such a layer to int16). 'any': dtype-generic data movement or
   * conversion (values pass through whatever the integer dtype). Only meaningful with an integer kernel (`int`).
   */
  activations?: 'int8' | 'int8+int16' | 'any';
  /** Constant weight operand at port `port` (symmetric int8, per output channel along axis 0 or per tensor) and
   * its bias at `biasPort` (int32; int64 for int16 activations; scale s_in·s_w). */
  /** Per-channel scales run along `axis` of the weight (default 0: OHWI / [N,K] filters). */
  weights?: { port: number; biasPort?: number; granularity: 'per-channel' | 'per-tensor'; axis?: number };
  /** Input ports whose quantization is the output's (the kernel does not requantize there); 'all' = every input. */
  sharedPorts?: readonly number[] | 'all';
  /** Output quantization fixed by the kernel, per activation dtype. */
  fixedOutput?: Partial<Record<IntActDType, FixedQuant>>;
  /** PTQ keeps this node float (dequantize → float kernel → quantize) when this holds. */
  keepsFloat?(node: Node, tensors: readonly Tensor[]): boolean;
}

/** How the op relates to the data layout (importers choosing channels-last for graph inputs). */
export type OpLayout =
  /** Works on NHWC spatial data: a channels-first graph input reaching its port 0 is stored NHWC. */
  | 'spatial'
  /** Layout-agnostic (element-wise, Pad, Cast, ...): "reaches a spatial op" is followed through its output 0. */
  | 'transparent';

export interface OpDef {
  /** The op's registry key (OpName); checked against the key when the registry loads. */
  name: string;
  /** One line for `--list-ops` and the docs. */
  doc: string;
  inputs: PortSpec[];
  /** Output port names; the op produces exactly this many outputs. */
  outputs: string[];
  attrs: Record<string, AttrSpec>;
  /** Shape/dtype inference; throws EspforgeError (fail(...)) on invalid input. */
  infer(ctx: InferCtx): OutputInfo[];
  /** Float (and plain integer, where the op is dtype-generic) reference kernel. */
  evalFloat(inputs: (Value | undefined)[], attrs: Attrs, node: Node): Value[];
  /** Multiply-accumulates for one execution, given inferred shapes. 0 for data movement ops. */
  macs(ctx: InferCtx, outputs: OutputInfo[]): number;
  /** Post-training quantization policy (see OpQuant). */
  quant?: OpQuant;
  /** Integer execution (src/sim/int/); absent = no integer kernel (EF3002 at prepare time, PTQ keeps it float). */
  int?: IntKernel;
  /** Layout role for importers (see OpLayout). */
  layout?: OpLayout;
  /**
   * For ops without an integer kernel: what to do instead, true and specific to this op (shown with EF3002 when a
   * quantized model keeps it in float). Without it the generic advice applies.
   */
  noIntAdvice?: string;
}

/**
 * Integer execution of one op (src/sim/int/): kept apart from the float reference, as TFLite Micro keeps its
 * reference kernels apart from optimized ones. `prepare` computes the op's typed parameters P (src/ops/qparams.ts)
 * once from the tensors' quantization records; they are stored as node.qparams and `eval` only reads them (typed,
 * as its `params` argument). The C emitter reads the same node.qparams by key.
 */
export interface IntKernel<P extends QParamsRecord = QParamsRecord> {
  prepare(node: Node, g: Graph): P;
  eval(inputs: (Value | undefined)[], node: Node, g: Graph, params: P): Value[];
}
