// Before conversion: the LayerNorm decomposition that PyTorch (1.13, opset < 17) exports for nn.LayerNorm becomes
// one LayerNormalization node. The chain, by tensor names, each intermediate read only inside the chain:
//   m = ReduceMean(x, axes, keepdims=1); d = Sub(x, m); p = Pow(d, 2); v = ReduceMean(p, axes, keepdims=1);
//   e = Add(v, eps); s = Sqrt(e); n = Div(d, s); [g = Mul(n, Scale)]; [y = Add(g, B)]
// with the same trailing axes in both ReduceMeans (negative, consecutive, ending at -1: that is what the exporter
// writes), constant 2 and eps (initializers or Constant nodes), and constant Scale / B. Sqrt has no registry op, so
// a chain that does not match all the way still fails at import as an unsupported operator.

import { onnx, type GraphProto, type NodeProto, type TensorProto } from './proto.js';
import { tensorFromProto } from './tensor.js';

type Consts = Map<string, TensorProto>;

function scalar(name: string, consts: Consts, file: string): number | undefined {
  const t = consts.get(name);
  if (!t) return undefined;
  const v = tensorFromProto(t, `constant '${name}'`, file);
  return v.data.length === 1 ? Number(v.data[0]) : undefined;
}

function axesOf(n: NodeProto, consts: Consts, file: string): number[] | undefined {
  const a = (n.attribute ?? []).find((x) => x.name === 'axes');
  let axes: number[] | undefined = a ? (a.ints ?? []).map(Number) : undefined;
  if (!axes && n.input?.[1]) {
    const t = consts.get(n.input[1]);
    axes = t ? Array.from(tensorFromProto(t, `axes '${n.input[1]}'`, file).data, Number) : undefined;
  }
  const keep = (n.attribute ?? []).find((x) => x.name === 'keepdims');
  if (keep && Number(keep.i) !== 1) return undefined;
  if ((n.attribute ?? []).some((x) => x.name !== 'axes' && x.name !== 'keepdims')) return undefined;
  if (!axes || !axes.length || axes[axes.length - 1] !== -1 || axes.some((x, i) => i > 0 && x !== axes![i - 1] + 1)) return undefined;
  return axes;
}

/** Rewrite g.node in place; returns how many chains were fused. */
export function fuseLayerNormChains(g: GraphProto, file: string): number {
  const nodes = g.node ?? [];
  const consts: Consts = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const n of nodes)
    if (n.opType === 'Constant' && n.output?.[0]) {
      const v = (n.attribute ?? []).find((a) => a.name === 'value')?.t;
      if (v) consts.set(n.output[0], v);
    }
  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set((g.output ?? []).map((o) => o.name ?? ''));
  const only = (t: string, op: string): NodeProto | undefined => {
    const c = consumers.get(t) ?? [];
    return c.length === 1 && c[0].opType === op && !outputs.has(t) ? c[0] : undefined;
  };
  const other = (n: NodeProto, t: string) => (n.input?.[0] === t ? n.input?.[1] : n.input?.[0]) ?? '';
  const drop = new Set<NodeProto>();
  const replace = new Map<NodeProto, NodeProto>();
  let fused = 0;
  for (const m of nodes) {
    if (m.opType !== 'ReduceMean' || drop.has(m)) continue;
    const x = m.input?.[0] ?? '';
    const axes = axesOf(m, consts, file);
    const mt = m.output?.[0] ?? '';
    const sub = only(mt, 'Sub');
    if (!axes || !sub || sub.input?.[0] !== x || sub.input?.[1] !== mt) continue;
    const d = sub.output?.[0] ?? '';
    const dc = consumers.get(d) ?? [];
    const pow = dc.find((c) => c.opType === 'Pow');
    const div = dc.find((c) => c.opType === 'Div');
    if (dc.length !== 2 || !pow || !div || outputs.has(d) || pow.input?.[0] !== d || div.input?.[0] !== d) continue;
    if (scalar(pow.input?.[1] ?? '', consts, file) !== 2) continue;
    const m2 = only(pow.output?.[0] ?? '', 'ReduceMean');
    const a2 = m2 && axesOf(m2, consts, file);
    if (!m2 || !a2 || a2.join() !== axes.join()) continue;
    const add = only(m2.output?.[0] ?? '', 'Add');
    const eps = add && scalar(other(add, m2.output?.[0] ?? ''), consts, file);
    if (!add || eps === undefined || !(eps >= 0)) continue;
    const sqrt = only(add.output?.[0] ?? '', 'Sqrt');
    if (!sqrt || only(sqrt.output?.[0] ?? '', 'Div') !== div || div.input?.[1] !== sqrt.output?.[0]) continue;
    const chain = [m, sub, pow, m2, add, sqrt, div];
    let y = div.output?.[0] ?? '';
    let scale: string | undefined;
    let bias: string | undefined;
    const mul = only(y, 'Mul');
    if (mul && consts.has(other(mul, y))) {
      scale = other(mul, y);
      chain.push(mul);
      y = mul.output?.[0] ?? '';
      const badd = only(y, 'Add');
      if (badd && consts.has(other(badd, y))) {
        bias = other(badd, y);
        chain.push(badd);
        y = badd.output?.[0] ?? '';
      }
    }
    if (!scale) {
      scale = `${mt}__layernorm_scale`;
      g.initializer = [...(g.initializer ?? []), onnx.TensorProto.create({ name: scale, dims: [1], dataType: 1, floatData: [1] })];
    }
    const ln = onnx.NodeProto.create({
      name: `${m.name || mt}_layernorm`,
      opType: 'LayerNormalization',
      input: bias ? [x, scale, bias] : [x, scale],
      output: [y],
      attribute: [
        { name: 'axis', type: 2, i: axes[0] },
        { name: 'epsilon', type: 1, f: eps },
      ],
    });
    for (const c of chain) drop.add(c);
    replace.set(chain[chain.length - 1], ln);
    fused++;
  }
  if (fused) g.node = nodes.flatMap((n) => (replace.has(n) ? [replace.get(n)!] : drop.has(n) ? [] : [n]));
  return fused;
}
