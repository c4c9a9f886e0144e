// The shape of one operator definition. Each op lives in one file under src/ops/ and is listed once in
// src/ops/index.ts (the registry). Later stages fill the optional slots: the integer kernel and its
// parameter preparation (src/quant, src/sim), and the C emitter (src/codegen).

import type { DType, TypedArray } from '../ir/dtype.js';
import type { Attrs, AttrValue, Graph, Node } from '../ir/graph.js';

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

export interface OpDef {
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
  /** True when output 0 may share memory with input 0 (reshape, element-wise in place). Used by the planner. */
  inPlace?: boolean;
  /**
   * For ops without an integer kernel: what to do instead, true and specific to this op (shown with EF3002 when a
   * quantized model keeps it in float). Without it the generic advice applies.
   */
  noIntAdvice?: string;
}

/**
 * Integer execution of one op (src/sim/int/): kept apart from the float reference, as TFLite Micro keeps its
 * reference kernels apart from optimized ones. `prepare` computes node.qparams once from the tensors'
 * quantization records; `eval` only reads them. The C emitter reads the same node.qparams.
 */
export interface IntKernel {
  prepare(node: Node, g: Graph): Record<string, number | number[]>;
  eval(inputs: (Value | undefined)[], node: Node, g: Graph): Value[];
}
