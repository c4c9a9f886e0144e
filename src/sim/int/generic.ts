// Ops whose integer execution is pure data selection (Slice, Gather, ArgMax, Max, Min, ReduceMax,
// nearest Resize): the registry's dtype-generic reference kernel runs on the integer values directly. Where the
// op passes values through, input and output must share scale and zero point (checked in prepare).

import { fail } from '../../diagnostics.js';
import type { Node } from '../../ir/graph.js';
import { getOp, normalizeAttrs } from '../../ops/index.js';
import type { NoParams, PassThroughParams } from '../../ops/qparams.js';
import type { IntKernel } from '../../ops/types.js';
import { scaleZp } from './prepare.js';
import { cached } from './common.js';

export function generic(op: string, passThrough: true, check?: (node: Node) => void): IntKernel<PassThroughParams>;
export function generic(op: string, passThrough: false, check?: (node: Node) => void): IntKernel<NoParams>;
export function generic(op: string, passThrough: boolean, check?: (node: Node) => void): IntKernel<PassThroughParams | NoParams> {
  return {
    prepare(node, g): PassThroughParams | NoParams {
      check?.(node);
      if (passThrough) {
        const y = scaleZp(g, node.outputs[0], node, 'output');
        node.inputs.forEach((id, k) => {
          if (id < 0 || g.tensors[id].data !== undefined && !g.tensors[id].quant) return;
          const x = scaleZp(g, id, node, `input ${k}`);
          if (x.s !== y.s || x.zp !== y.zp)
            fail('EF3004', `${op} input ${k} and the output must share scale and zero point for integer execution`, { node: node.name });
        });
        return { out_zp: y.zp };
      }
      return {};
    },
    eval(inputs, node) {
      const def = getOp(op);
      const attrs = cached(node, () => normalizeAttrs(def, node.attrs, node.name));
      return def.evalFloat(inputs, attrs, node);
    },
  };
}
