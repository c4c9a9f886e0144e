// Calibration: run the float interpreter over a calibration set and observe the range of every activation
// (graph inputs and every float node output). The result maps tensor id → clip range in the graph that was run.

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { Value } from '../ops/types.js';
import { prepareFloat, runFloat } from '../sim/float.js';
import { HistogramObserver, klRange, MinMaxObserver, mseRange, percentileRange, type CalibMethod, type Range } from './observers.js';

export interface CalibrateOptions {
  method?: CalibMethod;
  /** Percentile for the 'percentile' method (default 99.99). */
  percentile?: number;
  /** Use at most this many samples. */
  limit?: number;
  /** Called after each sample with the number done so far. */
  onProgress?: (done: number) => void;
}

export type CalibData = Iterable<Value[]> | AsyncIterable<Value[]>;

/** Collect a calibration source into an array (histogram methods need two passes). */
export async function collectSamples(data: CalibData, limit = Infinity): Promise<Value[][]> {
  const out: Value[][] = [];
  if (Symbol.asyncIterator in data) {
    for await (const s of data as AsyncIterable<Value[]>) {
      if (out.length >= limit) break;
      out.push(s);
    }
  } else {
    for (const s of data as Iterable<Value[]>) {
      if (out.length >= limit) break;
      out.push(s);
    }
  }
  return out;
}

function isFloat(g: Graph, id: number): boolean {
  const dt = g.tensors[id].dtype;
  return dt === 'float32' || dt === 'float64';
}

/** Observe every non-constant float tensor of `g` over the samples. */
export async function calibrate(g: Graph, data: CalibData, opts: CalibrateOptions = {}): Promise<Map<number, Range>> {
  const method = opts.method ?? 'minmax';
  const samples = await collectSamples(data, opts.limit ?? Infinity);
  if (!samples.length) fail('EF3003', 'the calibration set is empty', { suggestion: 'give --calib a dataset with at least one sample' });
  const p = prepareFloat(g);
  const watched = new Set<number>();
  for (const i of g.inputs) if (isFloat(g, i)) watched.add(i);
  for (const n of g.nodes) for (const o of n.outputs) if (isFloat(g, o)) watched.add(o);

  const pass = (observe: (id: number, v: Value) => void, progressBase: number) => {
    samples.forEach((s, k) => {
      if (s.length !== g.inputs.length)
        fail('EF3003', `calibration sample ${k} has ${s.length} inputs, the model has ${g.inputs.length}`);
      g.inputs.forEach((id, j) => watched.has(id) && observe(id, s[j]));
      runFloat(p, s, {
        onNode: (n, _i, outs) => n.outputs.forEach((o, j) => watched.has(o) && observe(o, outs[j])),
      });
      opts.onProgress?.(progressBase + k + 1);
    });
  };

  const mm = new Map<number, MinMaxObserver>();
  for (const id of watched) mm.set(id, new MinMaxObserver());
  pass((id, v) => mm.get(id)!.update(v.data), 0);
  const ranges = new Map<number, Range>();
  if (method === 'minmax') {
    for (const [id, o] of mm) ranges.set(id, o.range());
    return ranges;
  }
  const hist = new Map<number, HistogramObserver>();
  for (const [id, o] of mm) {
    const r = o.range();
    hist.set(id, new HistogramObserver(r.min, r.max));
  }
  pass((id, v) => hist.get(id)!.update(v.data), samples.length);
  for (const [id, h] of hist) {
    let r: Range;
    if (method === 'percentile') r = percentileRange(h, opts.percentile ?? 99.99);
    else if (method === 'mse') r = mseRange(h);
    else r = klRange(h, h.min >= 0);
    ranges.set(id, r);
  }
  return ranges;
}
