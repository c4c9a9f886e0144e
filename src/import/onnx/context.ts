// The ONNX import context: the graph under construction, the ONNX value name → IR tensor table with each
// tensor's layout, node emission with immediate shape inference and constant folding, and the layout
// conversions the importer inserts where a permuted tensor meets an op that cannot work on it.
//
// Layouts. ONNX image tensors are channels-first; the IR is channels-last. Every ONNX value maps to an IR
// tensor in one of three layouts:
//   plain  the IR tensor holds the ONNX value as is.
//   cl     ONNX [N,C,H,W] is stored NHWC [N,H,W,C]; ONNX [N,C,L] (1-D convs) is stored [N,1,L,C].
//   flat   ONNX [N, C*S] (a flattened feature map, S = product of spatial dims) is stored [N, S*C]: the
//          channels-last feature map flattened in its stored order. A FullyConnected that consumes it has its
//          weight columns permuted from CHW to HWC order instead of a runtime transpose.
// Constants are always plain; they are permuted (at import time) to meet a permuted operand.

import { EspforgeError, fail } from '../../diagnostics.js';
import { shapeSize, type DType } from '../../ir/dtype.js';
import { GraphBuilder, type Attrs, type Node } from '../../ir/graph.js';
import { getOp, normalizeAttrs } from '../../ops/index.js';
import type { TensorInfo, Value } from '../../ops/types.js';

export type Layout = { k: 'plain' } | { k: 'cl'; r: 3 | 4 } | { k: 'flat'; c: number; sp: number[] };

export const PLAIN: Layout = { k: 'plain' };

export interface Sym {
  id: number;
  layout: Layout;
}

/** Stored axis of ONNX axis `a` for a cl tensor of ONNX rank r. */
export function clAxis(a: number, r: 3 | 4): number {
  return r === 4 ? [0, 3, 1, 2][a] : [0, 3, 2][a];
}

/** Ops evaluated at import time when all their inputs are constants. */
const NO_FOLD = new Set<string>([]);

/** Constant folding bound: folded results larger than this stay as runtime nodes. */
const MAX_FOLD_ELEMS = 1 << 26;

export class OnnxContext {
  readonly b: GraphBuilder;
  readonly env = new Map<string, Sym>();
  readonly notes: string[] = [];
  private plainCache = new Map<number, number>();
  private clCache = new Map<number, number>();
  /** Name of the ONNX node being converted (for messages and generated node names). */
  node = '';

  constructor(
    readonly file: string,
    readonly opset: number,
    meta: ConstructorParameters<typeof GraphBuilder>[0],
  ) {
    this.b = new GraphBuilder(meta);
  }

  err(code: Parameters<typeof fail>[0], msg: string, suggestion?: string): never {
    return fail(code, msg, { file: this.file, node: this.node, suggestion });
  }

  tensor(id: number) {
    return this.b.tensors[id];
  }

  isConst(id: number): boolean {
    return id >= 0 && this.b.tensors[id].data !== undefined;
  }

  value(id: number): Value | undefined {
    const t = this.b.tensors[id];
    return t.data ? { dtype: t.dtype, shape: t.shape, data: t.data } : undefined;
  }

  /** ONNX-view shape of a symbol. */
  shape(s: Sym): number[] {
    const st = this.b.tensors[s.id].shape;
    if (s.layout.k === 'cl') return s.layout.r === 4 ? [st[0], st[3], st[1], st[2]] : [st[0], st[3], st[2]];
    return st;
  }

  dtype(s: Sym): DType {
    return this.b.tensors[s.id].dtype;
  }

  constant(name: string, v: Value): number {
    return this.b.constant(name, v.dtype, v.shape.slice(), v.data);
  }

  constSym(name: string, v: Value): Sym {
    return { id: this.constant(name, v), layout: PLAIN };
  }

  /**
   * Emit one canonical node: shapes are inferred at once (so later conversions can read them) and a node
   * whose inputs are all constant is evaluated here instead (constant folding).
   */
  emit(op: string, inputs: number[], attrs: Attrs, outNames: string[] = [], nOut = 1): number[] {
    const def = getOp(op);
    const name = this.node || op;
    const node: Node = { op, name, inputs, outputs: [], attrs };
    const norm = normalizeAttrs(def, attrs, name);
    const infos: (TensorInfo | undefined)[] = inputs.map((id) => {
      if (id < 0) return undefined;
      const t = this.b.tensors[id];
      return { dtype: t.dtype, shape: t.shape, data: t.data };
    });
    const outs = def.infer({ node, attrs: norm, inputs: infos });
    if (outs.length < nOut) this.err('EF9001', `${op} inferred ${outs.length} outputs, ${nOut} expected`);
    const foldable =
      !NO_FOLD.has(op) &&
      inputs.some((i) => i >= 0) &&
      inputs.every((i) => i < 0 || this.isConst(i)) &&
      outs.every((o) => shapeSize(o.shape) <= MAX_FOLD_ELEMS && o.shape.every((d) => d >= 0));
    if (foldable) {
      const vals = def.evalFloat(
        inputs.map((i) => (i < 0 ? undefined : this.value(i))),
        norm,
        node,
      );
      return vals.map((v, k) => this.constant(outNames[k] || `${name}_${op}_c${k}`, v));
    }
    node.outputs = outs.map((o, k) =>
      this.b.tensor({ name: outNames[k] || `${name}_${op}${k ? '_' + k : ''}`, dtype: o.dtype, shape: o.shape.slice() }),
    );
    this.b.node(node);
    return node.outputs;
  }

  emit1(op: string, inputs: number[], attrs: Attrs, outName?: string): number {
    return this.emit(op, inputs, attrs, outName ? [outName] : [])[0];
  }

  reshape(id: number, shape: number[], outName?: string): number {
    const cur = this.b.tensors[id].shape;
    if (cur.length === shape.length && cur.every((d, i) => d === shape[i])) return id;
    return this.emit1('Reshape', [id], { shape }, outName);
  }

  transpose(id: number, perm: number[], outName?: string): number {
    if (perm.every((p, i) => p === i)) return id;
    return this.emit1('Transpose', [id], { perm }, outName);
  }

  /** The symbol in plain layout (inserting the runtime conversion if it is stored permuted). */
  toPlain(s: Sym): number {
    if (s.layout.k === 'plain') return s.id;
    const hit = this.plainCache.get(s.id);
    if (hit !== undefined) return hit;
    const st = this.b.tensors[s.id].shape;
    let out: number;
    if (s.layout.k === 'cl') {
      if (s.layout.r === 4) out = this.transpose(s.id, [0, 3, 1, 2]);
      else out = this.transpose(this.reshape(s.id, [st[0], st[2], st[3]]), [0, 2, 1]);
    } else {
      const { c, sp } = s.layout;
      const n = st[0];
      const fm = this.reshape(s.id, [n, ...sp, c]);
      const perm = sp.length === 2 ? [0, 3, 1, 2] : [0, 2, 1];
      out = this.reshape(this.transpose(fm, perm), [n, c * shapeSize(sp)]);
    }
    this.plainCache.set(s.id, out);
    return out;
  }

  /** The symbol (ONNX rank 3 or 4) in cl layout. */
  toCl(s: Sym): Sym {
    if (s.layout.k === 'cl') return s;
    const shape = this.shape(s);
    const r = shape.length;
    if (r !== 3 && r !== 4) this.err('EF1004', `expected a 3-D or 4-D (channels-first) tensor, got [${shape.join(',')}]`);
    const pid = this.toPlain(s);
    const hit = this.clCache.get(pid);
    if (hit !== undefined) return { id: hit, layout: { k: 'cl', r: r as 3 | 4 } };
    let out: number;
    if (r === 4) out = this.transpose(pid, [0, 2, 3, 1]);
    else out = this.reshape(this.transpose(pid, [0, 2, 1]), [shape[0], 1, shape[2], shape[1]]);
    this.clCache.set(pid, out);
    return { id: out, layout: { k: 'cl', r: r as 3 | 4 } };
  }

  /** Symbol for an ONNX input name ('' → undefined). */
  get(name: string | undefined): Sym | undefined {
    if (!name) return undefined;
    const s = this.env.get(name);
    if (!s) this.err('EF2001', `reads '${name}', which no earlier node, initializer or graph input defines`);
    return s;
  }

  need(name: string | undefined, what: string): Sym {
    const s = this.get(name);
    if (!s) this.err('EF1009', `missing required input '${what}'`);
    return s;
  }

  /** A constant input's value (after binding and folding) or EF2005. */
  constValue(name: string | undefined, what: string): Value {
    const s = this.need(name, what);
    const v = this.value(this.toPlain(s));
    if (!v)
      this.err('EF2005', `input '${what}' ('${name}') must be a constant (initializer, Constant node or foldable shape arithmetic)`,
        'bind it with a fixed value (ImportOptions.bindInputs) or export the model with constant folding on');
    return v;
  }

  optConstValue(name: string | undefined, what: string): Value | undefined {
    if (!name) return undefined;
    return this.constValue(name, what);
  }

  set(name: string | undefined, s: Sym): void {
    if (!name) return;
    this.env.set(name, s);
  }

  wrap<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof EspforgeError)
        throw new EspforgeError(e.diagnostics.map((d) => ({ ...d, file: d.file ?? this.file, node: d.node ?? this.node })));
      throw e;
    }
  }
}
