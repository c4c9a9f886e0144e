// espforge build MODEL --target CHIP --out DIR [--name NAME] [--force] [--verify host,rv32]
//                [--calib DATA [--scheme S] [--input-scale S --input-offset O]] [--json]
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { attemptAsync, fail } from '../../diagnostics.js';
import { loadModel } from '../../import/index.js';
import { buildProject, type BuildResult } from '../../codegen/build.js';
import { checkOutput } from '../../codegen/espidf/project.js';
import { CONSISTENCY_NOTE, type VerifyKind } from '../../verify/compare.js';
import { loadInputs, parseInputKind } from '../inputs.js';
import type { Graph } from '../../ir/graph.js';
import { KERNEL_CHOICES, type KernelChoice } from '../../codegen/espnn/lower.js';
import { MODULES, parseSize } from '../../targets/modules.js';
import { printJson, report, reportFailure, stages } from '../common.js';

interface Opts {
  target?: string;
  module?: string;
  psram?: string;
  flashSize?: string;
  out: string;
  name?: string;
  force?: boolean;
  verify?: string;
  calib?: string;
  inputScale?: string;
  inputOffset?: string;
  scheme?: string;
  format?: string;
  samples?: string;
  input?: string[];
  inputKind?: string;
  zip?: string;
  kernels?: string;
  json?: boolean;
}

function parseBytes(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseSize(v);
  if (n === undefined) fail('EF0006', `${flag} takes a size such as 8MB, 512KB or 4194304, got '${v}'`);
  return n;
}

function parseKernels(s: string | undefined): KernelChoice | undefined {
  if (s === undefined) return undefined;
  if (!(KERNEL_CHOICES as readonly string[]).includes(s)) fail('EF0006', `--kernels takes ${KERNEL_CHOICES.join(' | ')}, got '${s}'`);
  return s as KernelChoice;
}

function parseVerify(s: string | undefined): VerifyKind[] {
  if (!s) return [];
  const kinds = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const k of kinds) if (k !== 'host' && k !== 'rv32') fail('EF0006', `--verify takes host and/or rv32, got '${k}'`);
  return kinds as VerifyKind[];
}

function render(r: BuildResult, out: string, zip?: string): string {
  const rep = r.report!;
  const L = [
    `${rep.name}: ${rep.parameters} parameters, ${rep.macs} MACs, arena ${rep.arenaBytes} B, weights ${rep.weightBytes} B`,
    `target ${rep.target}: ${rep.fit.find((f) => f.chip === rep.target)?.fits ? 'fits' : 'does not fit'}; other chips: ${rep.fit
      .filter((f) => f.chip !== rep.target)
      .map((f) => `${f.chip} ${f.fits ? 'ok' : 'no'}`)
      .join(', ')}`,
  ];
  if (rep.kernels === 'esp-nn')
    L.push(`kernels: ESP-NN for ${rep.layers.filter((l) => l.kernel.startsWith('esp-nn:')).length} of ${rep.layers.length} layers (espressif/esp-nn), portable C for the rest`);
  if (rep.verification.length) L.push(`verify: generated C vs espforge's integer simulator — ${CONSISTENCY_NOTE}`);
  for (const v of rep.verification)
    L.push(
      `verify ${v.target}: ${v.identical ? 'identical to the integer simulator' : 'DIFFERS'} (${v.cases} cases)` +
        (v.instructions !== undefined ? `, ${v.instructions} rv32 instructions (${v.instructionsPerMac?.toFixed(2)}/MAC)` : ''),
    );
  if (rep.samples)
    L.push(`embedded ${rep.samples.cases.length} real sample(s) from ${rep.samples.source ?? 'the data'} in main/app_main.c` +
      (rep.classes ? ` (classes: ${rep.classes.slice(0, 10).join(', ')}${rep.classes.length > 10 ? ', ...' : ''})` : ''));
  if (rep.idfHost)
    L.push(`esp-idf project on the host (${rep.idfHost.kind}): ${rep.idfHost.ok ? rep.idfHost.output[0] ?? 'ran' : 'FAILED'}`);
  const f = rep.flash;
  L.push(`flash: app image ${f.total} B ±${f.margin} (${f.baseline.kind} firmware baseline ${f.baseline.bytes} B, exact weights ${f.weights.bytes} B + tables ${f.tables.bytes} B, ${f.code.kind} code ${f.code.bytes} B); ${f.totalMinimalBuild} B with MINIMAL_BUILD`);
  L.push(`arena: ${rep.memory.arenaPlacement === 'psram' ? 'in PSRAM (EXT_RAM_BSS_ATTR)' : 'internal RAM'}`);
  L.push(`wrote ESP-IDF project to ${out} (report.md, report.json, report.html)`);
  if (zip) L.push(`wrote deployment zip ${zip} (ESP-IDF project, Arduino/PlatformIO library, int8 .tflite, reports)`);
  return L.join('\n');
}

async function buildEspdlCmd(model: string, o: Opts) {
  if (o.verify) fail('EF0006', '--verify checks generated C; an ESP-DL build is checked by model->test() on the board and by re-importing the .espdl');
  if (o.scheme && o.scheme !== 'int8') fail('EF0006', 'the ESP-DL export quantizes to int8');
  const g = await loadModel(model);
  const { isEspdlGraph } = await import('../../sim/espdl/index.js');
  let samples;
  if (!isEspdlGraph(g)) {
    if (!o.calib) fail('EF3001', 'quantizing for ESP-DL needs calibration data: give --calib DATA', { file: model });
    const { loadSamples } = await import('./quantize.js');
    samples = (await loadSamples(g, o.calib, { limit: 200, inputScale: o.inputScale, inputOffset: o.inputOffset })).samples;
  }
  const { buildEspdl } = await import('../../codegen/espdl/project.js');
  if (!o.target) fail('EF0006', '--format espdl needs --target esp32s3 or esp32p4 (module presets apply to the C build)');
  const commandLine = ['espforge', 'build', basename(model), '--format', 'espdl', '--target', o.target, '--out', basename(o.out)].concat(o.name ? ['--name', o.name] : []).join(' ');
  return buildEspdl(g, { target: o.target, out: o.out, name: o.name, force: o.force, samples, modelFile: model, commandLine });
}

function renderEspdl(e: import('../../codegen/espdl/project.js').EspdlBuildResult, out: string): string {
  return [
    `${e.name}: ESP-DL model for ${e.target}, ${e.nodes} nodes, ${e.parameters} parameters, ${e.espdl.length} bytes (main/models/model.espdl)`,
    ...e.notes.map((n) => `note: ${n}`),
    `embedded test: input ${e.testInput.map((v) => `${v.dtype}[${v.shape.join(',')}]`).join(', ')} -> simulated output ${e.testOutput.map((v) => `[${Array.from(v.data.subarray(0, 10)).join(', ')}${v.data.length > 10 ? ', ...' : ''}]`).join(', ')}`,
    `wrote ESP-IDF project to ${out} (depends on espressif/esp-dl; model->test() checks the board against the simulator)`,
  ].join('\n');
}

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('build')
    .description('generate the C library + ESP-IDF project for a chip, check the fit, optionally verify the C')
    .argument('<model>', 'model file (int8 TFLite, or a float model with --calib)')
    .option('--target <chip>', 'esp32 | esp32s2 | esp32s3 | esp32c3 | esp32c6 | esp32p4 (or give --module)')
    .option('--module <name>', `module preset: ${MODULES.map((m) => m.name).join(' | ')}`)
    .option('--psram <size>', 'PSRAM on the module, e.g. 8MB (the arena goes there when internal RAM is too small)')
    .option('--flash-size <size>', 'flash on the module, e.g. 16MB')
    .requiredOption('--out <dir>', 'output folder')
    .option('--name <name>', 'C symbol prefix (default: the model file stem)')
    .option('--force', 'overwrite files espforge writes even if edited or not written by it (other files are always kept)')
    .option('--verify <kinds>', 'host,rv32: compile and run the generated C, compare with the simulator')
    .option('--calib <data>', 'calibration data, to quantize a float model first')
    .option('--scheme <scheme>', 'with --calib: int8 (default) | int16 | mixed')
    .option('--input-scale <s>', 'with --calib: multiply dataset values by this before feeding the model')
    .option('--input-offset <o>', 'with --calib: then add this')
    .option('--input <file...>', 'golden inputs instead of --samples: one file per model input (in order or NAME=FILE); an array with a leading axis N gives N cases')
    .option('--input-kind <kind>', 'raw | real: how --input values are read (default: by the array dtype)')
    .option('--samples <data[:n]>', 'embed N real labelled samples (test split of DATA, default 10) in main/app_main.c; default with --calib: 4 of its test split')
    .option('--zip <file>', 'also write a deployment zip: ESP-IDF project, the model as an Arduino/PlatformIO library, int8 .tflite, reports')
    .option('--format <fmt>', 'c (default) | espdl (an ESP-DL v3 .espdl model + an ESP-IDF project using the esp-dl component; esp32s3, esp32p4)', 'c')
    .addOption(
      new Option('--kernels <k>', 'auto: ESP-NN on esp32s3/esp32p4, portable C elsewhere').choices([...KERNEL_CHOICES]).default('auto'),
    )
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Opts) => {
      if (!o.target && !o.module) {
        process.stderr.write("error: give --target <chip> or --module <name>\n");
        setExit(2);
        return;
      }
      const progress = stages(!o.json, 'build');
      const res = await attemptAsync(async () => {
        if (o.format === 'espdl') {
          if (o.zip || o.samples) fail('EF0006', '--zip and --samples apply to --format c');
          return { espdl: await buildEspdlCmd(model, o) };
        }
        if (o.format !== 'c') fail('EF0006', `--format ${o.format} is not available in build (use c or espdl)`);
        const verify = parseVerify(o.verify);
        const kernels = parseKernels(o.kernels);
        const psram = parseBytes('--psram', o.psram);
        const flashSize = parseBytes('--flash-size', o.flashSize);
        // the output folder is checked before the (possibly long) import, quantization and verification
        const inputFiles = [model, ...(o.calib ? [o.calib] : [])];
        checkOutput(o.out, { force: o.force, inputs: inputFiles });
        progress.stage('import');
        let g = await loadModel(model);
        let floatGraph: Graph | undefined;
        let calibSamples: import('../../ops/types.js').Value[][] | undefined;
        const isFloat = g.nodes.some((n) => n.inputs.some((t) => t >= 0 && g.tensors[t].data && g.tensors[t].dtype === 'float32'));
        if (isFloat) {
          if (!o.calib)
            fail('EF3001', 'the model has float weights: quantize it with --calib DATA (or espforge quantize first)', { file: model });
          const { quantizeModel } = await import('../../quant/ptq.js');
          const { loadSamples, parseScheme } = await import('./quantize.js');
          progress.stage('quantize');
          const data = await loadSamples(g, o.calib, { limit: 200, inputScale: o.inputScale, inputOffset: o.inputOffset });
          const q = await quantizeModel(g, data.samples, { scheme: o.scheme ? parseScheme(o.scheme) : 'int8' });
          calibSamples = data.samples;
          g = q.graph;
          floatGraph = q.floatGraph;
        }
        // real labelled samples for the app: --samples DATA[:N], or by default a few of the calibration data's test split
        let inputs: number[][][] | undefined;
        let samples: { labels?: number[]; floatOutputs?: number[][]; source?: string } | undefined;
        let classes: string[] | undefined;
        let embedded: import('../../ops/types.js').Value[][] | undefined;
        if (o.input?.length) {
          // golden inputs from files, through the one input rule, converted for the C library's input tensors
          if (o.samples) fail('EF0006', '--input and --samples both give the golden inputs; use one');
          const kind = parseInputKind(o.inputKind);
          const loaded = await loadInputs(g, o.input, kind, model);
          const n = Math.max(...loaded.map((l) => l.samples.length));
          for (const l of loaded)
            if (l.samples.length !== n && l.samples.length !== 1) fail('EF1004', `input '${l.name}' has ${l.samples.length} samples; another input has ${n}`, { file: l.file });
          const { integerIO } = await import('../../codegen/build.js');
          const { quantizeInput } = await import('../../quant/report.js');
          const ig = integerIO(g);
          inputs = Array.from({ length: n }, (_, k) =>
            loaded.map((l, j) => Array.from(quantizeInput(l.samples[l.samples.length === 1 ? 0 : k], ig.tensors[ig.inputs[j]], kind).data as ArrayLike<number>)),
          );
          samples = { source: loaded.map((l) => `${basename(l.file)}: ${l.kind === 'raw' ? 'raw quantized values' : 'real values'} (${l.reason})`).join('; ') };
        } else if (o.inputKind) fail('EF0006', '--input-kind needs --input');
        else if (o.samples || o.calib) {
          const { parseSamplesArg, embedSamples } = await import('../../codegen/samples.js');
          const { loadSamples } = await import('./quantize.js');
          const sa = o.samples ? parseSamplesArg(o.samples, o.calib) : { data: o.calib!, count: 4 };
          const data = await loadSamples(floatGraph ?? g, sa.data, { split: 'test', limit: sa.count, inputScale: o.inputScale, inputOffset: o.inputOffset });
          const e = embedSamples(g, floatGraph, data.samples, data.labels);
          embedded = data.samples;
          inputs = e.inputs;
          samples = { labels: e.labels, floatOutputs: e.floatOutputs, source: data.source };
          // names: the model's own, else the dataset's (image folder names) when they are not just indices
          if (!g.meta.classes?.length && data.classes.some((c, i) => c !== String(i))) classes = data.classes;
        }
        const commandLine = ['espforge', 'build', basename(model)]
          .concat(o.target ? ['--target', o.target] : [])
          .concat(o.module ? ['--module', o.module] : [])
          .concat(o.psram ? ['--psram', o.psram] : [])
          .concat(o.flashSize ? ['--flash-size', o.flashSize] : [])
          .concat(['--out', basename(o.out)])
          .concat(o.name ? ['--name', o.name] : [])
          .concat(o.kernels && o.kernels !== 'auto' ? ['--kernels', o.kernels] : [])
          .join(' ');
        // written here, not by buildProject, so that report.html (rendered asynchronously) goes in with the rest
        const r = buildProject(g, { target: o.target ?? '', module: o.module, psram, flashSize, out: o.out, name: o.name, force: o.force, verify, modelFile: model, inputFiles, commandLine, kernels, measureCode: true, inputs, samples, classes, dryRun: true, profileLayers: true, onStage: progress.stage });
        r.diagnostics.unshift(...(g.meta.warnings ?? []));
        if (r.ok && r.report) {
          const { buildReportHtml } = await import('../../report/build-report.js');
          // float vs int8 per layer, when the float model is known (quantized here from --calib)
          let errs;
          const errSamples = [...(embedded ?? []), ...(calibSamples ?? [])].slice(0, 30);
          if (floatGraph && errSamples.length) {
            const { layerErrors } = await import('../../quant/report.js');
            errs = await layerErrors(floatGraph, g, errSamples);
          }
          r.files['report.html'] = await buildReportHtml(r.report, errs);
          const { writeProject } = await import('../../codegen/espidf/project.js');
          progress.stage('write');
          writeProject(o.out, r.files, { force: o.force, inputs: inputFiles });
        }
        if (o.zip && r.ok && r.report) {
          const { deploymentZip } = await import('../../codegen/bundle.js');
          const { writeFileAtomic } = await import('../../codegen/espidf/project.js');
          let tflite: Uint8Array | undefined;
          try {
            tflite = (await import('../../import/tflite/writer.js')).exportTflite(g);
          } catch (e) {
            r.diagnostics.push(...(await import('../../diagnostics.js')).toDiagnostics(e, { file: model }).map((d) => ({ ...d, severity: 'warning' as const, message: `the zip has no .tflite: ${d.message}` })));
          }
          const { VERSION } = await import('../../version.js');
          const extra: Record<string, string> = {};
          if (r.files['report.html']) extra['report.html'] = r.files['report.html'];
          writeFileAtomic(o.zip, deploymentZip({ prefix: r.report.name, files: r.files, tflite, extra, version: VERSION }));
        }
        return r;
      }, { file: model });
      progress.done();
      if (reportFailure(res, o.json, setExit)) return;
      if ('espdl' in res.value) {
        const e = res.value.espdl;
        if (o.json)
          printJson({ ok: true, format: 'espdl', name: e.name, target: e.target, bytes: e.espdl.length, nodes: e.nodes, parameters: e.parameters, notes: e.notes, agreement: e.agreement, files: e.files, testOutput: e.testOutput.map((v) => Array.from(v.data, Number)) });
        else process.stdout.write(renderEspdl(e, o.out) + '\n');
        return;
      }
      const r = res.value;
      if (o.json) printJson({ ok: r.ok, report: r.report ? { ...r.report, golden: undefined } : undefined, diagnostics: r.diagnostics });
      else {
        report(r.diagnostics, false);
        if (r.ok) process.stdout.write(render(r, o.out, o.zip) + '\n');
      }
      setExit(r.ok ? 0 : 1);
    });
}
