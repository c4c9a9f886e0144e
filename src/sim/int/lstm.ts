// Lstm on integers: TFLM UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations with int16 cell (the "8x8_16" integer LSTM
// of TFLM's lstm_eval: int8 input and hidden state, int8 weights per tensor per gate, int32 biases, int16 cell
// state with a power-of-two scale, int16 gate values). Per time step and gate g ∈ {i, f, c, o}:
//
//   a_g   = clamp16(MBQM(B_g + Σ W_g·(x − zp_x), in_mult_g, in_shift_g))        (s_x·s_Wg / 2^-12: Q3.12 out)
//   r_g   = clamp16(MBQM(Σ R_g·(h − zp_h), rec_mult_g, rec_shift_g))             (s_h·s_Rg / 2^-12)
//   gate  = sat16(a_g + r_g), then int16 LOGISTIC (i, f, o) or TANH (c) from Q3.12 to Q0.15
//   c     = sat16(clamp16(MBQM(f·c, fc_mult, fc_shift)) + clamp16(MBQM(i·g, ic_mult, ic_shift)))
//           (2^-15·s_c/s_c and 2^-15·2^-15/s_c)
//   h     = clamp8(zp_h + MBQM(tanh16(c)·o, out_mult, out_shift))               (2^-15·2^-15/s_h)
//
// The output row of each step is h. The int16 LOGISTIC / TANH are TFLM's reference_integer_ops ones on the shared
// sigmoid table (as the Sigmoid / Tanh kernels here): the gates enter with input_multiplier 0 (3 << 0), the cell
// state with TFLM's tanh_input_left_shift = 15 + log2(s_c) − 3 (multiplier 3 << L for L >= 0, else 3 and a right
// shift by −L). The hidden state and the output share one quantization (TFLite's output state is the output);
// an absent H0 starts at zp_h (TFLM resets int8 variable tensors to their zero point), an absent C0 at 0.
//
// qparams: in_zp, h_zp, in_mult[4], in_shift[4], rec_mult[4], rec_shift[4], fc_mult, fc_shift, ic_mult, ic_shift,
// out_mult, out_shift, cell_tanh_mult, cell_tanh_shift (after TFLM's "multiplier 0" rewrite), cell_pow (log2 s_c).

import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import type { IntKernel, Value } from '../../ops/types.js';
import { rnnDims } from '../../ops/rnn.js';
import { mbqm } from '../../arith/fixedpoint.js';
import { channelScales, qm, scaleZp } from './prepare.js';
import { cached, int32Of, need, newOut, qa, qn } from './common.js';
import { checkedLog2 } from './logistic-common.js';
import { SIGMOID_TABLE_UINT16 as T } from './lut16.js';

/** Gate pre-activations are Q3.12, gate outputs Q0.15 (TFLM's fixed LSTM intermediate scales). */
export const GATE_IN_SCALE = 2 ** -12;
export const GATE_OUT_SCALE = 2 ** -15;

const sat16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);

/** TFLM reference_integer_ops::Logistic (int16) with the input rescale (x·mult + round) >> shift. */
export function sigmoid16(x: number, mult: number, shift: number): number {
  const v = (x * mult + (shift > 0 ? 1 << (shift - 1) : 0)) >> shift;
  const a = v < 0 ? -v : v;
  const uh = a >>> 9;
  let r: number;
  if (uh >= 255) r = 0x7fff << 10;
  else {
    const ua = T[uh];
    r = ua * 512 + (a & 0x1ff) * (T[uh + 1] - ua);
  }
  r = v >= 0 ? r + 512 : (1 << 25) - r + 511;
  return r >>> 10;
}

/** TFLM reference_integer_ops::Tanh (int16), same input rescale. */
export function tanh16(x: number, mult: number, shift: number): number {
  const v = (x * mult + (shift > 0 ? 1 << (shift - 1) : 0)) >> shift;
  const a = v < 0 ? -v : v;
  const uh = a >>> 8;
  let r: number;
  if (uh >= 255) r = 0xffff << 8;
  else {
    const ua = T[uh];
    r = ua * 256 + (a & 0xff) * (T[uh + 1] - ua);
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return r >> 8;
}

/** TFLM's Tanh(cell_state_scale_power) input rescale, after reference Tanh's "multiplier 0 → 3 << shift". */
export function cellTanhRescale(pow2: number): { mult: number; shift: number } {
  const l = 15 + pow2 - 3;
  return l < 0 ? { mult: 3, shift: -l } : { mult: 3 << l, shift: 0 };
}

function same(g: Graph, a: number, b: number): boolean {
  const qa_ = g.tensors[a].quant;
  const qb = g.tensors[b].quant;
  return !!qa_ && !!qb && Math.fround(qa_.scale[0]) === Math.fround(qb.scale[0]) && qa_.zeroPoint[0] === qb.zeroPoint[0];
}

function prepare(node: Node, g: Graph): Record<string, number | number[]> {
  const [xId, wId, rId, bId = -1, h0Id = -1, c0Id = -1] = node.inputs;
  const [yId, yhId, ycId] = node.outputs;
  const t = (id: number) => g.tensors[id];
  const dt = (id: number, want: string, what: string) => {
    if (t(id).dtype !== want)
      fail('EF3002', `Lstm has an integer kernel for int8 activations with an int16 cell state only (TFLM's integer LSTM): ${what} '${t(id).name}' is ${t(id).dtype}, ${want} expected`, {
        node: node.name,
        suggestion: 'quantize the model with the int8 scheme',
      });
  };
  dt(xId, 'int8', 'input');
  dt(yId, 'int8', 'output');
  dt(wId, 'int8', 'weight W');
  dt(rId, 'int8', 'weight R');
  if (bId >= 0) dt(bId, 'int32', 'bias');
  dt(ycId, 'int16', 'cell state output');
  if (h0Id >= 0) dt(h0Id, 'int8', 'initial hidden state');
  if (c0Id >= 0) dt(c0Id, 'int16', 'initial cell state');
  for (const id of [yhId, h0Id]) if (id >= 0 && !same(g, id, yId))
    fail('EF3004', `Lstm hidden state '${t(id).name}' must share the output's scale and zero point (TFLite's output state is the output)`, { node: node.name });
  if (c0Id >= 0 && !same(g, c0Id, ycId)) fail('EF3004', `Lstm initial cell state must share the cell state's quantization`, { node: node.name });
  const H = t(wId).shape[0] / 4;
  const x = scaleZp(g, xId, node, 'input');
  const h = scaleZp(g, yId, node, 'output');
  const c = scaleZp(g, ycId, node, 'cell state');
  const cl = checkedLog2(c.s);
  if (c.zp !== 0 || !cl.pot)
    fail('EF3004', `Lstm cell state must be int16 with a power-of-two scale and zero point 0 (got ${c.s}, ${c.zp})`, { node: node.name });
  const sw = channelScales(g, wId, node, 4 * H);
  const sr = channelScales(g, rId, node, 4 * H);
  if (bId >= 0) {
    const sb = channelScales(g, bId, node, 4 * H);
    for (let k = 0; k < 4 * H; k++)
      if (Math.abs(sb[k] - Math.fround(x.s * sw[k])) > 1e-6 * sb[k])
        fail('EF3004', `Lstm bias scale ${sb[k]} is not s_x·s_W = ${x.s * sw[k]} (gate ${Math.floor(k / H)})`, { node: node.name });
  }
  const inM: number[] = [];
  const inS: number[] = [];
  const recM: number[] = [];
  const recS: number[] = [];
  for (let gi = 0; gi < 4; gi++) {
    for (let k = gi * H + 1; k < (gi + 1) * H; k++)
      if (sw[k] !== sw[gi * H] || sr[k] !== sr[gi * H])
        fail('EF3004', `Lstm weights must have one scale per gate (TFLite keeps one tensor per gate)`, { node: node.name });
    const [m1, s1] = qm((x.s * sw[gi * H]) / GATE_IN_SCALE, node, 'input gate');
    const [m2, s2] = qm((h.s * sr[gi * H]) / GATE_IN_SCALE, node, 'recurrent gate');
    inM.push(m1);
    inS.push(s1);
    recM.push(m2);
    recS.push(s2);
  }
  const [fcM, fcS] = qm((GATE_OUT_SCALE * c.s) / c.s, node, 'forget·cell');
  const [icM, icS] = qm((GATE_OUT_SCALE * GATE_OUT_SCALE) / c.s, node, 'input·cell gate');
  const [oM, oS] = qm((GATE_OUT_SCALE * GATE_OUT_SCALE) / h.s, node, 'hidden');
  const ct = cellTanhRescale(cl.log2);
  return {
    in_zp: x.zp,
    h_zp: h.zp,
    in_mult: inM,
    in_shift: inS,
    rec_mult: recM,
    rec_shift: recS,
    fc_mult: fcM,
    fc_shift: fcS,
    ic_mult: icM,
    ic_shift: icS,
    out_mult: oM,
    out_shift: oS,
    cell_tanh_mult: ct.mult,
    cell_tanh_shift: ct.shift,
    cell_pow: cl.log2,
  };
}

export const kernel: IntKernel = {
  prepare,
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const r = need(inputs, 2, node);
    const b = inputs[3];
    const h0 = inputs[4];
    const c0 = inputs[5];
    const d = rnnDims('Lstm', x.shape, w.shape, r.shape, (node.attrs.layout as number | undefined) ?? 0, 4, node.name);
    const reverse = node.attrs.direction === 'reverse';
    const { T: TT, B, I, H } = d;
    const p = cached(node, () => ({
      inM: int32Of(qa(node, 'in_mult')),
      inS: int32Of(qa(node, 'in_shift')),
      recM: int32Of(qa(node, 'rec_mult')),
      recS: int32Of(qa(node, 'rec_shift')),
    }));
    const xZp = qn(node, 'in_zp');
    const hZp = qn(node, 'h_zp');
    const fcM = qn(node, 'fc_mult');
    const fcS = qn(node, 'fc_shift');
    const icM = qn(node, 'ic_mult');
    const icS = qn(node, 'ic_shift');
    const oM = qn(node, 'out_mult');
    const oS = qn(node, 'out_shift');
    const ctM = qn(node, 'cell_tanh_mult');
    const ctS = qn(node, 'cell_tanh_shift');
    const y = newOut(g, node, inputs, 0);
    const yh = newOut(g, node, inputs, 1);
    const yc = newOut(g, node, inputs, 2);
    const h = new Int32Array(B * H).fill(hZp);
    const c = new Int32Array(B * H);
    if (h0) h.set(h0.data as ArrayLike<number>);
    if (c0) c.set(c0.data as ArrayLike<number>);
    const xd = x.data;
    const wd = w.data;
    const rd = r.data;
    const gate = new Int32Array(4 * H);
    for (let s = 0; s < TT; s++) {
      const t = reverse ? TT - 1 - s : s;
      for (let bb = 0; bb < B; bb++) {
        const xo = (d.bm ? bb * TT + t : t * B + bb) * I;
        const ho = bb * H;
        for (let gi = 0; gi < 4; gi++) {
          for (let n = gi * H; n < (gi + 1) * H; n++) {
            let acc = b ? b.data[n] : 0;
            for (let k = 0; k < I; k++) acc += wd[n * I + k] * (xd[xo + k] - xZp);
            const a = sat16(mbqm(acc | 0, p.inM[gi], p.inS[gi]));
            let acc2 = 0;
            for (let k = 0; k < H; k++) acc2 += rd[n * H + k] * (h[ho + k] - hZp);
            const rr = sat16(mbqm(acc2 | 0, p.recM[gi], p.recS[gi]));
            const pre = sat16(a + rr);
            // gate inputs are Q3.12: TFLM calls Logistic(0, 0) and Tanh(-12) → multiplier 3, no shift
            gate[n] = gi === 2 ? tanh16(pre, 3, 0) : sigmoid16(pre, 3, 0);
          }
        }
        for (let k = 0; k < H; k++) {
          const ig = gate[k];
          const fg = gate[H + k];
          const cg = gate[2 * H + k];
          const og = gate[3 * H + k];
          const fc = sat16(mbqm(fg * c[ho + k], fcM, fcS));
          const ic = sat16(mbqm(ig * cg, icM, icS));
          const cn = sat16(fc + ic);
          c[ho + k] = cn;
          const th = tanh16(cn, ctM, ctS);
          let hv = hZp + mbqm(th * og, oM, oS);
          hv = hv < -128 ? -128 : hv > 127 ? 127 : hv;
          h[ho + k] = hv; // every gate of this step has already read the old h
        }
        const yo = (d.bm ? bb * TT + t : t * B + bb) * H;
        for (let k = 0; k < H; k++) y.data[yo + k] = h[ho + k];
      }
    }
    yh.data.set(h);
    yc.data.set(c);
    return [y, yh, yc] as Value[];
  },
};
