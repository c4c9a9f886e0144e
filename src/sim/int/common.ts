// Helpers shared by the integer kernels: attribute access with defaults, qparams access, output allocation, and
// a per-node cache of decoded parameter arrays (typed copies of qparams and re-laid-out weights) so that eval
// does no preparation work after the first run.

import { fail } from '../../diagnostics.js';
import { allocArray, shapeSize, type DType, type TypedArray } from '../../ir/dtype.js';
import type { AttrValue, Graph, Node } from '../../ir/graph.js';
import type { Value } from '../../ops/types.js';

export function attrOr<T extends AttrValue>(node: Node, key: string, dflt: T): T {
  const v = node.attrs[key];
  return (v === undefined ? dflt : v) as T;
}

/** A number from node.qparams (written by the kernel's prepare). */
export function qn(node: Node, key: string): number {
  const v = node.qparams?.[key];
  if (typeof v !== 'number') fail('EF3001', `${node.op} node has no integer parameter '${key}' (run prepareIntGraph first)`, { node: node.name });
  return v;
}

/** An array from node.qparams. */
export function qa(node: Node, key: string): number[] {
  const v = node.qparams?.[key];
  if (!Array.isArray(v)) fail('EF3001', `${node.op} node has no integer parameter array '${key}' (run prepareIntGraph first)`, { node: node.name });
  return v;
}

/** Static output shape of output k: the tensor's shape with a symbolic batch (-1) taken from input 0. */
export function outShape(g: Graph, node: Node, inputs: (Value | undefined)[], k = 0): number[] {
  const t = g.tensors[node.outputs[k]];
  if (!t.shape.includes(-1)) return t.shape;
  return t.shape.map((d, i) => (d < 0 ? (inputs[0]?.shape[i] ?? 1) : d));
}

export function newOut(g: Graph, node: Node, inputs: (Value | undefined)[], k = 0): { dtype: DType; shape: number[]; data: TypedArray } {
  const t = g.tensors[node.outputs[k]];
  const shape = outShape(g, node, inputs, k);
  return { dtype: t.dtype, shape, data: allocArray(t.dtype, shapeSize(shape)) };
}

export function need(inputs: (Value | undefined)[], i: number, node: Node): Value {
  const v = inputs[i];
  if (!v) fail('EF1009', `${node.op} input ${i} is missing`, { node: node.name });
  return v;
}

const caches = new WeakMap<Node, unknown>();

/** Per-node memo: built on first eval from the node's qparams and constant tensors, reused afterwards. */
export function cached<T>(node: Node, build: () => T): T {
  let c = caches.get(node) as { q: unknown; v: T } | undefined;
  if (!c || c.q !== node.qparams) {
    c = { q: node.qparams, v: build() };
    caches.set(node, c);
  }
  return c.v;
}

export function int32Of(a: readonly number[]): Int32Array {
  return Int32Array.from(a);
}
