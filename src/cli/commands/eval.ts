// espforge eval MODEL --data DATA [--quantized] [--calib DATA] [--scheme S] [--method M] [--calib-count N]
//               [--limit N] [--input-scale S --input-offset O] [--json]
// Float model: float accuracy; with --quantized it is also quantized (calibrated on the training split of --calib,
// default of --data: the calibration rule of src/pipeline/samples.ts) and the report adds quantized accuracy, top-1 agreement and per-layer error.
// An already quantized model (int8 .tflite) is evaluated on the integer simulator.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { attempt, attemptAsync } from '../../diagnostics.js';
import { loadModel } from '../../import/index.js';
import { modelWarnings, quantizeGraph } from '../../pipeline/quantize.js';
import { CALIB_COUNT } from '../../pipeline/samples.js';
import { evaluate, layerErrors, renderAccuracyReport, renderLayerReport, reportJson, type AccuracyReport, type LayerReport } from '../../quant/report.js';
import { isQuantizedGraph } from '../../run.js';
import { printJson, report, reportFailure } from '../common.js';
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
  perSample?: string;
  report?: string;
  json?: boolean;
}

const csvCell = (v: string | number | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per evaluated sample: label, float and quantized predictions (with class names) and their scores. */
export function perSampleCsv(acc: AccuracyReport, classes: string[] | undefined): string {
  const nm = (c: number | undefined) => (c === undefined ? undefined : classes?.[c]);
  const L = ['index,label,label_name,float_pred,float_name,float_score,quant_pred,quant_name,quant_score,correct'];
  for (const r of acc.perSample ?? []) {
    const pred = r.quantPred ?? r.floatPred;
    const ok = r.label === undefined || pred === undefined ? undefined : pred === r.label ? 1 : 0;
    L.push([r.index, r.label, nm(r.label), r.floatPred, nm(r.floatPred), r.floatScore, r.quantPred, nm(r.quantPred), r.quantScore, ok].map(csvCell).join(','));
  }
  return L.join('\n') + '\n';
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
    .option('--calib-count <n>', `calibration samples, from the training split (default ${CALIB_COUNT})`)
    .option('--limit <n>', 'evaluate at most N samples')
    .option('--report-count <n>', 'samples for the per-layer error report (default 50)')
    .option('--input-scale <s>', 'multiply dataset values by this before feeding the model')
    .option('--input-offset <o>', 'then add this')
    .option('--input-kind <kind>', 'raw | real: how --data values feed a quantized model (default: by the array dtype)')
    .option('--per-sample <file.csv>', 'write one CSV row per evaluated sample (label, predictions, scores, class names)')
    .option('--report <dir>', 'write DIR/report.html (confusion matrix, per-class accuracy, per-layer error charts), DIR/charts/*.png and DIR/report.json')
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
          acc = await evaluate(undefined, prepareIntGraph(g), test.samples, { labels: test.labels, onProgress: bar.tick, perSample: !!o.perSample });
          bar.stop();
        } else if (o.quantized) {
          const scheme = parseScheme(o.scheme);
          const method = parseMethod(o.method);
          // the calibration rule: the training split of --calib (default: of --data), as quantize and build
          const q = await quantizeGraph(g, { calib: o.calib ?? o.data, count: parseCount(o.calibCount, '--calib-count', CALIB_COUNT), inputScale: o.inputScale, inputOffset: o.inputOffset, scheme, method });
          quantization = { scheme, method, samples: q.calibSamples.length };
          const bar = progress(!o.json, 'evaluating', test.samples.length);
          acc = await evaluate(q.floatGraph, q.graph, test.samples, { labels: test.labels, onProgress: bar.tick, perSample: !!o.perSample });
          bar.stop();
          layers = await layerErrors(q.floatGraph, q.graph, test.samples.slice(0, parseCount(o.reportCount, '--report-count', 50)));
        } else {
          const bar = progress(!o.json, 'evaluating', test.samples.length);
          acc = await evaluate(g, undefined, test.samples, { labels: test.labels, onProgress: bar.tick, perSample: !!o.perSample });
          bar.stop();
        }
        const classes = g.meta.classes ?? (test.classes.some((c, i) => c !== String(i)) ? test.classes : undefined);
        if (o.perSample) writeFileSync(o.perSample, perSampleCsv(acc, classes));
        const result = { diagnostics: modelWarnings(g), data: test.source, input: test.input, quantization, accuracy: acc, layers, classes, perSampleFile: o.perSample, reportDir: o.report };
        if (o.report) {
          const { renderHtmlReport, chartPngs } = await import('../../report/html.js');
          const { writeFileAtomic } = await import('../../codegen/espidf/project.js');
          const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
          const facts: [string, string][] = [['model', model], ['data', `${test.source}, ${acc.samples} sample(s)`]];
          if (quantization) facts.push(['quantization', `${quantization.scheme}, ${quantization.method}, ${quantization.samples} calibration sample(s)`]);
          facts.push(['accuracy float / quantized', `${pct(acc.floatAccuracy)} / ${pct(acc.quantAccuracy)}`]);
          if (acc.agreement !== undefined) facts.push(['top-1 agreement', pct(acc.agreement)]);
          const { html, charts } = await renderHtmlReport({ title: `espforge eval: ${basename(model)}`, facts, accuracy: acc, classes, layerErrors: layers });
          writeFileAtomic(join(o.report, 'report.html'), html);
          for (const [f, png] of Object.entries(await chartPngs(charts))) writeFileAtomic(join(o.report, 'charts', f), png);
          writeFileAtomic(join(o.report, 'report.json'), JSON.stringify(reportJson(result), null, 1) + '\n');
        }
        return result;
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      const r = res.value;
      report(r.diagnostics, o.json);
      if (o.json) printJson({ ok: true, ...(reportJson(r) as object) });
      else {
        let s = `data: ${r.data}\ninput: ${r.input.kind === 'raw' ? 'raw quantized values' : 'real values'} (${r.input.reason})\n`;
        if (r.quantization) s += `quantized: ${r.quantization.scheme}, ${r.quantization.method}, ${r.quantization.samples} calibration sample(s)\n`;
        s += renderAccuracyReport(r.accuracy) + '\n';
        if (r.layers) s += '\n' + renderLayerReport(r.layers) + '\n';
        if (r.classes) s += `classes: ${r.classes.map((c, i) => `${i}=${c}`).join(', ')}\n`;
        if (r.perSampleFile) s += `wrote ${r.perSampleFile} (${r.accuracy.samples} rows)\n`;
        if (r.reportDir) s += `wrote ${join(r.reportDir, 'report.html')} (+ charts/*.png, report.json)\n`;
        process.stdout.write(s);
      }
    });
}
