// One int8 Conv layer of a given geometry with seeded random weights and biases (the overlap tests' model).

import { GraphBuilder, type Graph } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';

export function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export interface ConvCase {
  ih: number; iw: number; ic: number; oc: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pads: number[]; group: number;
  /** 16x8: int16 activations, int64 bias (default int8). */
  w16?: boolean;
  /** 16x8: output channel 0 gets a bias of 2^33, so the layer's sums no longer provably fit int32 (the int64
   *  kernels); that channel saturates, the others still vary. */
  bigBias?: boolean;
}

export function convGraph(c: ConvCase, seed: number): Graph {
  const r = rng(seed);
  const b = new GraphBuilder({ format: 'espforge', source: 'overlap' });
  const oh = Math.floor((c.ih + c.pads[0] + c.pads[2] - (c.dh * (c.kh - 1) + 1)) / c.sh) + 1;
  const ow = Math.floor((c.iw + c.pads[1] + c.pads[3] - (c.dw * (c.kw - 1) + 1)) / c.sw) + 1;
  const icg = c.ic / c.group;
  const ksz = c.kh * c.kw * icg;
  const wS = Array.from({ length: c.oc }, (_, o) => 0.004 + 0.0003 * (o % 7));
  const at = c.w16 ? 'int16' : 'int8';
  const x = b.tensor({ name: 'x', dtype: at, shape: [1, c.ih, c.iw, c.ic], quant: { scale: [c.w16 ? 0.02 / 256 : 0.02], zeroPoint: [c.w16 ? 0 : -5], axis: 0 } });
  const w = b.tensor({
    name: 'w', dtype: 'int8', shape: [c.oc, c.kh, c.kw, icg],
    data: Int8Array.from({ length: c.oc * ksz }, () => Math.floor(r() * 255) - 127),
    quant: { scale: wS, zeroPoint: new Array(c.oc).fill(0), axis: 0 },
  });
  const bias = c.w16
    ? b.tensor({ name: 'b', dtype: 'int64', shape: [c.oc], data: Float64Array.from({ length: c.oc }, (_, o) => (c.bigBias && o === 0 ? 2 ** 33 : Math.floor(r() * 2000) - 1000)) })
    : b.tensor({ name: 'b', dtype: 'int32', shape: [c.oc], data: Int32Array.from({ length: c.oc }, () => Math.floor(r() * 2000) - 1000) });
  // output scale ~ the spread of a sum of ksz products, so outputs use the whole int8 range
  const outS = (0.02 * 0.005 * 128 * 128 * Math.sqrt(ksz)) / 128;
  const y = b.tensor({ name: 'y', dtype: at, shape: [1, oh, ow, c.oc], quant: { scale: [c.w16 ? outS / 256 : outS], zeroPoint: [c.w16 ? 0 : 3], axis: 0 } });
  b.inputs = [x];
  b.outputs = [y];
  b.node({ op: 'Conv', name: 'conv', inputs: [x, w, bias], outputs: [y], attrs: { strides: [c.sh, c.sw], dilations: [c.dh, c.dw], pads: c.pads, group: c.group, activation: 'none' } });
  return prepareIntGraph(b.build());
}


/** y = a (op) b on two graph inputs of one shape (Add / Sub / Mul), int8 or int16. */
export function binaryGraph(op: 'Add' | 'Sub' | 'Mul', shape: number[], dtype: 'int8' | 'int16'): Graph {
  const b = new GraphBuilder({ format: 'espforge', source: 'overlap_binary' });
  const z = (v: number) => (dtype === 'int16' ? 0 : v);
  const s16 = dtype === 'int16' ? 1 / 256 : 1;
  const a = b.tensor({ name: 'a', dtype, shape, quant: { scale: [0.05 * s16], zeroPoint: [z(-3)], axis: 0 } });
  const c = b.tensor({ name: 'c', dtype, shape, quant: { scale: [0.03 * s16], zeroPoint: [z(7)], axis: 0 } });
  const y = b.tensor({ name: 'y', dtype, shape, quant: { scale: [(op === 'Mul' ? 0.2 : 0.07) * s16], zeroPoint: [z(1)], axis: 0 } });
  b.inputs = [a, c];
  b.outputs = [y];
  b.node({ op, name: op.toLowerCase(), inputs: [a, c], outputs: [y], attrs: { activation: 'none' } });
  return prepareIntGraph(b.build());
}
