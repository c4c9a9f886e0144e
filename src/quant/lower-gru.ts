// Gru → integer-executable ops, for quantization only (TFLM has no GRU operator). Each time step becomes
// FullyConnected / Add / Mul / Sub / Sigmoid / Tanh nodes on [B, H] tensors, which PTQ calibrates and quantizes like
// any other layer (int8 hidden state per step), and the steps' hidden states are joined by a Concat:
//
//   x_t      Slice(X, t) → Reshape [B, I]
//   z, r     Sigmoid(FC(x_t, W_g, Wb_g + Rb_g) + FC(h, R_g))            (no recurrent term while h is the zero state)
//   n        lbr 0: Tanh(FC(x_t, W_h, Wb_h + Rb_h) + FC(r ⊙ h, R_h))
//            lbr 1: Tanh(FC(x_t, W_h, Wb_h) + r ⊙ FC(h, R_h, Rb_h))
//   h'       n + z ⊙ (h − n)                                              (= (1 − z) ⊙ n + z ⊙ h)
//
// Node names keep the GRU's name as their prefix (`<gru>/t3/z`), so diagnostics and reports point at it. The graph
// grows by about 15 nodes per time step: meant for the short sequences of keyword-spotting and sensor models.

import type { Graph, Node, Tensor } from '../ir/graph.js';
import { inferGraph } from '../ops/infer.js';
import { rnnDims } from '../ops/rnn.js';

export function lowerGru(g: Graph): Graph {
  if (!g.nodes.some((n) => n.op === 'Gru')) return g;
  const tensors: Tensor[] = g.tensors.map((t) => ({ ...t }));
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    if (n.op !== 'Gru') {
      nodes.push(n);
      continue;
    }
    const [xId, wId, rId, bId = -1, h0Id = -1] = n.inputs;
    const W = g.tensors[wId];
    const R = g.tensors[rId];
    const Bt = bId >= 0 ? g.tensors[bId] : undefined;
    const layout = (n.attrs.layout as number | undefined) ?? 0;
    const d = rnnDims('Gru', g.tensors[xId].shape, W.shape, R.shape, layout, 3, n.name);
    const { T, B, I, H } = d;
    const lbr = (n.attrs.linear_before_reset as number | undefined) === 1;
    const reverse = n.attrs.direction === 'reverse';
    const tensor = (name: string, shape: number[], data?: Float32Array): number => {
      const id = tensors.length;
      tensors.push({ id, name, dtype: 'float32', shape, ...(data ? { data } : {}) });
      return id;
    };
    const node = (op: string, name: string, inputs: number[], shape: number[], attrs: Node['attrs'] = {}, out?: number): number => {
      const y = out ?? tensor(`${n.name}/${name}`, shape);
      nodes.push({ op, name: `${n.name}/${name}`, inputs, outputs: [y], attrs });
      return y;
    };
    const rows = (t: Tensor, g0: number, k: number) => Float32Array.from(t.data!.slice(g0 * H * k, (g0 + 1) * H * k));
    const bias = (k: number) => (Bt?.data ? Bt.data[k] : 0);
    const vec = (f: (j: number) => number) => Float32Array.from({ length: H }, (_, j) => f(j));
    const Wg = [0, 1, 2].map((gi) => tensor(`${n.name}/W${'zrh'[gi]}`, [H, I], rows(W, gi, I)));
    const Rg = [0, 1, 2].map((gi) => tensor(`${n.name}/R${'zrh'[gi]}`, [H, H], rows(R, gi, H)));
    // biases: Wb + Rb wherever both are simply added (z, r, and h unless linear_before_reset)
    const Bx = [0, 1, 2].map((gi) => tensor(`${n.name}/Bx${'zrh'[gi]}`, [H], vec((j) => bias(gi * H + j) + (gi < 2 || !lbr ? bias(3 * H + gi * H + j) : 0))));
    const Rbh = lbr ? tensor(`${n.name}/Rbh`, [H], vec((j) => bias(5 * H + j))) : -1;
    const S = [B, H];
    let h = h0Id;
    const steps: number[] = new Array(T);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const p = `t${t}`;
      const xs = node('Slice', `${p}/x_slice`, [xId], layout ? [B, 1, I] : [1, B, I], { starts: [t], ends: [t + 1], axes: [layout ? 1 : 0] });
      const xt = node('Reshape', `${p}/x`, [xs], [B, I], { shape: [B, I] });
      const gate = (gi: number, sig: boolean): number => {
        const a = node('FullyConnected', `${p}/x${'zr'[gi]}`, [xt, Wg[gi], Bx[gi]], S);
        const pre = h >= 0 ? node('Add', `${p}/${'zr'[gi]}_pre`, [a, node('FullyConnected', `${p}/h${'zr'[gi]}`, [h, Rg[gi]], S)], S) : a;
        return sig ? node('Sigmoid', `${p}/${'zr'[gi]}`, [pre], S) : pre;
      };
      const z = gate(0, true);
      const r = gate(1, true);
      const xh = node('FullyConnected', `${p}/xh`, [xt, Wg[2], Bx[2]], S);
      let pre: number;
      if (lbr) {
        // r ⊙ (h·Rhᵀ + Rbh); with the zero state only r ⊙ Rbh remains
        // (a constant operand of Mul is its own tensor: as an FC bias Rbh is quantized int32)
        const hr = h >= 0 ? node('FullyConnected', `${p}/hh`, [h, Rg[2], Rbh], S) : tensor(`${n.name}/Rbh_${p}`, [H], Float32Array.from(tensors[Rbh].data!));
        pre = node('Add', `${p}/h_pre`, [xh, node('Mul', `${p}/r_hh`, [r, hr], S)], S);
      } else pre = h >= 0 ? node('Add', `${p}/h_pre`, [xh, node('FullyConnected', `${p}/hh`, [node('Mul', `${p}/r_h`, [r, h], S), Rg[2]], S)], S) : xh;
      const nn = node('Tanh', `${p}/n`, [pre], S);
      const last = s === T - 1;
      const out = last ? n.outputs[1] : undefined;
      // h' = n + z ⊙ (h − n); from the zero state h' = n − z ⊙ n
      if (h >= 0) h = node('Add', `${p}/h`, [nn, node('Mul', `${p}/z_d`, [z, node('Sub', `${p}/d`, [h, nn], S)], S)], S, {}, out);
      else h = node('Sub', `${p}/h`, [nn, node('Mul', `${p}/z_n`, [z, nn], S)], S, {}, out);
      steps[t] = node('Reshape', `${p}/y`, [h], layout ? [B, 1, H] : [1, B, H], { shape: layout ? [B, 1, H] : [1, B, H] });
    }
    node('Concat', 'y', steps, layout ? [B, T, H] : [T, B, H], { axis: layout ? 1 : 0 }, n.outputs[0]);
  }
  return inferGraph({ ...g, tensors, nodes });
}
