// The graph IR: plain, serialisable data. Tensors live in one table and are referenced by id (their index);
// nodes are records in execution (topological) order; there are no back-pointers. Passes build a new graph
// (GraphBuilder helps) rather than mutate one that others hold.
//
// Layout: image tensors are NHWC (what ESP-NN, TFLite Micro and ESP-DL run). Spatial ops in the registry are
// defined on NHWC. Importers of channels-first formats convert at the boundary and record, per graph input and
// output, the permutation from the stored layout back to the source model's layout (`sourcePerm`).

import type { DType, TypedArray } from './dtype.js';

/** Quantization record: real = scale * (q - zeroPoint); per-tensor when scale has one entry, else along `axis`. */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

export interface Tensor {
  id: number;
  name: string;
  dtype: DType;
  /** Static shape. -1 marks a dimension unknown at import (a symbolic batch); passes resolve it to 1. */
  shape: number[];
  /** Constant data (weights, folded values), row-major in `shape`. */
  data?: TypedArray;
  quant?: QuantParams;
  /**
   * For graph inputs/outputs imported from a channels-first model: storedShape[i] = sourceShape[sourcePerm[i]].
   * A caller holding data in the source layout transposes it with this permutation before feeding it.
   */
  sourcePerm?: number[];
}

export type AttrValue = number | string | number[] | string[];
export type Attrs = Record<string, AttrValue>;

export interface Node {
  /** Canonical op name from the registry (src/ops/index.ts). */
  op: string;
  /** Name of the node (or layer) in the source model, for messages and generated comments. */
  name: string;
  /** Tensor ids; -1 marks an absent optional input. */
  inputs: number[];
  outputs: number[];
  attrs: Attrs;
  /**
   * Integer-execution parameters (multipliers, shifts, clamp ranges, tables) computed once by the
   * quantization prepare step and only read by the integer simulator and the C emitter.
   */
  qparams?: Record<string, number | number[]>;
}

export interface GraphMeta {
  /** Format the graph came from: onnx, tflite, keras, tfjs, espforge. */
  format: string;
  /** Model file path or name. */
  source?: string;
  producer?: string;
  /** Free-form import facts (opset, schema version, ...). */
  info?: Record<string, string | number>;
  /** Import warnings (plain diagnostics) for the CLI to show, e.g. NaN weights. */
  warnings?: import('../diagnostics.js').Diagnostic[];
  /** Class names of output 0, one per class, when the model carries them (saved by `espforge train`). */
  classes?: string[];
}

export interface Graph {
  tensors: Tensor[];
  nodes: Node[];
  inputs: number[];
  outputs: number[];
  meta: GraphMeta;
}

export function tensorOf(g: Graph, id: number): Tensor {
  const t = g.tensors[id];
  if (!t) throw new Error(`tensor id ${id} does not exist`);
  return t;
}

export function isConst(g: Graph, id: number): boolean {
  return id >= 0 && g.tensors[id]?.data !== undefined;
}

/** Map tensor id → index of the node that produces it. */
export function producers(g: Graph): Map<number, number> {
  const m = new Map<number, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => m.set(o, i)));
  return m;
}

/** Map tensor id → indices of the nodes that read it. */
export function consumers(g: Graph): Map<number, number[]> {
  const m = new Map<number, number[]>();
  g.nodes.forEach((n, i) =>
    n.inputs.forEach((t) => {
      if (t < 0) return;
      const l = m.get(t);
      if (l) l.push(i);
      else m.set(t, [i]);
    }),
  );
  return m;
}

/** Builds graphs incrementally: used by importers and by passes that rewrite a graph into a new one. */
export class GraphBuilder {
  readonly tensors: Tensor[] = [];
  readonly nodes: Node[] = [];
  inputs: number[] = [];
  outputs: number[] = [];
  private names = new Set<string>();

  constructor(public meta: GraphMeta) {}

  /** Add a tensor; the name is made unique if taken. */
  tensor(t: Omit<Tensor, 'id'>): number {
    let name = t.name || `t${this.tensors.length}`;
    if (this.names.has(name)) {
      let k = 1;
      while (this.names.has(`${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    this.names.add(name);
    const id = this.tensors.length;
    this.tensors.push({ ...t, name, id });
    return id;
  }

  constant(name: string, dtype: DType, shape: number[], data: TypedArray): number {
    return this.tensor({ name, dtype, shape, data });
  }

  node(n: Node): Node {
    this.nodes.push(n);
    return n;
  }

  get(id: number): Tensor {
    return tensorOf(this as unknown as Graph, id);
  }

  build(): Graph {
    return { tensors: this.tensors, nodes: this.nodes, inputs: this.inputs, outputs: this.outputs, meta: this.meta };
  }
}

/** Drop nodes whose outputs nobody needs and tensors nobody references; renumber ids. */
export function pruneGraph(g: Graph): Graph {
  const needed = new Set<number>(g.outputs);
  const keep: boolean[] = new Array(g.nodes.length).fill(false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => needed.has(o))) {
      keep[i] = true;
      for (const t of n.inputs) if (t >= 0) needed.add(t);
    }
  }
  for (const t of g.inputs) needed.add(t);
  g.nodes.forEach((n, i) => keep[i] && n.outputs.forEach((o) => needed.add(o)));
  const remap = new Map<number, number>();
  const tensors: Tensor[] = [];
  for (const t of g.tensors) {
    if (needed.has(t.id)) {
      remap.set(t.id, tensors.length);
      tensors.push({ ...t, id: tensors.length });
    }
  }
  const r = (id: number) => (id < 0 ? id : remap.get(id)!);
  return {
    tensors,
    nodes: g.nodes.filter((_, i) => keep[i]).map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) })),
    inputs: g.inputs.map(r),
    outputs: g.outputs.map(r),
    meta: g.meta,
  };
}
