// Model inspection: per-layer op, source name, shapes, parameters and MACs, plus totals. Pure data; the CLI
// renders it.

import { dtypeSize, shapeSize } from './ir/dtype.js';
import type { Graph } from './ir/graph.js';
import { inferCtx } from './ir/infer.js';
import { getOp } from './ops/index.js';

export interface LayerInfo {
  index: number;
  op: string;
  name: string;
  inputs: { name: string; shape: number[]; dtype: string; constant: boolean }[];
  outputs: { name: string; shape: number[]; dtype: string }[];
  params: number;
  paramBytes: number;
  macs: number;
  activation?: string;
  quantized: boolean;
}

export interface TensorSummary {
  name: string;
  shape: number[];
  dtype: string;
  sourcePerm?: number[];
  quant?: { scale: number[]; zeroPoint: number[]; axis: number };
}

export interface ModelReport {
  format: string;
  source?: string;
  producer?: string;
  info?: Record<string, string | number>;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  layers: LayerInfo[];
  totals: { layers: number; params: number; paramBytes: number; macs: number; opCounts: Record<string, number> };
}

export function inspectGraph(g: Graph): ModelReport {
  const counted = new Set<number>();
  const layers: LayerInfo[] = g.nodes.map((n, index) => {
    const def = getOp(n.op);
    const ctx = inferCtx(g, n);
    const outs = n.outputs.map((o) => ({ dtype: g.tensors[o].dtype, shape: g.tensors[o].shape }));
    let params = 0;
    let paramBytes = 0;
    for (const i of n.inputs) {
      if (i < 0) continue;
      const t = g.tensors[i];
      if (t.data && !counted.has(i)) {
        counted.add(i);
        params += t.data.length;
        paramBytes += t.data.length * dtypeSize(t.dtype);
      }
    }
    const act = typeof n.attrs.activation === 'string' && n.attrs.activation !== 'none' ? n.attrs.activation : undefined;
    return {
      index,
      op: n.op,
      name: n.name,
      inputs: n.inputs
        .filter((i) => i >= 0)
        .map((i) => ({ name: g.tensors[i].name, shape: g.tensors[i].shape, dtype: g.tensors[i].dtype, constant: !!g.tensors[i].data })),
      outputs: n.outputs.map((o) => ({ name: g.tensors[o].name, shape: g.tensors[o].shape, dtype: g.tensors[o].dtype })),
      params,
      paramBytes,
      macs: def.macs(ctx, outs),
      activation: act,
      quantized: n.outputs.some((o) => !!g.tensors[o].quant),
    };
  });
  const summary = (id: number): TensorSummary => {
    const t = g.tensors[id];
    return { name: t.name, shape: t.shape, dtype: t.dtype, sourcePerm: t.sourcePerm, quant: t.quant };
  };
  const opCounts: Record<string, number> = {};
  for (const l of layers) opCounts[l.op] = (opCounts[l.op] ?? 0) + 1;
  return {
    format: g.meta.format,
    source: g.meta.source,
    producer: g.meta.producer,
    info: g.meta.info,
    inputs: g.inputs.map(summary),
    outputs: g.outputs.map(summary),
    layers,
    totals: {
      layers: layers.length,
      params: layers.reduce((a, l) => a + l.params, 0),
      paramBytes: layers.reduce((a, l) => a + l.paramBytes, 0),
      macs: layers.reduce((a, l) => a + l.macs, 0),
      opCounts,
    },
  };
}

/** Activation bytes of one tensor (for reports). */
export function tensorBytes(g: Graph, id: number): number {
  const t = g.tensors[id];
  return shapeSize(t.shape.map((d) => Math.max(d, 1))) * dtypeSize(t.dtype);
}
