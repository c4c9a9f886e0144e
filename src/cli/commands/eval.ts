// espforge eval MODEL --data DATA [--quantized] [--calib DATA] [--scheme S] [--method M] [--calib-count N]
//               [--limit N] [--input-scale S --input-offset O] [--json]
// Float model: float accuracy; with --quantized it is also quantized (calibrated on --calib, default the
// train part of --data) and the report adds quantized accuracy, top-1 agreement and per-layer error.
// An already quantized model (int8 .tflite) is evaluated on the integer simulator.
import type { Command } from 'commander';
import { attempt, attemptAsync } from '../../diagnostics.js';
import { loadModel } from '../../import/index.js';
import { quantizeModel } from '../../quant/ptq.js';
import { evaluate, layerErrors, renderAccuracyReport, renderLayerReport, reportJson, type AccuracyReport, type LayerReport } from '../../quant/report.js';
import { isQuantizedGraph } from '../../run.js';
import { printJson, reportFailure } from '../common.js';
import { parseInputKind } from '../inputs.js';
import { loadSamples, parseCount, parseMethod, parseScheme, progress, type DataOptions } from './quantize.js';

interface Opts extends DataOptions {
  data: string;
  quantized?: boolean;
  calib?: string;
  scheme: string;
  method: string;
  calibCount?: string;
  limit?: string;
  reportCount?: string;
  inputKind?: string;
  json?: boolean;
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('eval')
    .description('accuracy, float/quantized agreement, confusion matrix and per-layer error on a labelled dataset')
    .argument('<model>', 'model file')
    .requiredOption('--data <data>', 'labelled data: builtin:mnist, .npz/.npy, IDX folder or image folder (its test part is used)')
    .option('--quantized', 'also quantize the float model and compare (or: the model is already quantized)')
    .option('--calib <data>', 'calibration data for --quantized (default: the train part of --data)')
    .option('--scheme <scheme>', 'int8 | int16 | mixed', 'int8')
    .option('--method <method>', 'minmax | percentile | mse | kl', 'minmax')
    .option('--calib-count <n>', 'calibration samples (default 300)')
    .option('--limit <n>', 'evaluate at most N samples')
    .option('--report-count <n>', 'samples for the per-layer error report (default 50)')
    .option('--input-scale <s>', 'multiply dataset values by this before feeding the model')
    .option('--input-offset <o>', 'then add this')
    .option('--input-kind <kind>', 'raw | real: how --data values feed a quantized model (default: by the array dtype)')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Opts) => {
      // bad option values are usage errors (exit 2)
      const usage = attempt(() => [parseScheme(o.scheme), parseMethod(o.method), parseInputKind(o.inputKind)] as const);
      if (reportFailure(usage, o.json, setExit, 2)) return;
      const res = await attemptAsync(async () => {
        const limit = o.limit !== undefined ? parseCount(o.limit, '--limit', 0) : undefined;
        const g = await loadModel(model);
        const test = await loadSamples(g, o.data, { ...o, split: 'test', limit, kind: usage.value[2] });
        let acc: AccuracyReport;
        let layers: LayerReport | undefined;
        let quantization: { scheme: string; method: string; samples: number } | undefined;
        if (isQuantizedGraph(g)) {
          const { prepareIntGraph } = await import('../../sim/int.js');
          const bar = progress(!o.json, 'evaluating', test.samples.length);
          acc = await evaluate(undefined, prepareIntGraph(g), test.samples, { labels: test.labels, onProgress: bar.tick });
          bar.stop();
        } else if (o.quantized) {
          const scheme = parseScheme(o.scheme);
          const method = parseMethod(o.method);
          const calib = await loadSamples(g, o.calib ?? o.data, { ...o, split: o.calib ? 'all' : 'train', limit: parseCount(o.calibCount, '--calib-count', 300) });
          const q = await quantizeModel(g, calib.samples, { scheme, method });
          quantization = { scheme, method, samples: q.samples };
          const bar = progress(!o.json, 'evaluating', test.samples.length);
          acc = await evaluate(q.floatGraph, q.graph, test.samples, { labels: test.labels, onProgress: bar.tick });
          bar.stop();
          layers = await layerErrors(q.floatGraph, q.graph, test.samples.slice(0, parseCount(o.reportCount, '--report-count', 50)));
        } else {
          const bar = progress(!o.json, 'evaluating', test.samples.length);
          acc = await evaluate(g, undefined, test.samples, { labels: test.labels, onProgress: bar.tick });
          bar.stop();
        }
        return { data: test.source, input: test.input, quantization, accuracy: acc, layers };
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      const r = res.value;
      if (o.json) printJson({ ok: true, ...(reportJson(r) as object) });
      else {
        let s = `data: ${r.data}\ninput: ${r.input.kind === 'raw' ? 'raw quantized values' : 'real values'} (${r.input.reason})\n`;
        if (r.quantization) s += `quantized: ${r.quantization.scheme}, ${r.quantization.method}, ${r.quantization.samples} calibration sample(s)\n`;
        s += renderAccuracyReport(r.accuracy) + '\n';
        if (r.layers) s += '\n' + renderLayerReport(r.layers) + '\n';
        process.stdout.write(s);
      }
    });
}
