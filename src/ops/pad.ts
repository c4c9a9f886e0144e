// Pad: pads in ONNX order [b_0 .. b_{r-1}, e_0 .. e_{r-1}] (all begins, then all ends). A negative pad crops:
// crops are applied first, then the cropped tensor is padded (as onnxruntime does). Modes:
//   constant: `value`, a real number (stored through the dtype by this float kernel, so 1.5 on int8 stores 1; the
//             integer kernel quantizes it once with the output's scale and zero point: 0 fills the zero point)
//   edge:     repeat the border element
//   reflect:  mirror without repeating the border (numpy 'reflect'; pads longer than dim-1 keep mirroring)
//   wrap:     periodic (ONNX opset 19)
// edge/reflect/wrap need a non-empty (cropped) axis wherever they pad.

import { fail } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { OpDef, TensorInfo, Value } from './types.js';
import { attrFloat, attrInts, attrStr, mappedCopy } from './util.js';

interface PadPlan {
  shape: number[];
  /** Per output axis: input coordinate or -1 (constant). Built only when `withMaps`. */
  maps: Int32Array[];
}

function plan(x: TensorInfo | undefined, attrs: Attrs, node: string, withMaps: boolean): PadPlan {
  if (!x) return fail('EF1009', 'Pad input 0 is missing', { node });
  const r = x.shape.length;
  const pads = attrInts(attrs, 'pads');
  const mode = attrStr(attrs, 'mode');
  if (pads.length !== 2 * r)
    fail('EF1006', `Pad pads has ${pads.length} entries, input rank ${r} needs ${2 * r} (all begins, then all ends)`, { node });
  const shape: number[] = [];
  const maps: Int32Array[] = [];
  for (let d = 0; d < r; d++) {
    const dim = x.shape[d];
    const b = pads[d];
    const e = pads[d + r];
    if (dim < 0) {
      shape.push(-1);
      continue;
    }
    const n = dim + b + e;
    if (n < 0) fail('EF1004', `Pad on axis ${d} crops ${-Math.min(b, 0) - Math.min(e, 0)} from a dimension of ${dim}`, { node });
    shape.push(n);
    const lo = Math.max(0, -b); // first kept input index
    const L = dim - lo - Math.max(0, -e); // kept length
    const before = Math.max(0, b);
    if (mode !== 'constant' && L <= 0 && n > 0)
      fail('EF1004', `Pad mode '${mode}' needs a non-empty axis ${d} to pad from`, { node });
    if (!withMaps) continue;
    const m = new Int32Array(n);
    const period = mode === 'reflect' ? 2 * (L - 1) : L;
    for (let o = 0; o < n; o++) {
      let c = o - before; // coordinate in the cropped axis
      if (c < 0 || c >= L) {
        if (mode === 'constant') {
          m[o] = -1;
          continue;
        }
        if (mode === 'edge') c = c < 0 ? 0 : L - 1;
        else if (period === 0) c = 0;
        else {
          c = ((c % period) + period) % period;
          if (mode === 'reflect' && c >= L) c = period - c;
        }
      }
      m[o] = lo + c;
    }
    maps.push(m);
  }
  return { shape, maps };
}

export const def: OpDef = {
  name: 'Pad',
  quant: { activations: 'int8+int16', sharedPorts: [0] },
  layout: 'transparent',
  doc: 'pad (or crop, with negative pads) each axis; modes constant | edge | reflect | wrap',
  inputs: [{ name: 'data' }],
  outputs: ['output'],
  attrs: {
    pads: { type: 'ints', required: true, doc: 'all begins then all ends, one per axis; negative = crop' },
    mode: { type: 'string', default: 'constant', oneOf: ['constant', 'edge', 'reflect', 'wrap'] },
    value: { type: 'float', default: 0, doc: 'fill value for mode constant' },
  },
  infer(ctx) {
    const p = plan(ctx.inputs[0], ctx.attrs, ctx.node.name, false);
    return [{ dtype: ctx.inputs[0]!.dtype, shape: p.shape }];
  },
  evalFloat(ins: (Value | undefined)[], attrs: Attrs, node: Node): Value[] {
    const x = ins[0];
    const p = plan(x, attrs, node?.name, true);
    const out = allocArray(x!.dtype, shapeSize(p.shape));
    mappedCopy(x!.data, x!.shape, p.maps, out, attrFloat(attrs, 'value'));
    return [{ dtype: x!.dtype, shape: p.shape, data: out }];
  },
  macs: () => 0,
};
