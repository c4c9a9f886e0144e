// fold-pad: a constant Pad of real 0 on H/W that feeds only a convolution becomes the convolution's own padding.
// TFLite has only SAME and VALID padding, so a convolution with other pads (PyTorch's `padding=1` with stride 2 on
// an even input, asymmetric kernels) is written as PAD + CONV_2D(VALID); folding it back on import gives the
// graph the source had: no padded copy of the feature map in the arena, and the same generated C.
//
// Exact in every arithmetic the simulator runs: an integer convolution skips the taps outside the input, which
// is the same as reading the zero point there (its contribution (zp + input_offset) · w is 0), and a Pad of real 0
// writes the zero point (float: 0). Pads with another fill, on N or C, negative (crops), or feeding anything but
// one Conv are left alone; so are Pads whose input and output quantization differ.

import type { Graph, QuantParams } from '../ir/graph.js';
import { consumers, pruneGraph } from '../ir/graph.js';
import { cloneGraph, singleUse } from './util.js';

function sameQuant(a: QuantParams | undefined, b: QuantParams | undefined): boolean {
  if (!a || !b) return a === b;
  return a.axis === b.axis && a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i] && a.zeroPoint[i] === b.zeroPoint[i]);
}

export function foldPad(input: Graph): Graph {
  const g = cloneGraph(input);
  const cons = consumers(g);
  const drop = new Set<number>();
  g.nodes.forEach((n, ni) => {
    if (n.op !== 'Pad' || (n.attrs.mode ?? 'constant') !== 'constant' || (n.attrs.value ?? 0) !== 0) return;
    const [x, y] = [n.inputs[0], n.outputs[0]];
    if (n.inputs.slice(1).some((t) => t >= 0)) return; // pads as a runtime tensor
    const xt = g.tensors[x];
    const yt = g.tensors[y];
    const pads = n.attrs.pads as number[] | undefined;
    if (!pads || pads.length !== 8 || xt.shape.length !== 4 || xt.dtype !== yt.dtype || !sameQuant(xt.quant, yt.quant)) return;
    // IR order: begins [N, H, W, C], then ends
    if (pads[0] || pads[3] || pads[4] || pads[7] || pads.some((p) => !(p >= 0))) return;
    if (!singleUse(g, cons, y)) return;
    const ci = cons.get(y)![0];
    const c = g.nodes[ci];
    if (c.op !== 'Conv' || c.inputs[0] !== y) return;
    const cp = (c.attrs.pads as number[] | undefined) ?? [0, 0, 0, 0];
    // Conv pads: [top, left, bottom, right]
    g.nodes[ci] = { ...c, inputs: [x, ...c.inputs.slice(1)], attrs: { ...c.attrs, pads: [cp[0] + pads[1], cp[1] + pads[2], cp[2] + pads[5], cp[3] + pads[6]] } };
    drop.add(ni);
  });
  if (drop.size === 0) return input;
  return pruneGraph({ ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)) });
}
