// Shared "Prepare" steps of the integer kernels (INT8-ARITHMETIC.md §2, §4): reading quantization records as
// the float32 values TFLite stores, computing multipliers and fused-activation clamps. The per-op prepare
// functions live with their kernels in src/sim/int/; src/sim/int.ts (prepareIntGraph) runs them once per node.

import { activationRange } from '../../ops/util.js';
import { fail } from '../../diagnostics.js';
import { dtypeRange, type DType } from '../../ir/dtype.js';
import type { Graph, Node, QuantParams } from '../../ir/graph.js';
import { quantizeMultiplier, rha } from '../../arith/fixedpoint.js';

export const INT_ACT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16'];

export function quantOf(g: Graph, id: number, node: Node, what = 'tensor'): QuantParams {
  const t = g.tensors[id];
  const q = t?.quant;
  if (!q || q.scale.length === 0)
    fail('EF3001', `${node.op} ${what} '${t?.name ?? id}' has no quantization parameters`, {
      node: node.name,
      suggestion: 'quantize the model first (espforge quantize) or import a fully-quantized TFLite model',
    });
  return q;
}

/** Per-tensor scale as the float32 TFLite stores (promoted to double when used), and zero point. */
export function scaleZp(g: Graph, id: number, node: Node, what = 'tensor'): { s: number; zp: number } {
  const q = quantOf(g, id, node, what);
  const s = Math.fround(q.scale[0]);
  if (!(s > 0) || !Number.isFinite(s))
    fail('EF3004', `${node.op} ${what} '${g.tensors[id].name}' has scale ${q.scale[0]}, which is not a positive finite number`, { node: node.name });
  return { s, zp: q.zeroPoint[0] ?? 0 };
}

/** Per-channel scales (float32) of a weight tensor, repeated to `n` entries when per-tensor. */
export function channelScales(g: Graph, id: number, node: Node, n: number): number[] {
  const q = quantOf(g, id, node, 'weight');
  if (q.scale.length !== 1 && q.scale.length !== n)
    fail('EF1010', `${node.op} weight '${g.tensors[id].name}' has ${q.scale.length} scales for ${n} output channels`, { node: node.name });
  return Array.from({ length: n }, (_, i) => Math.fround(q.scale[q.scale.length === 1 ? 0 : i]));
}

/** Integer activation dtype of a tensor, or a coded error. */
export function actDType(g: Graph, id: number, node: Node): DType {
  const dt = g.tensors[id].dtype;
  if (!INT_ACT_DTYPES.includes(dt))
    fail('EF3002', `${node.op} has no integer kernel for ${dt} tensor '${g.tensors[id].name}' (int8, uint8 and int16 are supported)`, { node: node.name });
  return dt;
}

/** TFLite CalculateActivationRangeQuantized: clamp range of a fused activation in the output's integers. */
export function activationRangeQ(act: string, sOut: number, zpOut: number, dt: DType, node: Node): [number, number] {
  const [qmin, qmax] = dtypeRange(dt);
  const q = (f: number): number => zpOut + rha(Math.fround(f / sOut));
  const [lo, hi] = activationRange(act, node.name);
  return [lo === -Infinity ? qmin : Math.max(qmin, q(lo)), hi === Infinity ? qmax : Math.min(qmax, q(hi))];
}

/** QuantizeMultiplier as a pair, refusing non-finite or negative values with a coded error. */
export function qm(m: number, node: Node, what: string): [number, number] {
  if (!Number.isFinite(m))
    fail('EF3004', `${node.op}: the ${what} multiplier is ${m}`, { node: node.name });
  const r = quantizeMultiplier(m);
  return [r.mult, r.shift];
}

/**
 * Range check of a node's prepared parameters, once, where they are computed: every shift must be an integer in
 * [-31, 31] and every multiplier an int32. Extreme scale ratios (a corrupted or degenerate model) fail here as a
 * coded error naming the layer and the value, instead of deep in the simulator or the C emitter.
 */
export function checkPrepared(node: Node, qp: Record<string, number | number[]>, g: Graph): void {
  for (const [k, v] of Object.entries(qp)) {
    const isShift = /(^|_)shift(_|$)/.test(k) && !/left_shift/.test(k);
    const isMult = /(^|_)mult(iplier)?(_|$)/.test(k);
    if (!isShift && !isMult) continue;
    const vals = Array.isArray(v) ? v : [v];
    for (let i = 0; i < vals.length; i++) {
      const x = vals[i];
      const ok = isShift ? Number.isInteger(x) && x >= -31 && x <= 31 : Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31;
      if (ok) continue;
      const scales = node.inputs
        .concat(node.outputs)
        .filter((id) => id >= 0 && g.tensors[id]?.quant)
        .map((id) => `${g.tensors[id].name}: ${g.tensors[id].quant!.scale.slice(0, 3).join(', ')}${g.tensors[id].quant!.scale.length > 3 ? ', ...' : ''}`);
      fail('EF3004', `${node.op} '${node.name}': ${k}${vals.length > 1 ? `[${i}]` : ''} = ${x} is outside the fixed-point range (${isShift ? 'shifts must lie in [-31, 31]' : 'multipliers must fit int32'}); the ratio of its scales is extreme`, {
        node: node.name,
        notes: scales.length ? [`scales: ${scales.join('; ')}`] : [],
        suggestion: 'the weights or calibration ranges of this layer are degenerate (huge, tiny or zero); check the model and the calibration data',
      });
    }
  }
}

/**
 * The stored fill of a constant Pad: the IR's `value` is real, so it is quantized once with the output record:
 * clamp(zp + rha(f32(value / s))). Real 0 gives exactly the zero point (TFLite PAD); a TFLite PADV2 constant c
 * imported as (c - zp)·s gives back c.
 */
export function padFill(value: number, s: number, zp: number, dt: DType): number {
  const [lo, hi] = dtypeRange(dt);
  return Math.min(hi, Math.max(lo, zp + rha(Math.fround(value / s))));
}
