// Windowed ONNX ops: Conv / ConvTranspose, MaxPool / AveragePool and the global pools.

import type { Attrs } from '../../../ir/graph.js';
import { transposeValue } from '../../../ir/layout.js';
import { needRank, type OpEntry, pads2d, to2d, windowPads } from './helpers.js';

function convEntry(transpose: boolean): OpEntry {
  return {
    attrs: transpose
      ? ['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'output_shape', 'pads', 'strides']
      : ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    constInputs: () => [1, 2],
    convert({ ctx, a, ins, outs }) {
      const X0 = ctx.need(ins[0], 'X');
      const xs = needRank(ctx, X0, [3, 4], transpose ? 'ConvTranspose' : 'Conv');
      const n = xs.length - 2;
      const X = ctx.toCl(X0);
      const W = ctx.constValue(ins[1], 'W');
      const Bv = ctx.optConstValue(ins[2], 'B');
      if (W.shape.length !== n + 2) ctx.err('EF1004', `weight W has shape [${W.shape.join(',')}], rank ${n + 2} expected`);
      const k = a.ints('kernel_shape', W.shape.slice(2));
      if (k.length !== n || k.some((v, i) => v !== W.shape[2 + i]))
        ctx.err('EF1004', `kernel_shape [${k.join(',')}] does not match W [${W.shape.join(',')}]`);
      const s = a.ints('strides', new Array(n).fill(1));
      const d = a.ints('dilations', new Array(n).fill(1));
      const group = a.int('group', 1);
      const inSp = xs.slice(2);
      // weights: OIHW → OHWI (Conv) / IOHW → IHWO (ConvTranspose); 1-D gets H=1
      const w4 = n === 1 ? { ...W, shape: [W.shape[0], W.shape[1], 1, W.shape[2]] } : W;
      const wt = transposeValue(w4, [0, 2, 3, 1]);
      const wid = ctx.constant(`${ins[1]}_${transpose ? 'ihwo' : 'ohwi'}`, wt);
      const bid = Bv ? ctx.constant(ins[2], Bv) : -1;
      let attrs: Attrs;
      if (!transpose) {
        const { begin, end } = windowPads(ctx, a, inSp, k, s, d);
        attrs = { strides: to2d(s, n, 1), dilations: to2d(d, n, 1), pads: pads2d(begin, end), group };
      } else {
        const op = a.ints('output_padding', new Array(n).fill(0));
        const outShape = a.ints('output_shape');
        const autoPad = a.str('auto_pad', 'NOTSET');
        let begin: number[];
        let end: number[];
        const opad = op.slice();
        if (outShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
          const want = outShape ? outShape.slice(-n) : inSp.map((v, i) => v * s[i]);
          begin = [];
          end = [];
          for (let i = 0; i < n; i++) {
            const total = s[i] * (inSp[i] - 1) + op[i] + (k[i] - 1) * d[i] + 1 - want[i];
            if (total < 0) {
              begin.push(0), end.push(0);
              opad[i] = op[i] - total;
            } else {
              const small = Math.floor(total / 2);
              if (autoPad === 'SAME_UPPER') begin.push(small), end.push(total - small);
              else begin.push(total - small), end.push(small);
            }
          }
        } else if (autoPad === 'VALID') {
          begin = new Array(n).fill(0);
          end = new Array(n).fill(0);
        } else {
          if (autoPad !== 'NOTSET') ctx.err('EF2003', `auto_pad '${autoPad}' is not supported`);
          const p = a.ints('pads', new Array(2 * n).fill(0));
          begin = p.slice(0, n);
          end = p.slice(n);
        }
        attrs = { strides: to2d(s, n, 1), dilations: to2d(d, n, 1), pads: pads2d(begin, end), output_padding: to2d(opad, n, 0), group };
      }
      const id = ctx.emit1(transpose ? 'ConvTranspose' : 'Conv', [X.id, wid, bid], attrs, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

function poolEntry(op: 'MaxPool' | 'AveragePool'): OpEntry {
  return {
    attrs:
      op === 'MaxPool'
        ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
        : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    convert({ ctx, a, ins, outs }) {
      if (outs[1]) ctx.err('EF2003', 'the Indices output of MaxPool is not supported');
      const X0 = ctx.need(ins[0], 'X');
      const xs = needRank(ctx, X0, [3, 4], op);
      const n = xs.length - 2;
      const X = ctx.toCl(X0);
      const k = a.ints('kernel_shape');
      if (!k || k.length !== n) return ctx.err('EF2003', `kernel_shape must list ${n} sizes`);
      const s = a.ints('strides', new Array(n).fill(1));
      const d = a.ints('dilations', new Array(n).fill(1));
      const { begin, end } = windowPads(ctx, a, xs.slice(2), k, s, d);
      const attrs: Attrs = {
        kernel: to2d(k, n, 1),
        strides: to2d(s, n, 1),
        pads: pads2d(begin, end),
        dilations: to2d(d, n, 1),
        ceil_mode: a.int('ceil_mode', 0),
      };
      if (op === 'AveragePool') attrs.count_include_pad = a.int('count_include_pad', 0);
      const id = ctx.emit1(op, [X.id], attrs, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

function globalPoolEntry(op: 'ReduceMean' | 'ReduceMax'): OpEntry {
  return {
    attrs: [],
    convert({ ctx, ins, outs }) {
      const X0 = ctx.need(ins[0], 'X');
      needRank(ctx, X0, [3, 4], op === 'ReduceMean' ? 'GlobalAveragePool' : 'GlobalMaxPool');
      const X = ctx.toCl(X0);
      const id = ctx.emit1(op, [X.id], { axes: [1, 2], keepdims: 1 }, outs[0]);
      ctx.set(outs[0], { id, layout: X.layout });
    },
  };
}

export const SPATIAL_OPS: Record<string, OpEntry> = {
  Conv: convEntry(false),
  ConvTranspose: convEntry(true),
  MaxPool: poolEntry('MaxPool'),
  AveragePool: poolEntry('AveragePool'),
  GlobalAveragePool: globalPoolEntry('ReduceMean'),
  GlobalMaxPool: globalPoolEntry('ReduceMax'),
};
