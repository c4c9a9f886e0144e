// espforge quantize MODEL --calib DATA [--scheme int8|int16|mixed] [--method minmax|percentile|mse|kl]
//                  [--calib-count N] [--percentile P] [--input-scale S --input-offset O] --out FILE.tflite [--json]
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { attempt, attemptAsync, fail } from '../../diagnostics.js';
import { CALIB_METHODS, type CalibMethod } from '../../quant/observers.js';
import { QUANT_SCHEMES, type QuantScheme } from '../../quant/ptq.js';
import { renderLayerReport, reportJson } from '../../quant/report.js';
import { quantizeFile } from '../../pipeline/quantize.js';
import { CALIB_COUNT } from '../../pipeline/samples.js';
import { checkDumpNames, STAGES, Trace } from '../../pipeline/stages.js';
import { printJson, report, reportFailure } from '../common.js';
import { dumpJson, renderDump, renderTimings } from '../pipeline-view.js';
import type { DataOptions } from '../../pipeline/samples.js';

export { loadSamples, type DataOptions } from '../../pipeline/samples.js';

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
  dumpAfter?: string;
  timings?: boolean;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('quantize')
    .description('post-training quantization to a full-integer .tflite, with a per-layer error report')
    .argument('<model>', 'float model file (ONNX, TFLite, Keras, TF.js)')
    .requiredOption('--calib <data>', 'calibration data: builtin:mnist, .npz/.npy, IDX folder or image folder')
    .option('--scheme <scheme>', 'int8 | int16 (16x8: int16 activations, int8 weights) | mixed', 'int8')
    .option('--method <method>', 'range observer: minmax | percentile | mse | kl', 'minmax')
    .option('--calib-count <n>', `calibration samples, from the training split (default ${CALIB_COUNT}, as build --calib)`)
    .option('--percentile <p>', 'percentile for --method percentile (default 99.99)')
    .option('--report-count <n>', 'samples for the per-layer error report (default 50)')
    .option('--mixed-threshold <dB>', 'mixed: layers whose int8 SQNR is below this move to int16 (default 30)')
    .option('--mixed-max-layers <n>', 'mixed: at most this many layers move to int16 (default 4)')
    .option('--input-scale <s>', 'multiply dataset values by this before feeding the model (e.g. 255 for raw-pixel models)')
    .option('--input-offset <o>', 'then add this')
    .requiredOption('--out <file>', 'output .tflite file')
    .option('--dump-after <stage>', `show the graph after a stage (${STAGES.slice(0, 4).join(' | ')}) or a float pass`)
    .option('--timings', 'print the time of each pipeline stage on stderr')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Opts) => {
      // bad option values are usage errors (exit 2)
      const usage = attempt(() => [parseScheme(o.scheme), parseMethod(o.method), checkDumpNames(o.dumpAfter ? [o.dumpAfter] : [])]);
      if (reportFailure(usage, o.json, setExit, 2)) return;
      const res = await attemptAsync(async () => {
        const scheme = parseScheme(o.scheme);
        const method = parseMethod(o.method);
        const count = parseCount(o.calibCount, '--calib-count', CALIB_COUNT);
        const dumpAfter = o.dumpAfter ? [o.dumpAfter] : undefined;
        const reportCount = parseCount(o.reportCount, '--report-count', 50);
        const percentile = o.percentile !== undefined ? Number(o.percentile) : undefined;
        if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) fail('EF0006', '--percentile must be in (50, 100]');
        let bar: ReturnType<typeof progress> | undefined;
        try {
          const mixedThresholdDb = o.mixedThreshold !== undefined ? Number(o.mixedThreshold) : undefined;
          if (mixedThresholdDb !== undefined && !Number.isFinite(mixedThresholdDb)) fail('EF0006', '--mixed-threshold must be a number (dB)');
          const mixedMaxInt16Layers = o.mixedMaxLayers !== undefined ? parseCount(o.mixedMaxLayers, '--mixed-max-layers', 4) : undefined;
          const q = await quantizeFile(model, {
            calib: o.calib,
            count,
            inputScale: o.inputScale,
            inputOffset: o.inputOffset,
            scheme,
            method,
            percentile,
            mixedThresholdDb,
            mixedMaxInt16Layers,
            reportCount,
            out: o.out,
            trace: new Trace({ dumpAfter }),
            onStart: (n) => (bar = progress(!o.json, 'calibrating', n)),
            onProgress: (n) => bar?.tick(n),
          });
          return { ...q, samples: q.calibSamples.length, bytes: q.tflite.length };
        } finally {
          bar?.stop();
        }
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      const r = res.value;
      report([...r.notices, ...r.warnings], o.json);
      const { scheme, method, samples, calibSource, out, bytes, layers, mixed, warnings, notices, stages } = r;
      if (o.json)
        printJson({
          ok: true,
          ...(reportJson({ scheme, method, samples, calibSource, out, bytes, layers, mixed, warnings, notices }) as object),
          buildable: r.warnings.length === 0,
          diagnostics: [...r.notices, ...r.warnings],
          stages,
          dumps: r.dumps.length ? r.dumps.map(dumpJson) : undefined,
        });
      else {
        if (r.dumps.length) process.stdout.write(r.dumps.map(renderDump).join('\n') + '\n');
        if (o.timings) process.stderr.write(renderTimings(r.stages) + '\n');
      }
      if (!o.json)
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
