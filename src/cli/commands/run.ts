// espforge run MODEL --input FILE [--input FILE ...] [--quantized] [--output FILE] [--json]
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { attempt, attemptAsync, fail, type Diagnostic } from '../../diagnostics.js';
import { modelWarnings } from '../../pipeline/quantize.js';
import { loadModel } from '../../import/index.js';
import { loadInputs, parseInputKind } from '../inputs.js';
import type { LoadedInput } from '../../io/inputs.js';
import { interpretInput } from '../../quant/report.js';
import { loadBatchFor } from '../../io/batch.js';
import { writeNpy, writeNpz } from '../../io/npy.js';
import { isQuantizedGraph, runModel, runSamples, type RunResult } from '../../run.js';
import { printJson, report, reportFailure } from '../common.js';
import type { EmbeddedTestResult } from '../../import/espdl/test.js';

function argmax(d: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < d.length; i++) if (d[i] > d[best]) best = i;
  return best;
}

/** `7` or `7 (seven)` when the model carries class names. */
export function className(classes: string[] | undefined, c: number): string {
  return classes && classes[c] !== undefined && classes[c] !== String(c) ? `${c} (${classes[c]})` : String(c);
}

const csvCell = (v: string | number | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One CSV row per sample: name, label (class folder), predicted class and name, then output 0's (dequantized) scores. */
export function batchCsv(rows: { name: string; label?: string; r: RunResult }[], classes: string[] | undefined): string {
  const K = rows.length ? rows[0].r.floats[0].data.length : 0;
  const head = ['index', 'name', 'label', 'predicted', 'predicted_name', 'score'];
  for (let j = 0; j < K; j++) head.push(`score_${classes?.[j] !== undefined ? classes[j] : j}`);
  const L = [head.map((h) => csvCell(h)).join(',')];
  rows.forEach((x, i) => {
    const f = x.r.floats[0].data;
    const p = argmax(f);
    L.push([i, x.name, x.label, p, classes?.[p], f[p], ...Array.from(f)].map((v) => csvCell(v)).join(','));
  });
  return L.join('\n') + '\n';
}

function render(r: RunResult, classes?: string[]): string {
  const lines: string[] = [`engine: ${r.engine === 'int' ? 'integer simulator (bit-exact)' : 'float reference'}`];
  r.outputs.forEach((v, k) => {
    const f = r.floats[k];
    const show = Array.from(v.data.subarray(0, 32)).map((x) => (v.dtype === 'float32' ? x.toPrecision(6) : String(x)));
    lines.push(`${r.names[k]}: ${v.dtype}[${v.shape.join(',')}] = [${show.join(', ')}${v.data.length > 32 ? ', ...' : ''}]`);
    if (v.dtype !== 'float32')
      lines.push(`  dequantized: [${Array.from(f.data.subarray(0, 32)).map((x) => x.toPrecision(6)).join(', ')}${f.data.length > 32 ? ', ...' : ''}]`);
    lines.push(`  argmax: ${k === 0 ? className(classes, argmax(f.data)) : argmax(f.data)}`);
  });
  return lines.join('\n');
}

function renderTest(t: EmbeddedTestResult): string {
  const lines = [`engine: integer simulator, ESP-DL arithmetic for ${t.chip}`];
  for (const o of t.outputs)
    lines.push(`${o.name}: ${o.dtype}[${o.shape.join(',')}] ${o.mismatches === 0 ? 'matches' : `differs in ${o.mismatches} of ${o.count} values from`} the embedded test output${o.mismatches ? ` (first at index ${o.firstMismatch}: got ${o.got}, expected ${o.expected})` : ''}`);
  lines.push(t.pass ? 'test: PASS (byte-exact)' : 'test: FAIL');
  return lines.join('\n');
}

function renderInputs(inputs: LoadedInput[]): string {
  return inputs.map((i) => `input ${i.name} <- ${i.file}: ${i.kind === 'raw' ? 'raw quantized values' : 'real values'} (${i.reason})\n`).join('');
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('run')
    .description('run the float reference or the integer simulator on an input')
    .argument('<model>', 'model file')
    .option('--input <file...>', 'input file(s): .npy, .npz, .pb, image, .raw — one per model input, in order or as NAME=FILE; a .npy/.npz with a leading N or an image folder is a batch')
    .option('--input-kind <kind>', 'raw (stored integers) | real (quantized on the way in); default: by the array dtype')
    .option('--test', 'ESP-DL (.espdl): run the test input embedded in the file and compare with its embedded output, byte for byte (what model->test() checks)')
    .option('--quantized', 'run the bit-exact integer simulator (a float model needs --calib to be quantized first)')
    .option('--calib <data>', 'with --quantized on a float model: calibration data to quantize it with (int8, minmax)')
    .option('--input-scale <s>', 'with --calib: multiply dataset values by this before feeding the model')
    .option('--input-offset <o>', 'with --calib: then add this')
    .option('--output <file>', 'write the output(s): .npy (one output) or .npz (a batch: outputs stacked along a leading N); .csv for a batch')
    .option('--csv <file>', 'batch (.npy/.npz with a leading N, or an image folder): one CSV row per sample')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: { input?: string[]; inputKind?: string; test?: boolean; quantized?: boolean; calib?: string; inputScale?: string; inputOffset?: string; output?: string; csv?: string; json?: boolean }) => {
      const kindRes = attempt(() => parseInputKind(o.inputKind));
      if (reportFailure(kindRes, o.json, setExit, 2)) return;
      const kind = kindRes.value;
      let warnings: Diagnostic[] = [];
      const res = await attemptAsync(async () => {
        let g = await loadModel(model);
        warnings = modelWarnings(g);
        if (o.test) {
          if (o.input || o.calib) fail('EF0006', '--test runs the embedded test input; do not combine it with --input or --calib');
          const { runEmbeddedTest } = await import('../../import/espdl/test.js');
          return runEmbeddedTest(g, model);
        }
        if (!o.input) fail('EF0006', 'give --input FILE (one per model input), or --test for a model with embedded test values');
        if (o.calib) {
          if (!o.quantized) fail('EF0006', '--calib only makes sense with --quantized');
          if (!isQuantizedGraph(g)) {
            const { quantizeGraph } = await import('../../pipeline/quantize.js');
            g = (await quantizeGraph(g, { calib: o.calib, inputScale: o.inputScale, inputOffset: o.inputOffset })).graph;
          }
        }
        // a batch: one --input that holds N samples (leading axis of a .npy/.npz, or a folder of images)
        // (with a .npy/.npz --output, an array batch runs below and its outputs are stacked instead)
        const stacked = o.output !== undefined && /\.(npy|npz)$/i.test(o.output);
        const batch = o.input.length === 1 && !(stacked && !o.csv) ? await loadBatchFor(g, o.input[0], kind) : undefined;
        if (batch) {
          const rows: { name: string; label?: string; r: RunResult }[] = [];
          for (const it of batch) rows.push({ name: it.name, label: it.label, r: await runModel(g, [it.input], { quantized: o.quantized, kinds: [kind] }) });
          const how = batch.length ? interpretInput(batch[0].input, g.tensors[g.inputs[0]], kind) : undefined;
          const csvFile = o.csv ?? (o.output && extname(o.output).toLowerCase() === '.csv' ? o.output : undefined);
          if (o.output && !csvFile) fail('EF0006', '--output for a batch must be a .csv file (or use --csv FILE)');
          if (csvFile) writeFileSync(csvFile, batchCsv(rows, g.meta.classes));
          return { batch: rows, csvFile, classes: g.meta.classes, input: how };
        }
        if (o.csv) fail('EF0006', '--csv needs a batch input (a .npy/.npz with a leading N, or an image folder)');
        const inputs = await loadInputs(g, o.input, kind, model);
        const r = await runSamples(g, inputs.map((i) => i.samples), { quantized: o.quantized, kinds: inputs.map((i) => i.kind) });
        if (o.output) {
          if (extname(o.output) === '.npz' || r.outputs.length > 1)
            writeFileSync(o.output, writeNpz(Object.fromEntries(r.outputs.map((v, k) => [r.names[k], v]))));
          else writeFileSync(o.output, writeNpy(r.outputs[0]));
        }
        return { single: r, classes: g.meta.classes, inputs };
      }, { file: model });
      if (reportFailure(res, o.json, setExit)) return;
      // importer notes and import warnings, shown by every command
      report(warnings, o.json);
      const diagnostics = warnings.length ? warnings : undefined;
      const v = res.value;
      if ('embedded' in v) {
        const r = v;
        if (o.json) printJson({ ok: r.pass, engine: 'int', test: r, diagnostics });
        else process.stdout.write(renderTest(r) + '\n');
        if (!r.pass) setExit(1);
        return;
      }
      if ('batch' in v) {
        const rows = v.batch!;
        if (o.json)
          printJson({
            ok: true,
            engine: rows[0]?.r.engine,
            classes: v.classes,
            csv: v.csvFile,
            input: v.input,
            samples: rows.map((x) => ({ name: x.name, label: x.label, predicted: argmax(x.r.floats[0].data), scores: x.r.floats[0].data })),
            diagnostics,
          });
        else {
          const L = [`engine: ${rows[0]?.r.engine === 'int' ? 'integer simulator (bit-exact)' : 'float reference'}, ${rows.length} sample(s)`];
          if (v.input) L.unshift(`input: ${v.input.kind === 'raw' ? 'raw quantized values' : 'real values'} (${v.input.reason})`);
          for (const x of rows.slice(0, 50)) {
            const p = argmax(x.r.floats[0].data);
            L.push(`${x.name}: ${className(v.classes, p)}${x.label !== undefined ? `  (folder ${x.label})` : ''}  score ${x.r.floats[0].data[p].toPrecision(4)}`);
          }
          if (rows.length > 50) L.push(`... ${rows.length - 50} more`);
          if (v.csvFile) L.push(`wrote ${v.csvFile}`);
          process.stdout.write(L.join('\n') + '\n');
        }
        return;
      }
      const r = v.single!;
      if (o.json)
        printJson({
          ok: true,
          inputs: v.inputs.map((i) => ({ name: i.name, file: i.file, kind: i.kind, reason: i.reason, samples: i.samples.length })),
          engine: r.engine,
          classes: v.classes,
          outputs: r.outputs.map((x, k) => ({ name: r.names[k], dtype: x.dtype, shape: x.shape, data: x.data, dequantized: r.floats[k].data, argmax: argmax(r.floats[k].data) })),
          diagnostics,
        });
      else process.stdout.write(renderInputs(v.inputs) + render(r, v.classes) + '\n');
    });
}
