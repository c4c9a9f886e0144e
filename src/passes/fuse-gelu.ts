// fuse-gelu: the element-wise chains PyTorch (before ONNX opset 20) exports for nn.GELU become one Gelu node:
//   exact:  x·0.5·(1 + erf(x/√2))                        Div(x, √2) or Mul(x, 1/√2), Erf, Add 1, two Muls
//   tanh:   0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))   Pow(x, 3), Mul, Add, Mul, Tanh, Add 1, two Muls
// The final product may associate as (x·a)·0.5, (x·0.5)·a or x·(a·0.5), operands of Add and Mul in either order.
// Constants must be scalar and equal to the expected value to float32 precision, and every intermediate tensor
// must have that one reader (x excepted), so nothing else sees a value that disappears.

import type { Graph, Node } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { cloneGraph } from './util.js';

const f = Math.fround;

export function fuseGelu(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const prod = new Map<number, number>();
  g.nodes.forEach((n, i) => n.outputs.forEach((o) => prod.set(o, i)));
  const used = new Set<number>();

  const nodeOf = (t: number, op: string): number | undefined => {
    const i = prod.get(t);
    return i !== undefined && g.nodes[i].op === op && !used.has(i) ? i : undefined;
  };
  /** Tensor t is a scalar constant equal to v (float32 precision). */
  const isConst = (t: number, v: number): boolean => {
    const d = g.tensors[t]?.data;
    return !!d && d.length === 1 && Math.abs(f(d[0]) - f(v)) <= 1e-6 * Math.abs(v);
  };
  /** Read only by node `by` (once), and not a graph output. */
  const onlyFor = (t: number, by: number): boolean => {
    const c = cons.get(t) ?? [];
    return c.length === 1 && c[0] === by && !g.outputs.includes(t) && g.nodes[by].inputs.filter((i) => i === t).length === 1;
  };
  /** The other operand of a two-input node whose operand `t` is one of them. */
  const other = (n: Node, t: number): number | undefined => (n.inputs.length !== 2 ? undefined : n.inputs[0] === t ? n.inputs[1] : n.inputs[1] === t ? n.inputs[0] : undefined);
  /** A two-input `op` node with a scalar-constant operand v: its other operand, or undefined. */
  const byConst = (i: number, v: number): number | undefined => {
    const [a, b] = g.nodes[i].inputs;
    if (g.nodes[i].inputs.length !== 2) return undefined;
    return isConst(b, v) ? a : isConst(a, v) ? b : undefined;
  };
  const noAct = (i: number) => (g.nodes[i].attrs.activation ?? 'none') === 'none';

  /** x of the exact form's Erf input (x/√2 or x·(1/√2)), with the nodes matched. */
  function erfArg(t: number): { x: number; nodes: number[] } | undefined {
    const d = nodeOf(t, 'Div');
    if (d !== undefined && isConst(g.nodes[d].inputs[1], Math.SQRT2)) return { x: g.nodes[d].inputs[0], nodes: [d] };
    const m = nodeOf(t, 'Mul');
    if (m !== undefined && noAct(m)) {
      const x = byConst(m, Math.SQRT1_2);
      if (x !== undefined) return { x, nodes: [m] };
    }
    return undefined;
  }
  /** x of the tanh form's Tanh input √(2/π)·(x + 0.044715·x³), with the nodes matched. */
  function tanhArg(t: number): { x: number; nodes: number[] } | undefined {
    const m = nodeOf(t, 'Mul');
    if (m === undefined || !noAct(m)) return undefined;
    const s = byConst(m, Math.sqrt(2 / Math.PI));
    if (s === undefined || !onlyFor(s, m)) return undefined;
    const a = nodeOf(s, 'Add');
    if (a === undefined || !noAct(a)) return undefined;
    for (const [x, pk] of [g.nodes[a].inputs, [...g.nodes[a].inputs].reverse()]) {
      const km = nodeOf(pk, 'Mul');
      if (km === undefined || !onlyFor(pk, a) || !noAct(km)) continue;
      const p = byConst(km, 0.044715);
      if (p === undefined || !onlyFor(p, km)) continue;
      const pw = nodeOf(p, 'Pow');
      if (pw === undefined || g.nodes[pw].inputs[0] !== x || !isConst(g.nodes[pw].inputs[1], 3)) continue;
      return { x, nodes: [m, a, km, pw] };
    }
    return undefined;
  }

  const drop = new Set<number>();
  g.nodes.forEach((n, ni) => {
    if ((n.op !== 'Erf' && n.op !== 'Tanh') || used.has(ni)) return;
    const arg = n.op === 'Erf' ? erfArg(n.inputs[0]) : tanhArg(n.inputs[0]);
    if (!arg || !onlyFor(n.inputs[0], ni)) return;
    const { x } = arg;
    if (g.tensors[x].dtype !== 'float32') return;
    // 1 + erf / 1 + tanh
    const e = n.outputs[0];
    const ac = cons.get(e) ?? [];
    if (ac.length !== 1 || !onlyFor(e, ac[0])) return;
    const ai = ac[0];
    if (g.nodes[ai].op !== 'Add' || !noAct(ai) || !isConst(other(g.nodes[ai], e) ?? -1, 1)) return;
    const a = g.nodes[ai].outputs[0];
    // the product of x, a and 0.5 in any association
    const m1c = cons.get(a) ?? [];
    if (m1c.length !== 1 || !onlyFor(a, m1c[0])) return;
    const m1 = m1c[0];
    if (g.nodes[m1].op !== 'Mul' || !noAct(m1)) return;
    const o = other(g.nodes[m1], a);
    if (o === undefined) return;
    let last: number;
    const chain = [...arg.nodes, ni, ai, m1];
    const half = o !== x ? nodeOf(o, 'Mul') : undefined;
    if (o === x || isConst(o, 0.5)) {
      // (x·a)·0.5 or (a·0.5)·x
      const t = g.nodes[m1].outputs[0];
      const m2c = cons.get(t) ?? [];
      if (m2c.length !== 1 || !onlyFor(t, m2c[0])) return;
      const m2 = m2c[0];
      if (g.nodes[m2].op !== 'Mul' || !noAct(m2)) return;
      const o2 = other(g.nodes[m2], t);
      if (o === x ? !isConst(o2 ?? -1, 0.5) : o2 !== x) return;
      chain.push(m2);
      last = m2;
    } else if (half !== undefined && onlyFor(o, m1) && noAct(half) && byConst(half, 0.5) === x) {
      // (x·0.5)·a
      chain.push(half);
      last = m1;
    } else return;
    if (chain.some((i) => used.has(i))) return;
    for (const i of chain) used.add(i);
    const approximate = n.op === 'Erf' ? 'none' : 'tanh';
    g.nodes[last] = { op: 'Gelu', name: g.nodes[last].name, inputs: [x], outputs: [g.nodes[last].outputs[0]], attrs: { approximate } };
    for (const i of chain) if (i !== last) drop.add(i);
  });
  if (drop.size === 0) return input;
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
