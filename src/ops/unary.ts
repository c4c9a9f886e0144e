// Shared machinery for element-wise unary ops with float attributes (Relu, Sigmoid, LeakyRelu, ...).
//
// `elementwise` takes a `bind` that reads the attributes ONCE per execution and returns the per-element
// function, so the inner loop does no attribute lookups. The output keeps the input dtype; integer results are
// stored through the typed array (truncation / wrap-around as the array converts). Ops whose math only makes
// sense on floats pass `floatOnly`: their float kernel rejects integer inputs with EF1005, while shape inference
// accepts them, because quantized graphs carry int8/int16 tensors (with quantization records) through these ops
// and give them meaning with the integer kernels.

import { fail } from '../diagnostics.js';
import { allocArray, isIntegerDType, shapeSize } from '../ir/dtype.js';
import type { Attrs, Node } from '../ir/graph.js';
import type { AttrSpec, OpDef, OpName, Value } from './types.js';
import { input } from './util.js';

export interface UnaryOpts {
  /** The float kernel rejects integer dtypes (EF1005); inference accepts them (quantized graphs). */
  floatOnly?: boolean;
  /** MACs counted per output element (0 for pure comparisons such as Relu). */
  macsPerElement?: number;
  /** Extra attribute validation, run by infer and evalFloat; throws a coded error. */
  check?: (attrs: Attrs, node: string) => void;
}

export function elementwise(
  name: OpName,
  doc: string,
  attrs: Record<string, AttrSpec>,
  bind: (attrs: Attrs) => (x: number) => number,
  opts: UnaryOpts = {},
): OpDef {
  const checkDtype = (dt: Value['dtype'], node: string): void => {
    if (opts.floatOnly && isIntegerDType(dt))
      fail('EF1005', `${name} needs a float input, got ${dt}`, {
        node,
        suggestion: 'dequantize (or Cast) the input to float32 first',
      });
  };
  return {
    name,
    doc,
    inputs: [{ name: 'X' }],
    outputs: ['Y'],
    attrs,
    infer(ctx) {
      const x = input(ctx, 0);
      opts.check?.(ctx.attrs, ctx.node.name);
      return [{ dtype: x.dtype, shape: x.shape.slice() }];
    },
    evalFloat(ins: (Value | undefined)[], a: Attrs, node: Node): Value[] {
      const x = ins[0];
      if (!x) return fail('EF1009', `${name} input 0 is missing`, { node: node?.name });
      checkDtype(x.dtype, node?.name);
      opts.check?.(a, node?.name);
      const f = bind(a);
      const src = x.data;
      const n = src.length;
      const out = allocArray(x.dtype, n);
      for (let i = 0; i < n; i++) out[i] = f(src[i]);
      return [{ dtype: x.dtype, shape: x.shape.slice(), data: out }];
    },
    macs: (_ctx, outs) => (opts.macsPerElement ?? 0) * shapeSize(outs[0].shape),
  };
}

/** Element-wise unary op whose function reads attributes per call (kept for simple ops such as Relu). */
export function unaryOp(
  name: OpName,
  doc: string,
  f: (x: number, attrs: Attrs) => number,
  attrs: Record<string, AttrSpec> = {},
  opts: UnaryOpts = {},
): OpDef {
  return elementwise(name, doc, attrs, (a) => (x) => f(x, a), opts);
}
