// The mixed scheme: quantize int8, measure the per-layer SQNR against float, move the worst layers to int16.

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../ops/types.js';
import { prepareIntGraph } from '../sim/int.js';
import type { Range } from './observers.js';
import { INT16_OPS, sharedPorts } from './policy.js';
import type { QuantizeOptions } from './ptq.js';
import { quantizeWithRanges } from './rewrite.js';

/** One layer moved to int16 by the mixed scheme, with its SQNR (dB) against float before and after. */
export interface MixedLayer {
  node: string;
  op: string;
  tensor: string;
  int8SqnrDb: number;
  mixedSqnrDb: number;
}

export interface MixedReport {
  thresholdDb: number;
  maxLayers: number;
  samples: number;
  moved: MixedLayer[];
  /** Output-tensor SQNR of every layer of the int8 model (the ranking the choice was made on). */
  int8Layers: { node: string; op: string; tensor: string; sqnrDb: number }[];
}

/** The mixed scheme: int8, per-layer SQNR, the worst layers (below the threshold, at most K) moved to int16. */
export async function quantizeMixed(floatGraph: Graph, ranges: Map<number, Range>, samples: Value[][], opts: QuantizeOptions) {
  const thresholdDb = opts.mixedThresholdDb ?? 30;
  const maxLayers = opts.mixedMaxInt16Layers ?? 4;
  if (!(maxLayers >= 0) || !Number.isFinite(thresholdDb))
    fail('EF0006', `mixed scheme: threshold ${thresholdDb} dB and layer limit ${maxLayers} must be finite and >= 0`);
  const { layerErrors } = await import('./report.js');
  const probe = samples.slice(0, Math.max(1, opts.mixedSamples ?? 64));
  const q8 = prepareIntGraph(quantizeWithRanges(floatGraph, ranges, 'int8'));
  const before = await layerErrors(floatGraph, q8, probe);
  const candidates = before.layers
    .filter((l) => INT16_OPS.has(l.op) && !sharedPorts(l.op) && l.sqnrDb < thresholdDb)
    .sort((a, b) => a.sqnrDb - b.sqnrDb)
    .slice(0, maxLayers);
  const names = new Set(candidates.map((l) => l.node));
  const graph = names.size ? quantizeWithRanges(floatGraph, ranges, 'int8', names) : quantizeWithRanges(floatGraph, ranges, 'int8');
  const prepared = names.size ? prepareIntGraph(graph) : q8;
  const after = names.size ? await layerErrors(floatGraph, prepared, probe) : before;
  const afterBy = new Map(after.layers.map((l) => [l.tensor, l.sqnrDb]));
  const report: MixedReport = {
    thresholdDb,
    maxLayers,
    samples: probe.length,
    moved: candidates.map((l) => ({ node: l.node, op: l.op, tensor: l.tensor, int8SqnrDb: l.sqnrDb, mixedSqnrDb: afterBy.get(l.tensor) ?? NaN })),
    int8Layers: before.layers.map((l) => ({ node: l.node, op: l.op, tensor: l.tensor, sqnrDb: l.sqnrDb })),
  };
  return { graph, prepared, report };
}
