// espforge quantize MODEL --calib DATA [--scheme int8|int16|mixed] [--method minmax|percentile|mse|kl]
//                  [--calib-count N] [--percentile P] [--input-scale S --input-offset O] --out FILE.tflite [--json]
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { attempt, attemptAsync, fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { planLayout } from '../../ir/layout.js';
import { loadModel } from '../../import/index.js';
import { exportTflite } from '../../import/tflite/writer.js';
import type { Value } from '../../ops/types.js';
import { CALIB_METHODS, type CalibMethod } from '../../quant/observers.js';
import { quantizeModel, QUANT_SCHEMES, type QuantScheme } from '../../quant/ptq.js';
import { interpretInput, layerErrors, quantizeInput, renderLayerReport, reportJson, sqnrWarnings, type InputInterpretation, type InputKind, type LayerReport } from '../../quant/report.js';
import { isIntegerDType, type DType } from '../../ir/dtype.js';
import { printJson, report, reportFailure } from '../common.js';
import { buildWarnings } from '../../codegen/c/emit.js';

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
  o: DataOptions & { split?: 'train' | 'test' | 'all'; limit?: number; kind?: InputKind },
): Promise<{ samples: Value[][]; labels?: Int32Array; classes: string[]; source: string; input: InputInterpretation }> {
  if (g.inputs.length !== 1) fail('EF3003', `the model has ${g.inputs.length} inputs; datasets feed single-input models`, { file: spec });
  const t = g.tensors[g.inputs[0]];
  const shape = t.shape.map((d) => (d < 0 ? 1 : d));
  const { loadDataset } = await import('../../data/index.js');
  const ds = await loadDataset(spec, { inputShape: shape.slice(1), split: o.split, limit: o.limit, layout: (s) => planLayout(s, t, undefined, spec) });
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

export function progress(enabled: boolean, label: string, total: number): { tick: (n: number) => void; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true }, Presets.shades_classic);
  bar.start(total, 0);
  return { tick: (n) => bar.update(n), stop: () => bar.stop() };
}

export function parseScheme(s: string): QuantScheme {
  if (!(QUANT_SCHEMES as readonly string[]).includes(s)) fail('EF0006', `--scheme must be one of ${QUANT_SCHEMES.join('|')}, got '${s}'`);
  return s as QuantScheme;
}
export function parseMethod(s: string): CalibMethod {
  if (!(CALIB_METHODS as readonly string[]).includes(s)) fail('EF0006', `--method must be one of ${CALIB_METHODS.join('|')}, got '${s}'`);
  return s as CalibMethod;
}
export function parseCount(s: string | undefined, flag: string, dflt: number): number {
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) fail('EF0006', `${flag} must be a positive integer, got '${s}'`);
  return n;
}

interface Opts extends DataOptions {
  calib: string;
  scheme: string;
  method: string;
  calibCount?: string;
  percentile?: string;
  reportCount?: string;
  mixedThreshold?: string;
  mixedMaxLayers?: string;
  out: string;
  json?: boolean;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('quantize')
    .description('post-training quantization to a full-integer .tflite, with a per-layer error report')
    .argument('<model>', 'float model file (ONNX, TFLite, Keras, TF.js)')
    .requiredOption('--calib <data>', 'calibration data: builtin:mnist, .npz/.npy, IDX folder or image folder')
    .option('--scheme <scheme>', 'int8 | int16 (16x8: int16 activations, int8 weights) | mixed', 'int8')
    .option('--method <method>', 'range observer: minmax | percentile | mse | kl', 'minmax')
    .option('--calib-count <n>', 'calibration samples to use (default 300)')
    .option('--percentile <p>', 'percentile for --method percentile (default 99.99)')
    .option('--report-count <n>', 'samples for the per-layer error report (default 50)')
    .option('--mixed-threshold <dB>', 'mixed: layers whose int8 SQNR is below this move to int16 (default 30)')
    .option('--mixed-max-layers <n>', 'mixed: at most this many layers move to int16 (default 4)')
    .option('--input-scale <s>', 'multiply dataset values by this before feeding the model (e.g. 255 for raw-pixel models)')
    .option('--input-offset <o>', 'then add this')
    .requiredOption('--out <file>', 'output .tflite file')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Opts) => {
      // bad option values are usage errors (exit 2)
      const usage = attempt(() => [parseScheme(o.scheme), parseMethod(o.method)]);
      if (reportFailure(usage, o.json, setExit, 2)) return;
      const res = await attemptAsync(async () => {
        const scheme = parseScheme(o.scheme);
        const method = parseMethod(o.method);
        const count = parseCount(o.calibCount, '--calib-count', 300);
        const reportCount = parseCount(o.reportCount, '--report-count', 50);
        const percentile = o.percentile !== undefined ? Number(o.percentile) : undefined;
        if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) fail('EF0006', '--percentile must be in (50, 100]');
        const g = await loadModel(model);
        const data = await loadSamples(g, o.calib, { ...o, split: 'train', limit: count });
        const passes = method === 'minmax' ? 1 : 2;
        const bar = progress(!o.json, 'calibrating', data.samples.length * passes);
        let q;
        try {
          const mixedThresholdDb = o.mixedThreshold !== undefined ? Number(o.mixedThreshold) : undefined;
          if (mixedThresholdDb !== undefined && !Number.isFinite(mixedThresholdDb)) fail('EF0006', '--mixed-threshold must be a number (dB)');
          const mixedMaxInt16Layers = o.mixedMaxLayers !== undefined ? parseCount(o.mixedMaxLayers, '--mixed-max-layers', 4) : undefined;
          q = await quantizeModel(g, data.samples, { scheme, method, percentile, onProgress: bar.tick, mixedThresholdDb, mixedMaxInt16Layers });
        } finally {
          bar.stop();
        }
        const bytes = exportTflite(q.graph);
        writeFileSync(o.out, bytes);
        const layers: LayerReport = await layerErrors(q.floatGraph, q.graph, data.samples.slice(0, reportCount));
        // quantize and build must agree: what the C back end would refuse is said now, not at build time
        const warnings = buildWarnings(q.graph, model);
        // import warnings (NaN weights...) and layers quantization left without signal (~0 dB SQNR): reported, but
        // they do not make the model unbuildable
        const notices = [...(g.meta.warnings ?? []), ...sqnrWarnings(layers, model)];
        return { scheme, method, samples: q.samples, calibSource: data.source, out: o.out, bytes: bytes.length, layers, mixed: q.mixed, warnings, notices };
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      const r = res.value;
      report([...r.notices, ...r.warnings], o.json);
      if (o.json) printJson({ ok: true, ...(reportJson(r) as object), buildable: r.warnings.length === 0, diagnostics: [...r.notices, ...r.warnings] });
      else
        process.stdout.write(
          `quantized (${r.scheme}, ${r.method}) on ${r.samples} sample(s) of ${r.calibSource}\n` +
            `wrote ${r.out} (${r.bytes} bytes)\n\n` +
            (r.mixed
              ? `mixed: ${r.mixed.moved.length} layer(s) moved to int16${r.mixed.moved.map((m) => `\n  ${m.node} (${m.op}): ${m.int8SqnrDb.toFixed(1)} dB int8 → ${m.mixedSqnrDb.toFixed(1)} dB`).join('')}\n\n`
              : '') +
            renderLayerReport(r.layers) +
            '\n',
        );
    });
}
