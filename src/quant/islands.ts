// dtype islands: int16 layers in an int8 model (mixed scheme) and int8 layers around int8-only ops in an int16
// model, cut out of the float graph before quantization.

import { fail } from '../diagnostics.js';
import type { DType } from '../ir/dtype.js';
import type { Graph, Tensor } from '../ir/graph.js';
import type { Range } from './observers.js';
import { INT16_OPS, isWeightPort } from './policy.js';

const isFloatT = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/**
 * Island graph surgery on the float graph (mixed scheme: int16 islands in an int8 model; int16 scheme: int8
 * islands around int8-only ops): every activation input of a node in `names` that is not itself produced by such
 * a node goes through a boundary node (Identity here, a Quantize into the island's dtype after quantization), and
 * readers outside the island read the island's outputs through a boundary back. Constant operands of island
 * nodes are cloned so that they can be quantized in the island's dtype. Boundary tensors take the calibrated
 * range of the tensor they copy.
 */
export function dtypeIslands(
  fg: Graph,
  ranges: Map<number, Range>,
  names: ReadonlySet<string>,
  dt: DType,
): { graph: Graph; ranges: Map<number, Range>; boundary: Set<string>; islandIds: Set<number> } {
  const inSuffix = dt === 'int16' ? 'int16' : 'int8';
  const outSuffix = dt === 'int16' ? 'int8' : 'int16';
  const moved = new Set<string>();
  for (const n of fg.nodes)
    if (names.has(n.name)) {
      if (dt === 'int16' && !INT16_OPS.has(n.op))
        fail('EF3002', `${n.op} has no int16 integer kernel and cannot move to int16`, { node: n.name, suggestion: 'keep this layer int8' });
      moved.add(n.name);
    }
  const tensors: Tensor[] = fg.tensors.map((t) => ({ ...t }));
  const r = new Map(ranges);
  const islandIds = new Set<number>();
  const boundary = new Set<string>();
  const add = (t: Omit<Tensor, 'id'>, range: Range | undefined): number => {
    const id = tensors.length;
    tensors.push({ ...t, id });
    if (range) r.set(id, range);
    return id;
  };
  const islandOut = new Set<number>();
  for (const n of fg.nodes) if (moved.has(n.name)) n.outputs.forEach((o) => islandOut.add(o));
  const toIsland = new Map<number, number>();
  const fromIsland = new Map<number, number>();
  const nodes: Graph['nodes'] = [];
  const cross = (id: number, suffix: string, memo: Map<number, number>): number => {
    let c = memo.get(id);
    if (c === undefined) {
      const t = tensors[id];
      c = add({ name: `${t.name}_${suffix}`, dtype: t.dtype, shape: [...t.shape] }, ranges.get(id));
      nodes.push({ op: 'Identity', name: `${t.name}_to_${suffix}`, inputs: [id], outputs: [c], attrs: {} });
      boundary.add(`${t.name}_to_${suffix}`);
      memo.set(id, c);
    }
    return c;
  };
  for (const n of fg.nodes) {
    if (moved.has(n.name)) {
      const inputs = n.inputs.map((id, k) => {
        if (id < 0 || id === undefined) return id;
        const t = fg.tensors[id];
        if (isWeightPort(n.op, k) || !isFloatT(t) || islandOut.has(id)) return id;
        if (t.data) {
          const c = add({ ...t, name: `${t.name}_${inSuffix}`, shape: [...t.shape] }, undefined);
          islandIds.add(c);
          return c;
        }
        const c = cross(id, inSuffix, toIsland);
        islandIds.add(c);
        return c;
      });
      n.outputs.forEach((o) => islandIds.add(o));
      nodes.push({ ...n, inputs, outputs: [...n.outputs], attrs: { ...n.attrs } });
    } else {
      const inputs = n.inputs.map((id) => (id >= 0 && islandOut.has(id) ? cross(id, outSuffix, fromIsland) : id));
      nodes.push({ ...n, inputs, outputs: [...n.outputs], attrs: { ...n.attrs } });
    }
  }
  return { graph: { ...fg, tensors, nodes }, ranges: r, boundary, islandIds };
}
