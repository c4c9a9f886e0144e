// Samples of a dataset for a model, and THE calibration rule: every path that calibrates (quantize, build --calib,
// the ESP-DL build, eval --quantize, run --quantized, the demo, bench, the library API) takes its samples from
// calibrationSamples, so the same model and data give the same int8 model whichever command quantized it.
//
// The rule: the training split only (a stored train part, else the seeded stratified 80% of src/data), never the
// test split, at most CALIB_COUNT samples (a seeded subset when the split holds more).

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { planLayout } from '../ir/layout.js';
import { isIntegerDType, type DType } from '../ir/dtype.js';
import type { Value } from '../ops/types.js';
import { interpretInput, quantizeInput, type InputInterpretation, type InputKind } from '../quant/report.js';

/** Calibration samples taken when the caller does not say how many. */
export const CALIB_COUNT = 300;
/** The split calibration reads: the training part, never the test part. */
export const CALIB_SPLIT = 'train';

export interface DataOptions {
  inputScale?: string;
  inputOffset?: string;
}

/**
 * Samples of a dataset shaped for graph input 0 (batch 1), with an optional affine input transform. For a quantized
 * input the input rule applies (interpretInput): an array stored in the input's integer dtype gives raw quantized
 * samples (in that dtype), float arrays, images and uint8 pixel arrays (normalized to 0..1) give real values, and
 * `kind` overrides. `input` says which, for the user.
 */
export async function loadSamples(
  g: Graph,
  spec: string,
  o: DataOptions & { split?: 'train' | 'test' | 'all'; limit?: number; kind?: InputKind; seed?: number },
): Promise<{ samples: Value[][]; labels?: Int32Array; classes: string[]; source: string; input: InputInterpretation }> {
  if (g.inputs.length !== 1) fail('EF3003', `the model has ${g.inputs.length} inputs; datasets feed single-input models`, { file: spec });
  const t = g.tensors[g.inputs[0]];
  const shape = t.shape.map((d) => (d < 0 ? 1 : d));
  const { loadDataset } = await import('../data/index.js');
  const ds = await loadDataset(spec, { inputShape: shape.slice(1), split: o.split, limit: o.limit, seed: o.seed, layout: (s) => planLayout(s, t, undefined, spec) });
  const per = shape.reduce((a, b) => a * b, 1);
  const n = Math.floor(ds.x.length / per);
  const sc = o.inputScale !== undefined ? Number(o.inputScale) : 1;
  const off = o.inputOffset !== undefined ? Number(o.inputOffset) : 0;
  if (!Number.isFinite(sc) || !Number.isFinite(off)) fail('EF0006', '--input-scale and --input-offset must be numbers');
  // uint8 arrays are pixels, normalized to 0..1 by the loader: real values unless the input itself is uint8
  const stored: DType = ds.dtype === undefined || (ds.dtype === 'uint8' && t.dtype !== 'uint8') ? 'float32' : ds.dtype;
  let input = interpretInput({ dtype: stored, shape, data: new Float32Array(0) }, t, o.kind);
  // images (and uint8 pixel arrays) for an int8/uint8 model follow the TFLite image-model convention, as `run`
  // does with an image file: pixel − 128 (int8) or the pixel (uint8) as raw quantized values
  const pixels = ds.normalization.scale === 1 / 255 && ds.normalization.offset === 0 && (ds.dtype === undefined || ds.dtype === 'uint8');
  const pixelRaw = pixels && o.kind === undefined && sc === 1 && off === 0 && t.quant !== undefined && (t.dtype === 'int8' || t.dtype === 'uint8');
  if (pixelRaw)
    input = { kind: 'raw', reason: `image pixels as raw ${t.dtype} (${t.dtype === 'int8' ? 'pixel − 128' : 'the pixel'}: the TFLite image-model convention; --input-kind real feeds pixel/255 as real values)` };
  else if (ds.dtype === undefined && stored === 'float32' && input.kind === 'real' && o.kind === undefined) input.reason = `${input.reason} (dataset values after its normalization)`;
  const raw = input.kind === 'raw' && isIntegerDType(t.dtype);
  if (raw && (sc !== 1 || off !== 0)) fail('EF1011', '--input-scale/--input-offset transform real values; this dataset is read as raw quantized values', { file: spec, suggestion: 'drop them, or use --input-kind real' });
  const samples: Value[][] = [];
  for (let i = 0; i < n; i++) {
    const d = ds.x.slice(i * per, (i + 1) * per);
    if (raw) {
      // back to the stored integers (exact: the loader only scaled uint8 by 1/255), then checked and typed by the rule
      const { scale, offset } = ds.normalization;
      const r = new Int32Array(d.length);
      for (let k = 0; k < d.length; k++) {
        let x = scale === 1 && offset === 0 ? d[k] : Math.round((d[k] - offset) / scale);
        if (pixelRaw && t.dtype === 'int8') x -= 128;
        if (!Number.isInteger(x) || Math.abs(x) > 2 ** 31 - 1)
          fail('EF1011', `sample ${i} holds ${d[k]}, not a raw quantized value (was it resized to the model input?)`, { file: spec, suggestion: 'use --input-kind real' });
        r[k] = x;
      }
      samples.push([quantizeInput({ dtype: 'int32', shape, data: r }, t, 'raw')]);
      continue;
    }
    if (sc !== 1 || off !== 0) for (let k = 0; k < d.length; k++) d[k] = d[k] * sc + off;
    samples.push([{ dtype: 'float32', shape, data: d }]);
  }
  return { samples, labels: ds.y, classes: ds.classes, source: ds.source, input };
}

export interface CalibrationOptions extends DataOptions {
  /** At most this many samples (default CALIB_COUNT). */
  count?: number;
  /** Seed of the dataset's train/test split and subset (default 0, as every command): a caller that split the
   * same data with another seed (the demo) passes its own, so calibration stays inside its training part. */
  seed?: number;
}

/** Calibration samples for graph input 0 under the one rule (see the top of this file). */
export async function calibrationSamples(g: Graph, spec: string, o: CalibrationOptions = {}): Promise<Awaited<ReturnType<typeof loadSamples>>> {
  const count = o.count ?? CALIB_COUNT;
  if (!Number.isInteger(count) || count < 1) fail('EF0006', `the calibration sample count must be a positive integer, got ${count}`);
  return loadSamples(g, spec, { inputScale: o.inputScale, inputOffset: o.inputOffset, split: CALIB_SPLIT, limit: count, seed: o.seed });
}
