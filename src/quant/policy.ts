// Per-op quantization policy as PTQ reads it: queries over the registry's OpDef.quant (each op file declares its
// own). No op names are listed here.

import type { DType } from '../ir/dtype.js';
import type { Node, Tensor } from '../ir/graph.js';
import { getOp, hasOp, OPS } from '../ops/index.js';
import type { FixedQuant, OpQuant } from '../ops/types.js';

function quantOf(op: string): OpQuant | undefined {
  return hasOp(op) ? getOp(op).quant : undefined;
}

function opsWith(f: (q: OpQuant) => boolean): ReadonlySet<string> {
  return new Set(OPS.filter((d) => d.int && d.quant && f(d.quant)).map((d) => d.name));
}

/** Ops whose integer kernels run int16 (16x8) activations, i.e. layers the mixed scheme may move to int16. */
export const INT16_OPS: ReadonlySet<string> = opsWith((q) => q.activations === 'int8+int16');

/**
 * Ops with an int8 integer kernel but no int16 one (TFLM has none): under the int16 scheme they run as int8 islands
 * (QUANTIZE int16 → int8, the op, QUANTIZE int8 → int16), so that every integer op of the model has a C kernel.
 */
export const INT8_ONLY_OPS: ReadonlySet<string> = opsWith((q) => q.activations === 'int8');

/** PTQ keeps this node float (the op's own condition, e.g. PRelu with a slope computed at run time). */
export function ptqKeepsFloat(n: Node, tensors: readonly Tensor[]): boolean {
  return quantOf(n.op)?.keepsFloat?.(n, tensors) ?? false;
}

/** Input ports sharing the output's quantization ('all' = every input), or undefined when the op requantizes. */
export function sharedPorts(op: string): readonly number[] | 'all' | undefined {
  return quantOf(op)?.sharedPorts;
}

/** The op's constant weight (and bias) ports and their granularity, or undefined. */
export function weightPorts(op: string): OpQuant['weights'] {
  return quantOf(op)?.weights;
}

/** Whether input port k of `op` is its weight or bias. */
export function isWeightPort(op: string, k: number): boolean {
  const w = weightPorts(op);
  return !!w && (k === w.port || k === w.biasPort);
}

/** The output quantization the op's kernel fixes for activation dtype `act`, or undefined. */
export function fixedOutput(op: string, act: DType): FixedQuant | undefined {
  const f = quantOf(op)?.fixedOutput;
  return act === 'int8' || act === 'int16' ? f?.[act] : undefined;
}
