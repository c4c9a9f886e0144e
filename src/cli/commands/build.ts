// espforge build MODEL --target CHIP --out DIR [--name NAME] [--force] [--verify host,rv32]
//                [--calib DATA [--scheme S] [--method M] [--calib-count N] [--input-scale S --input-offset O]]
//                [--dump-after STAGE] [--timings] [--json]
// Parses the flags, calls src/pipeline/deploy.ts (buildModel / buildEspdlModel) and renders the result.
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { attempt, attemptAsync, fail } from '../../diagnostics.js';
import { buildEspdlModel, buildModel, type BuildModelResult } from '../../pipeline/deploy.js';
import { CALIB_COUNT } from '../../pipeline/samples.js';
import { checkDumpNames, STAGES } from '../../pipeline/stages.js';
import { CONSISTENCY_NOTE, type VerifyKind } from '../../verify/compare.js';
import { parseInputKind } from '../inputs.js';
import { KERNEL_CHOICES, type KernelChoice } from '../../codegen/espnn/lower.js';
import { MODULES, parseSize } from '../../targets/modules.js';
import { printJson, report, reportFailure, stages } from '../common.js';
import { parseCount, parseMethod, parseScheme } from './quantize.js';
import { dumpJson, renderDump, renderTimings } from '../pipeline-view.js';

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
  calibCount?: string;
  method?: string;
  dumpAfter?: string;
  timings?: boolean;
  rowBands?: boolean;
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

function render(r: BuildModelResult, out: string, zip?: string): string {
  const rep = r.report!;
  const L = [
    `${rep.name}: ${rep.parameters} parameters, ${rep.macs} MACs, arena ${rep.arenaBytes} B, weights ${rep.weightBytes} B`,
    ...(rep.rowBands
      ? [
          rep.rowBands.pairs.length
            ? `row bands: layers ${rep.rowBands.pairs.map((p) => `${p.producer}+${p.consumer} (band ${p.bandBytes} B instead of ${p.fullBytes} B)`).join(', ')}; arena ${rep.arenaBytes} B instead of ${rep.rowBands.arenaWithout} B (${rep.rowBands.arenaWithout - rep.arenaBytes} B less)`
            : `row bands: no layer pair makes the arena smaller (arena ${rep.rowBands.arenaWithout} B)`,
        ]
      : []),
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
    .option('--calib-count <n>', `with --calib: calibration samples, from the training split (default ${CALIB_COUNT}, as quantize)`)
    .option('--method <method>', 'with --calib: range observer minmax (default) | percentile | mse | kl')
    .option('--dump-after <stage>', `show the graph (or memory plan, or files) after a pipeline stage: ${STAGES.join(' | ')} | a float pass`)
    .option('--row-bands', 'run the first high-resolution layer pairs in row bands (patch-based): a layer whose output only the next (conv/depthwise/pool) reads never holds it whole, only the rows one output row of the next reads; taken where it makes the arena smaller (the report gives both)')
    .option('--timings', 'print the time of each pipeline stage on stderr')
    .option('--json', 'machine-readable output')
    .action(async (model: string, o: Opts) => {
      if (!o.target && !o.module) {
        process.stderr.write("error: give --target <chip> or --module <name>\n");
        setExit(2);
        return;
      }
      const progress = stages(!o.json, 'build');
      const usage = attempt(() => ({ verify: parseVerify(o.verify), kernels: parseKernels(o.kernels), psram: parseBytes('--psram', o.psram), flashSize: parseBytes('--flash-size', o.flashSize), inputKind: parseInputKind(o.inputKind), scheme: o.scheme ? parseScheme(o.scheme) : undefined, method: o.method ? parseMethod(o.method) : undefined, calibCount: o.calibCount !== undefined ? parseCount(o.calibCount, '--calib-count', CALIB_COUNT) : undefined, dumpAfter: o.dumpAfter ? (checkDumpNames([o.dumpAfter]), [o.dumpAfter]) : undefined }));
      if (reportFailure(usage, o.json, setExit, 2)) return;
      const u = usage.value;
      const res = await attemptAsync(async () => {
        if (o.format === 'espdl') {
          if (o.zip || o.samples) fail('EF0006', '--zip and --samples apply to --format c');
          if (o.verify) fail('EF0006', '--verify checks generated C; an ESP-DL build is checked by model->test() on the board and by re-importing the .espdl');
          if (o.rowBands) fail('EF0006', '--row-bands applies to --format c (the generated C library plans its own arena)');
          if (o.scheme && o.scheme !== 'int8') fail('EF0006', 'the ESP-DL export quantizes to int8');
          if (!o.target) fail('EF0006', '--format espdl needs --target esp32s3 or esp32p4 (module presets apply to the C build)');
          const commandLine = ['espforge', 'build', basename(model), '--format', 'espdl', '--target', o.target, '--out', basename(o.out)].concat(o.name ? ['--name', o.name] : []).join(' ');
          return { espdl: await buildEspdlModel(model, { target: o.target, out: o.out, name: o.name, force: o.force, calib: o.calib, calibCount: u.calibCount, inputScale: o.inputScale, inputOffset: o.inputOffset, commandLine }) };
        }
        if (o.format !== 'c') fail('EF0006', `--format ${o.format} is not available in build (use c or espdl)`);
        const commandLine = ['espforge', 'build', basename(model)]
          .concat(o.target ? ['--target', o.target] : [])
          .concat(o.module ? ['--module', o.module] : [])
          .concat(o.psram ? ['--psram', o.psram] : [])
          .concat(o.flashSize ? ['--flash-size', o.flashSize] : [])
          .concat(['--out', basename(o.out)])
          .concat(o.name ? ['--name', o.name] : [])
          .concat(o.kernels && o.kernels !== 'auto' ? ['--kernels', o.kernels] : [])
          .concat(o.rowBands ? ['--row-bands'] : [])
          .join(' ');
        return buildModel(model, {
          target: o.target,
          module: o.module,
          psram: u.psram,
          flashSize: u.flashSize,
          out: o.out,
          name: o.name,
          force: o.force,
          verify: u.verify,
          kernels: u.kernels,
          calib: o.calib,
          calibCount: u.calibCount,
          scheme: u.scheme,
          method: u.method,
          inputScale: o.inputScale,
          inputOffset: o.inputOffset,
          input: o.input,
          inputKind: u.inputKind,
          samples: o.samples,
          zip: o.zip,
          measureCode: true,
          profileLayers: true,
          ...(o.rowBands ? { rowBands: true } : {}),
          commandLine,
          dumpAfter: u.dumpAfter,
          onStage: progress.stage,
        });
      }, { file: model });
      progress.done();
      if (reportFailure(res, o.json, setExit)) return;
      if ('espdl' in res.value) {
        const e = res.value.espdl;
        report(e.warnings, o.json);
        if (o.json)
          printJson({ ok: true, format: 'espdl', name: e.name, target: e.target, bytes: e.espdl.length, nodes: e.nodes, parameters: e.parameters, notes: e.notes, agreement: e.agreement, files: e.files, testOutput: e.testOutput.map((v) => Array.from(v.data, Number)), diagnostics: e.warnings });
        else process.stdout.write(renderEspdl(e, o.out) + '\n');
        return;
      }
      const r = res.value;
      // nothing built (bad input, unquantized model, output folder refused): reported like any failed command
      if (!r.ok && !r.report && reportFailure({ ok: false, diagnostics: r.diagnostics }, o.json, setExit)) return;
      if (o.json) printJson({ ok: r.ok, report: r.report ? { ...r.report, golden: undefined } : undefined, diagnostics: r.diagnostics, stages: r.stages, dumps: r.dumps.length ? r.dumps.map(dumpJson) : undefined });
      else {
        report(r.diagnostics, false);
        if (r.dumps.length) process.stdout.write(r.dumps.map(renderDump).join('\n') + '\n');
        if (r.ok) process.stdout.write(render(r, o.out, o.zip) + '\n');
        if (o.timings) process.stderr.write(renderTimings(r.stages) + '\n');
      }
      setExit(r.ok ? 0 : 1);
    });
}
