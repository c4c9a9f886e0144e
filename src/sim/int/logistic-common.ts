// Prepare shared by Sigmoid (TFLite LOGISTIC) and Tanh for int8 (INT8-ARITHMETIC.md §16): the input is
// rescaled to Q4.27 with (q, L) = frexp(s_in·2^27), M = rha(q·2^31) (no 2^31 fix-up), and inputs beyond
// radius = floor(15·2^27 / 2^L) saturate.
//
// int16 (TFLM 16x8 LOGISTIC / TANH, zp 0 in and out, output scale 2^-15): the input is brought to the scale
// 1/(3·4096) of the 256-entry sigmoid table. A power-of-two input scale with (15 − 3) + log2(s_in) equal to 0 (also 1
// for Tanh) keeps input_multiplier = 0 (eval then uses 3 << input_left_shift); any other scale gets
// input_multiplier = trunc(s_in·4096·3·2^k) with the smallest k >= 0 (k <= 31) making it exceed 32767/2, and
// input_left_shift = k. input_range_radius is unused (0).

import type { LogisticParams } from '../../ops/qparams.js';
import { fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { frexp, rha } from '../../arith/fixedpoint.js';
import { actDType, scaleZp } from './prepare.js';

export const INPUT_INT_BITS = 4;

export function prepareLogistic(node: Node, g: Graph, outScale: number, outZp: number): LogisticParams {
  const xId = node.inputs[0];
  const yId = node.outputs[0];
  const inDt = actDType(g, xId, node);
  const outDt = actDType(g, yId, node);
  const x = scaleZp(g, xId, node, 'input');
  const y = scaleZp(g, yId, node, 'output');
  if (inDt === 'int16' && outDt === 'int16') return prepareLogistic16(node, x, y);
  if (inDt !== 'int8' || outDt !== 'int8')
    fail('EF3002', `${node.op} has an integer kernel for int8 → int8 and int16 → int16 only (got ${inDt} → ${outDt})`, { node: node.name });
  if (y.s !== outScale || y.zp !== outZp)
    fail('EF3004', `${node.op} int8 output must have scale ${outScale} and zero point ${outZp} (got ${y.s}, ${y.zp})`, {
      node: node.name,
      suggestion: 'quantize this output with the fixed TFLite parameters',
    });
  const [q, l] = frexp(x.s * 2 ** (31 - INPUT_INT_BITS));
  const m = rha(q * 2 ** 31);
  const radius = Math.floor((((1 << INPUT_INT_BITS) - 1) * 2 ** (31 - INPUT_INT_BITS)) / 2 ** l);
  return { in_zp: x.zp, out_zp: y.zp, input_multiplier: m, input_left_shift: l, input_range_radius: radius };
}

/** TFLite CheckedLog2 (float32 math): rounded log2 of x and whether x is a power of two within 1e-3 in log2. */
export function checkedLog2(x: number): { log2: number; pot: boolean } {
  const f = Math.fround;
  const l = f(f(Math.log(f(x))) * f(1 / f(Math.log(2))));
  const r = rha(l);
  return { log2: r, pot: Math.abs(f(l - r)) < f(1e-3) };
}

function prepareLogistic16(node: Node, x: { s: number; zp: number }, y: { s: number; zp: number }): LogisticParams {
  const inputIntegerBits = 3;
  if (x.zp !== 0 || y.zp !== 0)
    fail('EF3004', `${node.op} int16 input and output must have zero point 0 (got ${x.zp}, ${y.zp})`, { node: node.name });
  const o = checkedLog2(y.s);
  if (!o.pot || o.log2 !== -15)
    fail('EF3004', `${node.op} int16 output must have scale 2^-15 (got ${y.s})`, {
      node: node.name,
      suggestion: 'quantize this output with the fixed TFLite 16x8 parameters (scale 1/32768, zero point 0)',
    });
  const i = checkedLog2(x.s);
  let shift = 15 - inputIntegerBits + i.log2;
  const pot = i.pot && (shift === 0 || (node.op === 'Tanh' && shift === 1));
  let mult = 0;
  if (!pot) {
    let m = x.s * 4096 * 3;
    shift = 0;
    while (m <= 32767 / 2 && shift <= 30) {
      shift++;
      m *= 2;
    }
    mult = Math.trunc(m);
    if (mult > 32767)
      fail('EF3004', `${node.op} int16 input scale ${x.s} is too large for the table lookup (multiplier ${mult} > 32767)`, { node: node.name });
  }
  return { in_zp: 0, out_zp: 0, input_multiplier: mult, input_left_shift: shift, input_range_radius: 0 };
}

/** Input rescaling of the int16 LOGISTIC / TANH kernels: (x·M + round) >> L, with M = 3 << L, L = 0 for M = 0. */
export function logisticInput16(node: Node): { mult: number; shift: number; round: number } {
  let mult = node.qparams!.input_multiplier as number;
  let shift = node.qparams!.input_left_shift as number;
  if (mult === 0) {
    mult = 3 << shift;
    shift = 0;
  }
  return { mult, shift, round: shift > 0 ? 1 << (shift - 1) : 0 };
}
