// LayerNormalization on integers (int8, and 16x8: int16 activations, int8 Scale, int64 B). TFLM has no LAYER_NORM
// kernel (the TFLite converter decomposes it), so this is espforge's own integer form, written once here and once in
// C (src/codegen/c/kernels/layer-normalization.c), bit for bit the same. Per row of N stored values q_i:
//
//   S1 = Σ q_i, S2 = Σ q_i² (int64). The input zero point cancels: with c_i = N·q_i − S1 (int32, since
//   |c_i| <= (N−1)·65535 < 2^31 for N <= 32768) and V = N·S2 − S1² (int64, = N²·var of the q_i),
//   (x_i − mean) / sqrt(var + eps) = c_i / sqrt(W),  W = V + E,  E = round(eps·N² / s_in²) (prepare; <= 2^53).
//   Reciprocal square root, exactly in integers: W' = max(W, 1) is scaled by 4^k (k may be negative: a floor
//   right shift) into [2^60, 2^62); r = isqrt(W'·4^k) (floor, in [2^30, 2^31)); m = min(floor(2^61 / r), 2^31 − 1).
//   Then 1/sqrt(W) ≈ m·2^−31 · 2^(k−30), so the normalised value in Q(K) is n_i = MBQM(c_i, m, k − 30 + K).
//   acc_i = n_i·Scale_q[i] + Bk[i] (int32), Bk = round(B_q·s_B·2^K / s_Scale) (prepare, from B's own record);
//   y_i = clamp(zp_out + MBQM(acc_i, M, S)), (M, S) = QuantizeMultiplier(s_Scale·2^−K / s_out).
// K (frac_bits) is the largest value <= 20 that keeps acc_i within int32: |n_i| <= (ceil(sqrt N) + 1)·2^K, since a
// population z-score is at most sqrt(N − 1). MBQM is TFLite's MultiplyByQuantizedMultiplier (double rounding).

import { fail } from '../../diagnostics.js';
import { dtypeRange } from '../../ir/dtype.js';
import type { IntKernel } from '../../ops/types.js';
import { mbqm, rha } from '../../arith/fixedpoint.js';
import { layerNormGeom } from '../../ops/layer-normalization.js';
import { actDType, qm, scaleZp } from './prepare.js';
import { attrOr, cached, need, newOut, qa, qn } from './common.js';

export type LayerNormParams = {
  /** N, the row length. */
  count: number;
  out_zp: number;
  /** E = round(eps·N² / s_in²), the epsilon in units of V. */
  eps_term: number;
  /** K, the fractional bits of the normalised value. */
  frac_bits: number;
  /** Output requantization of acc: QuantizeMultiplier(s_Scale·2^−K / s_out). */
  mult: number;
  shift: number;
  /** Scale_q per row position (N entries). */
  gamma: number[];
  /** Bk per row position (N entries): the bias in units of s_Scale·2^−K. */
  bias_k: number[];
};

const MAX_N = 32768;

/** floor(sqrt(v)) of a non-negative BigInt (Newton's method from above). */
export function isqrtBig(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt((v.toString(2).length >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** The per-row reciprocal square root of W as (m, e): 1/sqrt(W) ≈ m·2^−31·2^e (see the header). */
export function rsqrtRow(w: bigint): [number, number] {
  if (w < 1n) w = 1n;
  const e = w.toString(2).length - 1; // floor(log2 W)
  const k = (61 - e) >> 1; // arithmetic floor: W·4^k in [2^60, 2^62)
  const wn = k >= 0 ? w << BigInt(2 * k) : w >> BigInt(-2 * k);
  const r = isqrtBig(wn);
  let m = (1n << 61n) / r;
  if (m > 2147483647n) m = 2147483647n;
  return [Number(m), k - 30];
}

export const kernel: IntKernel<LayerNormParams> = {
  prepare(node, g) {
    const [xId, sId, bId] = node.inputs;
    const yId = node.outputs[0];
    actDType(g, xId, node);
    actDType(g, yId, node);
    const xt = g.tensors[xId];
    const st = g.tensors[sId];
    const bt = bId !== undefined && bId >= 0 ? g.tensors[bId] : undefined;
    const { N } = layerNormGeom(xt, st, bt, { axis: attrOr(node, 'axis', -1), epsilon: attrOr(node, 'epsilon', 1e-5) }, node.name);
    if (N > MAX_N) fail('EF1008', `LayerNormalization rows of ${N} elements are longer than the integer kernel's ${MAX_N}`, { node: node.name, suggestion: 'keep this layer float or normalise over fewer elements' });
    if (!st.data || st.dtype !== 'int8') fail('EF3001', `LayerNormalization Scale '${st.name}' must be a constant int8 tensor, got ${st.dtype}`, { node: node.name, suggestion: 'quantize the model with espforge quantize' });
    if (bt && !bt.data) fail('EF2005', `LayerNormalization B '${bt.name}' is not constant`, { node: node.name });
    const x = scaleZp(g, xId, node, 'input');
    const s = scaleZp(g, sId, node, 'Scale');
    if (s.zp !== 0) fail('EF3004', `LayerNormalization Scale '${st.name}' has zero point ${s.zp}; the kernel takes symmetric int8`, { node: node.name });
    const y = scaleZp(g, yId, node, 'output');
    const gamma = Array.from({ length: N }, (_, i) => st.data![st.data!.length === 1 ? 0 : i]);
    const bReal = new Array<number>(N).fill(0); // B_q·s_B / s_Scale
    if (bt) {
      const bs = scaleZp(g, bId, node, 'B');
      for (let i = 0; i < N; i++) bReal[i] = (bt.data![bt.data!.length === 1 ? 0 : i] - bs.zp) * (bs.s / s.s);
    }
    const eps = attrOr(node, 'epsilon', 1e-5) as number;
    const epsTerm = Math.min(Math.round((Math.fround(eps) * N * N) / (x.s * x.s)), 2 ** 53);
    const gMax = Math.max(1, ...gamma.map(Math.abs));
    const bMax = Math.max(0, ...bReal.map(Math.abs));
    const nBound = Math.ceil(Math.sqrt(N)) + 1;
    let K = 20;
    while (K >= 0 && nBound * 2 ** K * gMax + rha(bMax * 2 ** K) >= 2 ** 31 - 1) K--;
    if (K < 0) fail('EF3004', `LayerNormalization B is too large against Scale for the int32 accumulator (|B/Scale| up to ${bMax})`, { node: node.name });
    const [mult, shift] = qm((s.s * 2 ** -K) / y.s, node, 'output');
    return { count: N, out_zp: y.zp, eps_term: epsTerm, frac_bits: K, mult, shift, gamma, bias_k: bReal.map((v) => rha(v * 2 ** K)) };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const N = qn(node, 'count');
    const K = qn(node, 'frac_bits');
    const E = BigInt(qn(node, 'eps_term'));
    const zo = qn(node, 'out_zp');
    const M = qn(node, 'mult');
    const S = qn(node, 'shift');
    const { gamma, bk } = cached(node, () => ({ gamma: Int32Array.from(qa(node, 'gamma')), bk: Int32Array.from(qa(node, 'bias_k')) }));
    const [lo, hi] = dtypeRange(out.dtype);
    const xd = x.data;
    const yd = out.data;
    const bn = BigInt(N);
    for (let base = 0; base < xd.length; base += N) {
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const v = xd[base + i];
        s1 += v;
        s2 += v * v;
      }
      const [m, e] = rsqrtRow(bn * BigInt(s2) - BigInt(s1) ** 2n + E);
      const sh = e + K;
      for (let i = 0; i < N; i++) {
        const c = N * xd[base + i] - s1;
        const acc = mbqm(c, m, sh) * gamma[i] + bk[i];
        const v = zo + mbqm(acc, M, S);
        yd[base + i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
    return [out];
  },
};
