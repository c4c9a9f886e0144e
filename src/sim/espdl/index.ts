// ESP-DL arithmetic mode of the integer simulator. A graph imported from .espdl (or built for an ESP-DL export)
// carries meta.info.arithmetic = 'espdl' and meta.info.chip; its tensors are symmetric power-of-two quantized
// (scale 2^e, zero point 0). These kernels compute what ESP-DL v3's modules compute (espressif/esp-dl,
// esp-dl/dl/module and dl/base), checked byte for byte against the test outputs esp-ppq embeds in .espdl files:
//
// - Conv / Gemm (per-tensor): acc = Σ x·w + bias (bias at exponent e_in + e_w), y = sat(shift_and_round(acc,
//   e_out − e_in − e_w)), fused ReLU clamps at 0. Per-channel weights (P4, esp-ppq ≥ 1.2.10) use each channel's
//   exponent in the same exact expression.
// - Add / Sub: both operands aligned to the smaller exponent (exact), then shift_and_round to e_out.
// - Mul: shift_and_round(a·b, e_out − e_a − e_b).
// - Sigmoid / Tanh / HardSwish / HardSigmoid with a table (int8): y = lut[x + 128]; without one, y =
//   sat(round(f(x·2^e_in) / 2^e_out)).
// - AveragePool / GlobalAveragePool: float32 sum of x·2^e_in, times float32(1/area), over 2^e_out, ESP-DL's
//   round_half_even, saturate.
// - RequantizeLinear (Identity here), data movement (Reshape, Transpose, Slice, Concat, Pad, MaxPool): values
//   move unchanged; an exponent change between input and output is a shift_and_round.
//
// Rounding per chip: src/sim/espdl/arith.ts.

import { fail } from '../../diagnostics.js';
import { allocArray, dtypeRange, type TypedArray } from '../../ir/dtype.js';
import type { Graph, Node } from '../../ir/graph.js';
import { getOp, normalizeAttrs } from '../../ops/index.js';
import type { IntKernel, Value } from '../../ops/types.js';
import { attrOr, cached, need, newOut, qa, qn } from '../int/common.js';
import { chipRounding, roundChip, roundHalfEvenF, saturate, shiftRound, type Rounding } from './arith.js';

export function isEspdlGraph(g: Graph): boolean {
  return g.meta.info?.arithmetic === 'espdl';
}

function rounding(g: Graph): Rounding {
  return chipRounding(String(g.meta.info?.chip ?? ''));
}

/** Exponents of a tensor's power-of-two scales (one per tensor or per channel). */
export function exponentsOf(g: Graph, id: number, node: Node, what: string): number[] {
  const t = g.tensors[id];
  const q = t.quant;
  if (!q) return fail('EF3001', `${node.op} ${what} '${t.name}' has no quantization exponent`, { node: node.name });
  return q.scale.map((s, k) => {
    const e = Math.log2(s);
    if (!Number.isInteger(e) || (q.zeroPoint[k] ?? 0) !== 0)
      fail('EF3004', `${node.op} ${what} '${t.name}' scale ${s} is not a power of two with zero point 0 (ESP-DL arithmetic)`, { node: node.name });
    return e;
  });
}

function exp1(g: Graph, id: number, node: Node, what: string): number {
  const e = exponentsOf(g, id, node, what);
  if (e.length !== 1) fail('EF3004', `${node.op} ${what} must be quantized per tensor`, { node: node.name });
  return e[0];
}

function range(g: Graph, id: number, node: Node): [number, number] {
  const dt = g.tensors[id].dtype;
  if (dt !== 'int8' && dt !== 'int16') fail('EF3002', `ESP-DL ${node.op} runs on int8 or int16, got ${dt}`, { node: node.name });
  return dtypeRange(dt);
}

function baseQ(node: Node, g: Graph): Record<string, number> {
  const [lo, hi] = range(g, node.outputs[0], node);
  return { round_even: rounding(g) === 'half_even' ? 1 : 0, out_min: lo, out_max: hi };
}

const mode = (node: Node): Rounding => (qn(node, 'round_even') === 1 ? 'half_even' : 'half_up');

// ------------------------------------------------------------------------------------------- Conv / Gemm

/** Per output channel: the shift applied to acc + bias, and the bias rescaled to the accumulator exponent. */
function prepareWeighted(node: Node, g: Graph, cout: number): Record<string, number | number[]> {
  const [xId, wId, bId] = node.inputs;
  const ein = exp1(g, xId, node, 'input');
  const eout = exp1(g, node.outputs[0], node, 'output');
  const ew = exponentsOf(g, wId, node, 'weight');
  if (ew.length !== 1 && ew.length !== cout) fail('EF3004', `${node.op} weight has ${ew.length} exponents for ${cout} channels`, { node: node.name });
  const shift: number[] = [];
  const biasShift: number[] = [];
  const eb = bId !== undefined && bId >= 0 ? exponentsOf(g, bId, node, 'bias') : [];
  for (let c = 0; c < cout; c++) {
    const eacc = ein + ew[ew.length === 1 ? 0 : c];
    shift.push(eout - eacc);
    biasShift.push(eb.length ? eb[eb.length === 1 ? 0 : c] - eacc : 0);
  }
  const act = attrOr(node, 'activation', 'none' as string);
  if (act !== 'none' && act !== 'relu') fail('EF3002', `ESP-DL ${node.op} supports Linear and ReLU activations, not ${act}`, { node: node.name });
  return { ...baseQ(node, g), shift, bias_shift: biasShift, relu: act === 'relu' ? 1 : 0 };
}

interface WPrep {
  shift: number[];
  bias: Float64Array;
  lo: number;
  hi: number;
  mode: Rounding;
}

function wprep(node: Node, b: Value | undefined, cout: number): WPrep {
  return cached(node, () => {
    const bs = qa(node, 'bias_shift');
    const m = mode(node);
    const bias = new Float64Array(cout);
    // a bias stored at another exponent than the accumulator is brought to it first (exact when larger)
    if (b) for (let c = 0; c < cout; c++) bias[c] = bs[c] >= 0 ? b.data[c] * 2 ** bs[c] : shiftRound(b.data[c], -bs[c], m);
    return { shift: qa(node, 'shift'), bias, lo: qn(node, 'relu') ? Math.max(0, qn(node, 'out_min')) : qn(node, 'out_min'), hi: qn(node, 'out_max'), mode: m };
  });
}

function finish(acc: Float64Array, p: WPrep, yd: TypedArray, base: number): void {
  const { shift, bias, lo, hi, mode: m } = p;
  for (let c = 0; c < acc.length; c++) yd[base + c] = saturate(shiftRound(acc[c] + bias[c], shift[c], m), lo, hi);
}

const Conv: IntKernel = {
  prepare(node, g) {
    const w = g.tensors[node.inputs[1]];
    if (!w || w.shape.length !== 4) fail('EF1004', 'Conv weight must be [Cout,KH,KW,Cin/group]', { node: node.name });
    return prepareWeighted(node, g, w.shape[0]);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, Cin] = x.shape;
    const [, OH, OW, Cout] = out.shape;
    const [, KH, KW, Cig] = w.shape;
    const group = attrOr(node, 'group', 1) as number;
    const [sh, sw] = attrOr(node, 'strides', [1, 1]) as number[];
    const [dh, dw] = attrOr(node, 'dilations', [1, 1]) as number[];
    const pads = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
    const [pt, pl] = pads;
    if (Cig * group !== Cin || Cout % group !== 0)
      fail('EF1004', `Conv weight [${w.shape}] does not match input channels ${Cin} with group ${group}`, { node: node.name });
    const cpg = Cout / group;
    const p = wprep(node, inputs[2], Cout);
    const wi = w.data;
    const xd = x.data;
    const yd = out.data;
    const acc = new Float64Array(Cout);
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          for (let c = 0; c < Cout; c++) {
            const gi = ((c / cpg) | 0) * Cig;
            let a = 0;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                const xb = ((n * H + iy) * W + ix) * Cin + gi;
                const wb = ((c * KH + ky) * KW + kx) * Cig;
                for (let i = 0; i < Cig; i++) a += wi[wb + i] * xd[xb + i];
              }
            }
            acc[c] = a;
          }
          finish(acc, p, yd, ((n * OH + oy) * OW + ox) * Cout);
        }
    return [out];
  },
};

const FullyConnected: IntKernel = {
  prepare(node, g) {
    const w = g.tensors[node.inputs[1]];
    if (!w || w.shape.length !== 2) fail('EF1004', 'FullyConnected weight must be [N,K]', { node: node.name });
    return prepareWeighted(node, g, w.shape[0]);
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const w = need(inputs, 1, node);
    const out = newOut(g, node, inputs);
    const [Nout, K] = w.shape;
    const rows = x.data.length / K;
    const p = wprep(node, inputs[2], Nout);
    const acc = new Float64Array(Nout);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < Nout; c++) {
        let a = 0;
        for (let k = 0; k < K; k++) a += x.data[r * K + k] * w.data[c * K + k];
        acc[c] = a;
      }
      finish(acc, p, out.data, r * Nout);
    }
    return [out];
  },
};

// ------------------------------------------------------------------------------------------- element-wise

function broadcastIndex(outShape: number[], inShape: number[]): (i: number) => number {
  const r = outShape.length;
  const s = [...new Array(r - inShape.length).fill(1), ...inShape];
  if (s.every((d, k) => d === outShape[k])) return (i) => i;
  const strides: number[] = new Array(r).fill(0);
  let acc = 1;
  for (let k = r - 1; k >= 0; k--) {
    strides[k] = s[k] === 1 ? 0 : acc;
    acc *= s[k];
  }
  return (i) => {
    let rem = i;
    let idx = 0;
    for (let k = r - 1; k >= 0; k--) {
      const d = outShape[k];
      idx += (rem % d) * strides[k];
      rem = Math.floor(rem / d);
    }
    return idx;
  };
}

function binary(kind: 'add' | 'sub' | 'mul'): IntKernel {
  return {
    prepare(node, g) {
      const ea = exp1(g, node.inputs[0], node, 'input 0');
      const eb = exp1(g, node.inputs[1], node, 'input 1');
      const eo = exp1(g, node.outputs[0], node, 'output');
      return { ...baseQ(node, g), ea, eb, eo };
    },
    eval(inputs, node, g) {
      const a = need(inputs, 0, node);
      const b = need(inputs, 1, node);
      const out = newOut(g, node, inputs);
      const ea = qn(node, 'ea');
      const eb = qn(node, 'eb');
      const eo = qn(node, 'eo');
      const lo = qn(node, 'out_min');
      const hi = qn(node, 'out_max');
      const m = mode(node);
      const ia = broadcastIndex(out.shape, a.shape);
      const ib = broadcastIndex(out.shape, b.shape);
      const e = Math.min(ea, eb);
      const ka = 2 ** (ea - e);
      const kb = 2 ** (eb - e);
      const sh = kind === 'mul' ? eo - ea - eb : eo - e;
      for (let i = 0; i < out.data.length; i++) {
        const x = a.data[ia(i)];
        const y = b.data[ib(i)];
        const v = kind === 'mul' ? x * y : kind === 'add' ? x * ka + y * kb : x * ka - y * kb;
        out.data[i] = saturate(shiftRound(v, sh, m), lo, hi);
      }
      return [out];
    },
  };
}

// ------------------------------------------------------------------------------------------- activations

const FUNCS: Record<string, (x: number, alpha: number) => number> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  HardSigmoid: (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5)),
  HardSwish: (x) => (x * Math.max(0, Math.min(6, x + 3))) / 6,
  Relu: (x) => Math.max(0, x),
  LeakyRelu: (x, a) => (x < 0 ? a * x : x),
  Elu: (x, a) => (x < 0 ? a * (Math.exp(x) - 1) : x),
};

function lutOp(op: string): IntKernel {
  return {
    prepare(node, g) {
      const ein = exp1(g, node.inputs[0], node, 'input');
      const eout = exp1(g, node.outputs[0], node, 'output');
      const q: Record<string, number | number[]> = { ...baseQ(node, g), ein, eout };
      // a table stored in the model (ESP-DL's LUT operators) is the kernel; imported tables live on the node
      const lut = node.qparams?.lut;
      if (Array.isArray(lut)) {
        if (g.tensors[node.inputs[0]].dtype !== 'int8' || lut.length !== 256)
          fail('EF3002', `ESP-DL ${op} lookup tables are for int8 inputs (256 entries)`, { node: node.name });
        q.lut = lut;
      }
      return q;
    },
    eval(inputs, node, g) {
      const x = need(inputs, 0, node);
      const out = newOut(g, node, inputs);
      const lut = node.qparams?.lut;
      if (Array.isArray(lut)) {
        for (let i = 0; i < x.data.length; i++) out.data[i] = lut[x.data[i] + 128];
        return [out];
      }
      const ein = qn(node, 'ein');
      const eout = qn(node, 'eout');
      const lo = qn(node, 'out_min');
      const hi = qn(node, 'out_max');
      const m = mode(node);
      const f = FUNCS[op];
      if (op === 'Relu') {
        for (let i = 0; i < x.data.length; i++) out.data[i] = saturate(shiftRound(Math.max(0, x.data[i]), eout - ein, m), lo, hi);
        return [out];
      }
      const alpha = attrOr(node, 'alpha', op === 'Elu' ? 1 : 0.01);
      for (let i = 0; i < x.data.length; i++) out.data[i] = saturate(roundChip(Math.fround(f(Math.fround(x.data[i] * 2 ** ein), alpha) / 2 ** eout), m), lo, hi);
      return [out];
    },
  };
}

/** ESP-DL's generated table for an int8 activation (tool::gen_lut_8bit, then quantized to the output exponent). */
export function espdlLut(op: string, ein: number, eout: number, chip: string, alpha = op === 'Elu' ? 1 : 0.01): number[] {
  const f = FUNCS[op];
  if (!f) fail('EF3002', `ESP-DL has no table for ${op}`);
  const m = chipRounding(chip);
  const out: number[] = [];
  for (let i = 0; i < 256; i++) out.push(saturate(roundChip(Math.fround(f(Math.fround(2 ** ein * (i - 128)), alpha) / 2 ** eout), m), -128, 127));
  return out;
}

/**
 * Clip (dl_module_clip.hpp): clamp to the integer bounds (at the input exponent), then rescale to the output
 * exponent in float32 with the chip's rounding. A Clip with a table runs as a LUT.
 */
const Clip: IntKernel = {
  prepare(node, g) {
    const ein = exp1(g, node.inputs[0], node, 'input');
    const eout = exp1(g, node.outputs[0], node, 'output');
    const q: Record<string, number | number[]> = { ...baseQ(node, g), ein, eout };
    const lut = node.qparams?.lut;
    if (Array.isArray(lut)) return { ...q, lut };
    const [lo, hi] = range(g, node.inputs[0], node);
    const given = node.qparams;
    const m = rounding(g);
    // bounds stored in the model are used as they are; bounds from attributes are quantized at the input exponent
    q.clip_lo = typeof given?.clip_lo === 'number' ? given.clip_lo : node.attrs.min === undefined ? lo : saturate(roundChip((node.attrs.min as number) / 2 ** ein, m), lo, hi);
    q.clip_hi = typeof given?.clip_hi === 'number' ? given.clip_hi : node.attrs.max === undefined ? hi : saturate(roundChip((node.attrs.max as number) / 2 ** ein, m), lo, hi);
    return q;
  },
  eval(inputs, node, g) {
    const lut = node.qparams?.lut;
    if (Array.isArray(lut)) return ESPDL_KERNELS.Sigmoid.eval(inputs, node, g, node.qparams ?? {});
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const clo = qn(node, 'clip_lo');
    const chi = qn(node, 'clip_hi');
    const rescale = Math.fround(2 ** qn(node, 'ein') * 2 ** -qn(node, 'eout'));
    const lo = qn(node, 'out_min');
    const hi = qn(node, 'out_max');
    const m = mode(node);
    for (let i = 0; i < x.data.length; i++) out.data[i] = saturate(roundChip(Math.fround(saturate(x.data[i], clo, chi) * rescale), m), lo, hi);
    return [out];
  },
};

/** Softmax: ESP-DL outputs float32 (esp-ppq keeps it F32): the dequantized input through the float kernel. */
const Softmax: IntKernel = {
  prepare(node, g) {
    if (g.tensors[node.outputs[0]].dtype !== 'float32') fail('EF3002', 'ESP-DL Softmax outputs float32', { node: node.name });
    return { ein: exp1(g, node.inputs[0], node, 'input') };
  },
  eval(inputs, node) {
    const x = need(inputs, 0, node);
    const s = 2 ** qn(node, 'ein');
    const xf: Value = { dtype: 'float32', shape: x.shape, data: Float32Array.from(x.data, (v) => v * s) };
    const def = getOp('Softmax');
    return def.evalFloat([xf], cached(node, () => normalizeAttrs(def, node.attrs, node.name)), node);
  },
};

// ------------------------------------------------------------------------------------------- pools

const AveragePool: IntKernel = {
  prepare(node, g) {
    return { ...baseQ(node, g), ein: exp1(g, node.inputs[0], node, 'input'), eout: exp1(g, node.outputs[0], node, 'output') };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, C] = x.shape;
    const [, OH, OW] = out.shape;
    const [KH, KW] = attrOr(node, 'kernel', [1, 1]) as number[];
    const [sh, sw] = attrOr(node, 'strides', [1, 1]) as number[];
    const [pt, pl, pb, pr] = attrOr(node, 'pads', [0, 0, 0, 0]) as number[];
    const incl = attrOr(node, 'count_include_pad', 0 as number) === 1;
    const sin = 2 ** qn(node, 'ein');
    const sout = 2 ** qn(node, 'eout');
    const lo = qn(node, 'out_min');
    const hi = qn(node, 'out_max');
    const acc = new Float64Array(C);
    for (let n = 0; n < N; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          acc.fill(0);
          let count = 0;
          const y0 = oy * sh - pt;
          const x0 = ox * sw - pl;
          for (let ky = 0; ky < KH; ky++) {
            const iy = y0 + ky;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < KW; kx++) {
              const ix = x0 + kx;
              if (ix < 0 || ix >= W) continue;
              count++;
              const b = ((n * H + iy) * W + ix) * C;
              for (let c = 0; c < C; c++) acc[c] = Math.fround(acc[c] + Math.fround(x.data[b + c] * sin));
            }
          }
          // with count_include_pad the divisor is the window clipped to the padded extent
          const area = incl ? (Math.min(y0 + KH, H + pb) - Math.max(y0, -pt)) * (Math.min(x0 + KW, W + pr) - Math.max(x0, -pl)) : Math.max(count, 1);
          const inv = Math.fround(1 / area);
          const ob = ((n * OH + oy) * OW + ox) * C;
          for (let c = 0; c < C; c++) out.data[ob + c] = saturate(roundHalfEvenF(Math.fround(Math.fround(acc[c] * inv) / sout)), lo, hi);
        }
    return [out];
  },
};

const ReduceMean: IntKernel = {
  prepare(node, g) {
    const axes = attrOr(node, 'axes', []) as number[];
    const x = g.tensors[node.inputs[0]];
    if (!(x.shape.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2)))
      fail('EF3002', 'ESP-DL ReduceMean runs as GlobalAveragePool over the spatial axes of an NHWC tensor only', { node: node.name });
    return { ...baseQ(node, g), ein: exp1(g, node.inputs[0], node, 'input'), eout: exp1(g, node.outputs[0], node, 'output') };
  },
  eval(inputs, node, g) {
    const x = need(inputs, 0, node);
    const out = newOut(g, node, inputs);
    const [N, H, W, C] = x.shape;
    const sin = 2 ** qn(node, 'ein');
    const sout = 2 ** qn(node, 'eout');
    const lo = qn(node, 'out_min');
    const hi = qn(node, 'out_max');
    const inv = Math.fround(1 / (H * W));
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++) {
        let a = 0;
        for (let i = 0; i < H * W; i++) a = Math.fround(a + Math.fround(x.data[(n * H * W + i) * C + c] * sin));
        out.data[n * C + c] = saturate(roundHalfEvenF(Math.fround(Math.fround(a * inv) / sout)), lo, hi);
      }
    return [out];
  },
};

// ------------------------------------------------------------------------------------------- data movement

/** Ops that move values: the registry's dtype-generic kernel, then a requantizing shift when exponents differ. */
function moving(op: string): IntKernel {
  return {
    prepare(node, g) {
      const eo = exp1(g, node.outputs[0], node, 'output');
      const shifts = node.inputs.map((id, k) => (id < 0 || (g.tensors[id].data && !g.tensors[id].quant) ? 0 : eo - exp1(g, id, node, `input ${k}`)));
      return { ...baseQ(node, g), shifts };
    },
    eval(inputs, node, g) {
      const def = getOp(op);
      const attrs = cached(node, () => normalizeAttrs(def, node.attrs, node.name));
      const shifts = qa(node, 'shifts');
      const m = mode(node);
      const lo = qn(node, 'out_min');
      const hi = qn(node, 'out_max');
      const ins = inputs.map((v, k) => {
        if (!v || !shifts[k]) return v;
        const d = v.data.slice();
        for (let i = 0; i < d.length; i++) d[i] = saturate(shiftRound(d[i], shifts[k], m), lo, hi);
        return { ...v, data: d };
      });
      const t = g.tensors[node.outputs[0]];
      const [y] = def.evalFloat(ins, attrs, node);
      return [{ dtype: t.dtype, shape: y.shape, data: y.data }];
    },
  };
}

export const ESPDL_KERNELS: Readonly<Record<string, IntKernel>> = {
  Conv,
  FullyConnected,
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Sigmoid: lutOp('Sigmoid'),
  Tanh: lutOp('Tanh'),
  HardSigmoid: lutOp('HardSigmoid'),
  HardSwish: lutOp('HardSwish'),
  Relu: lutOp('Relu'),
  LeakyRelu: lutOp('LeakyRelu'),
  Elu: lutOp('Elu'),
  Clip,
  Softmax,
  AveragePool,
  ReduceMean,
  Identity: moving('Identity'),
  Reshape: moving('Reshape'),
  Transpose: moving('Transpose'),
  Slice: moving('Slice'),
  Concat: moving('Concat'),
  Pad: moving('Pad'),
  MaxPool: moving('MaxPool'),
  Resize: moving('Resize'),
};

export function espdlKernel(op: string): IntKernel | undefined {
  return Object.prototype.hasOwnProperty.call(ESPDL_KERNELS, op) ? ESPDL_KERNELS[op] : undefined;
}

/** Quantize host data for an ESP-DL graph input: Q = sat(round(R / 2^e)) with the chip's rounding (dl::quantize). */
export function quantizeEspdlInput(v: Value, g: Graph, id: number): Value {
  const t = g.tensors[id];
  if (v.dtype === t.dtype || !t.quant) return v;
  const e = exponentsOf(g, id, { op: 'input', name: t.name, inputs: [], outputs: [], attrs: {} }, 'graph input');
  const [lo, hi] = dtypeRange(t.dtype);
  const m = rounding(g);
  const out = allocArray(t.dtype, v.data.length);
  for (let i = 0; i < v.data.length; i++) out[i] = saturate(roundChip(Math.fround(v.data[i] / 2 ** e[0]), m), lo, hi);
  return { dtype: t.dtype, shape: v.shape, data: out };
}
