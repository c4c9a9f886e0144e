// The deploy step as a library call: prepared int8 graph → C library + ESP-IDF project + fit check + report,
// optionally verified (host gcc, sanitizers, rv32 under QEMU) against the integer simulator byte for byte.
// Returns {files, report, diagnostics}; never prints.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EspforgeError, diag, fail, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { inferCtx } from '../ops/infer.js';
import { getOp } from '../ops/index.js';
import type { Value } from '../ops/types.js';
import { prepareIntGraph, runInt } from '../sim/int.js';
import { interpretInput, quantizeInput, type InputKind } from '../quant/report.js';
import { chip, CHIPS } from '../targets/chips.js';
import { checkAllChips, fitDiagnostics, stockPsram, type ChipFit, type FitInput } from '../targets/fit.js';
import { FLASH_SIZES_MB, modulePreset } from '../targets/modules.js';
import { firmwareBaseline } from '../targets/firmware.js';
import { measureCodeSize, type CodeSize } from '../verify/size.js';
import { VERSION } from '../version.js';
import { sha256Hex } from '../codegen/common/cwriter.js';
import { emitC, type EmitResult } from '../codegen/c/emit.js';
import { tensorBytes } from '../plan/planner.js';
import { checkOutput, projectFiles, writeProject } from '../codegen/espidf/project.js';
import { compareRuns, CONSISTENCY_NOTE, runVerification, type VerifyKind, type VerifySummary } from '../verify/compare.js';
import { runRv32, type GoldenCase, type HarnessSpec } from '../verify/host.js';
import { checkIdfProjectOnHost } from '../verify/idf-shim.js';
import { espnnDoubleFiles } from '../verify/espnn-double.js';
import { espnnBackend, useEspNn, type KernelChoice } from '../codegen/espnn/lower.js';
import { integerIO } from '../codegen/lower-io.js';
import { Trace } from './stages.js';

export { integerIO };

/** How every report names the ESP-IDF stand-in check. */
export const IDF_SMOKE_TEST = 'smoke test only, not ESP-IDF (host stand-in; the real build, link map and flash figures need ESP-IDF)';

/** The ESP-NN managed component and the version range the generated calls were written against. */
export const ESPNN_COMPONENT = 'espressif/esp-nn';
export const ESPNN_VERSION = '>=1.1.0';

export interface BuildOptions {
  target: string;
  out?: string;
  name?: string;
  force?: boolean;
  verify?: VerifyKind[];
  /** Model file path (for the provenance banner: base name and SHA-256). */
  modelFile?: string;
  commandLine?: string;
  /** Golden inputs (one value per element per graph input: int8/uint8 bytes or signed values, int16 signed values);
   * default: deterministic pseudo-random cases. */
  inputs?: ArrayLike<number>[][];
  /**
   * Golden inputs as host data (per case, one value per graph input, stored layout), converted with the one input
   * rule (quantizeInput: arrays in the input's integer dtype are raw values, float arrays real values, `kinds`
   * overrides) against the C library's input tensors. Used when `inputs` is not given.
   */
  inputValues?: { cases: Value[][]; kinds?: (InputKind | undefined)[]; source?: string };
  /** Do not write anything (files are still returned). */
  dryRun?: boolean;
  /** Input files of the command besides the model (calibration data...): never overwritten. */
  inputFiles?: string[];
  /** Called when a stage starts (quantize, plan, emit, host, sanitizers, rv32, idf, write); for progress display. */
  onStage?: (stage: string) => void;
  /** Kernel back end: auto (ESP-NN on ESP32-S3/P4, portable elsewhere), portable, or esp-nn. */
  kernels?: KernelChoice;
  /** Module preset (src/targets/modules.ts): sets the chip (when target is empty), flash and PSRAM. */
  module?: string;
  /** PSRAM bytes on the module (overrides the preset). */
  psram?: number;
  /** Flash bytes on the module (overrides the preset and the chip's typical flash). */
  flashSize?: number;
  /** Measure the generated code from rv32 objects (when the RISC-V toolchain is installed) instead of estimating it.
   * The CLI turns it on; library calls default to the estimate (faster). */
  measureCode?: boolean;
  /** Real labelled samples: `inputs` are then embedded in main/app_main.c (all of them, not only the first), with
   * their class per case (-1 unknown) and, when the float model is known, its output 0 per case. */
  samples?: { labels?: number[]; floatOutputs?: number[][]; source?: string };
  /** Class names of output 0 (default: the graph's meta.classes). */
  classes?: string[];
  /** With verify rv32: one more rv32 run with the per-layer hook, for instructions per layer (report.html). */
  profileLayers?: boolean;
  /** The pipeline trace (stage timings and --dump-after dumps) this build adds its stages to. */
  trace?: Trace;
  /** Row bands (--row-bands): let the planner run layer pairs interleaved one output row at a time where that makes
   * the arena smaller (src/codegen/c/row-bands.ts); the report gives the arena with and without. */
  rowBands?: boolean;
}

/** One line of the flash figure: bytes, and whether they are exact, measured or estimated (with the margin). */
export interface FlashItem {
  bytes: number;
  kind: 'exact' | 'measured' | 'estimated';
  /** ± bytes */
  margin: number;
  how: string;
}

export interface FlashBreakdown {
  baseline: FlashItem & { idf: string };
  weights: FlashItem;
  tables: FlashItem;
  code: FlashItem;
  sample: FlashItem;
  espnn?: FlashItem;
  /** The PSRAM driver an sdkconfig with CONFIG_SPIRAM links in (not measured). */
  psram?: FlashItem;
  /** App image predicted for the project as generated on IDF < 5.5 (no MINIMAL_BUILD): what the fit check uses. */
  total: number;
  margin: number;
  /** The same on IDF >= 5.5, where the generated CMakeLists turns MINIMAL_BUILD on. */
  totalMinimalBuild: number;
}

export interface BuildReport {
  tool: string;
  name: string;
  target: string;
  model?: { file: string; sha256: string };
  parameters: number;
  macs: number;
  arenaBytes: number;
  arenaLowerBound: number;
  /** With --row-bands: the arena without row bands, and the layer pairs that run in them (band and full bytes of the
   * tensor between them). `arenaBytes` is the arena with them. */
  rowBands?: { arenaWithout: number; pairs: { producer: number; consumer: number; bandBytes: number; fullBytes: number }[] };
  weightBytes: number;
  codeBytesEstimate: number;
  layers: { index: number; op: string; name: string; kernel: string; macs: number; weightBytes: number; backendNote?: string; instructions?: number }[];
  /** Kernel back end used: 'portable' or 'esp-nn' (ESP-NN for the layers it supports, portable for the rest). */
  kernels: 'portable' | 'esp-nn';
  /** Every byte the app image holds, by origin, with which figures are exact and which estimated. */
  flash: FlashBreakdown;
  /** Module memory the build assumed and where the arena went (with the reason). */
  memory: { module?: string; flashBytes: number; psramBytes: number; arenaPlacement: 'internal' | 'psram'; why: string };
  /** The memory plan: where each activation tensor lives in the arena and while which layers (report.html). */
  memoryPlan?: { tensor: string; offset: number; size: number; firstUse: number; lastUse: number }[];
  fit: ChipFit[];
  verification: VerifySummary[];
  /** The ESP-IDF project configured, compiled and run on the host through the ESP-IDF stand-in: a smoke test of the
   * CMake files and app_main.c, not a build with ESP-IDF. */
  idfHost?: { ok: boolean; output: string[]; kind: string };
  /** Golden cases: int8/uint8 outputs as bytes 0..255, int16 outputs as signed values. */
  golden: { name: string; inputs: number[][]; expected: number[][] }[];
  /** Where the golden inputs came from (they are raw quantized values in the input dtype). */
  goldenSource?: string;
  /** Class names of output 0, when known. */
  classes?: string[];
  /** Quantization of output 0 (to dequantize the app's scores). */
  output?: { dtype: string; scale: number; zeroPoint: number };
  /** The embedded real samples (one per golden case): where from, true class, float model's output 0. */
  samples?: { source?: string; cases: { index: number; label: number; float?: number[] }[] };
}

export interface BuildResult {
  ok: boolean;
  files: Record<string, string>;
  report?: BuildReport;
  diagnostics: Diagnostic[];
  /** Everything the ESP-IDF project printed when run on the host stand-in (with verify host). */
  idfRunOutput?: string;
}

/** Deterministic pseudo-random values (LCG) for golden cases: bytes for int8/uint8, the full range for int16. */
export function pseudoRandomInput(n: number, dtype: string, seed: number): number[] {
  let s = (seed * 2654435761) >>> 0;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (dtype === 'int16') {
      out[i] = (s >>> 16) - 32768;
      continue;
    }
    const b = s >>> 24;
    out[i] = dtype === 'uint8' ? b : b - 128;
  }
  return out;
}

export function graphMacs(g: Graph): number[] {
  return g.nodes.map((n) => {
    try {
      const ctx = inferCtx(g, n);
      return getOp(n.op).macs(ctx, n.outputs.map((o) => ({ dtype: g.tensors[o].dtype, shape: g.tensors[o].shape })));
    } catch {
      return 0;
    }
  });
}

export function graphParameters(g: Graph): number {
  let p = 0;
  for (const t of g.tensors) if (t.data) p += shapeSize(t.shape);
  return p;
}

/** Simulator outputs for golden inputs: int8/uint8 outputs as bytes (0..255), int16 outputs as signed values. */
export function simulate(g: Graph, inputs: ArrayLike<number>[]): number[][] {
  const vals: Value[] = g.inputs.map((id, k) => {
    const t = g.tensors[id];
    const data = allocArray(t.dtype, shapeSize(t.shape));
    for (let i = 0; i < data.length; i++) data[i] = inputs[k][i];
    return { dtype: t.dtype, shape: t.shape.slice(), data };
  });
  const outs = runInt(g, vals).outputs;
  return outs.map((v) => (v.dtype === 'int16' ? Array.from(v.data as ArrayLike<number>) : Array.from(v.data as ArrayLike<number>, (x) => x & 0xff)));
}

export function harnessSpec(g: Graph, prefix: string): HarnessSpec {
  const ct = (dt: string) => (dt === 'uint8' ? 'uint8_t' : dt === 'int16' ? 'int16_t' : 'int8_t');
  return {
    prefix,
    inputTypes: g.inputs.map((id) => ct(g.tensors[id].dtype)),
    outputTypes: g.outputs.map((id) => ct(g.tensors[id].dtype)),
    outputSizes: g.outputs.map((id) => shapeSize(g.tensors[id].shape)),
  };
}

/** Rough code size of the generated library: kernels + one call per layer (used by the fit check only). */
function codeEstimate(e: EmitResult): number {
  return 2500 * e.kernels.length + 120 * e.layers.length + 2048;
}

/** app_main.c's own code and strings around the embedded arrays: 356 B in the measured person_detect app
 * (9,574 B sample share - 9,218 B of arrays, TARGETS.md); used as the estimate for every model. */
const APP_MAIN_OVERHEAD = 356;
/** ESP-NN's kernels linked for the layers that call them: not measured (the library cannot be built here); an
 * estimate per distinct kernel of the S3/P4 assembly + C dispatch. */
const ESPNN_BYTES_PER_KERNEL = 6000;

/** CONFIG_SPIRAM adds the esp_psram driver and its MMU/cache code to the baseline sdkconfig: not measured; an
 * inference (the baseline was measured without PSRAM), with a 100% margin. */
const SPIRAM_DRIVER_BYTES = 16 * 1024;

export function flashBreakdown(e: EmitResult, g: Graph, chipId: string, measured: CodeSize | undefined, psramEnabled = false): FlashBreakdown {
  const base = firmwareBaseline(chipId);
  const rv = ['esp32c3', 'esp32c6', 'esp32p4'].includes(chipId);
  const est = codeEstimate(e);
  const code: FlashItem = measured
    ? {
        bytes: measured.text,
        kind: rv ? 'measured' : 'estimated',
        margin: Math.round(measured.text * (rv ? 0.1 : 0.35)),
        how: rv
          ? `text of the model and kernel objects (${measured.compiler}; the target ISA, margin for compiler version)`
          : `text of the model and kernel objects for rv32imc (${measured.compiler}) as a proxy for Xtensa`,
      }
    : { bytes: est, kind: 'estimated', margin: Math.round(est * 0.5), how: 'formula (kernels and layers); build with the RISC-V toolchain installed to measure' };
  const bytesOf = (id: number) => shapeSize(g.tensors[id].shape) * (g.tensors[id].dtype === 'int16' ? 2 : 1);
  const sampleArrays = g.inputs.reduce((t, id) => t + bytesOf(id), 0) + g.outputs.reduce((t, id) => t + bytesOf(id), 0);
  const espnnKernels = new Set(e.layers.filter((l) => l.kernel.startsWith('esp-nn:')).map((l) => l.kernel));
  const espnn: FlashItem | undefined = espnnKernels.size
    ? { bytes: ESPNN_BYTES_PER_KERNEL * espnnKernels.size, kind: 'estimated', margin: ESPNN_BYTES_PER_KERNEL * espnnKernels.size, how: `ESP-NN library code for ${espnnKernels.size} kernel(s), not measured` }
    : undefined;
  const items: FlashItem[] = [
    { bytes: base.bytes, kind: base.measured ? 'measured' : 'estimated', margin: Math.round(base.bytes * base.margin), how: base.source },
    { bytes: e.weightBytes, kind: 'exact', margin: 0, how: 'const arrays of NAME_weights.c' },
    { bytes: e.tableBytes, kind: 'exact', margin: 0, how: 'static const parameter tables of NAME.c (requantization, broadcast)' },
    code,
    { bytes: sampleArrays + APP_MAIN_OVERHEAD, kind: 'estimated', margin: APP_MAIN_OVERHEAD, how: `embedded sample input and expected output arrays (${sampleArrays} B, exact) + app_main code and strings (~${APP_MAIN_OVERHEAD} B)` },
    ...(espnn ? [espnn] : []),
  ];
  const psram: FlashItem | undefined = psramEnabled
    ? { bytes: SPIRAM_DRIVER_BYTES, kind: 'estimated', margin: SPIRAM_DRIVER_BYTES, how: 'PSRAM driver linked by CONFIG_SPIRAM (the baselines were measured without it): inference, not measured' }
    : undefined;
  if (psram) items.push(psram);
  const total = items.reduce((t, x) => t + x.bytes, 0);
  return {
    baseline: { ...items[0], idf: base.idf },
    weights: items[1],
    tables: items[2],
    code,
    sample: items[4],
    espnn,
    psram,
    total,
    margin: items.reduce((t, x) => t + x.margin, 0),
    totalMinimalBuild: total - base.bytes + base.minimalBuildBytes,
  };
}

function memoryPlanRows(e: EmitResult): { tensor: string; offset: number; size: number; firstUse: number; lastUse: number }[] {
  return [...e.plan.tensors.values()]
    .filter((t) => t.size > 0)
    .map((t) => ({ tensor: t.name, offset: t.offset, size: t.size, firstUse: t.firstUse, lastUse: t.lastUse }));
}

function fitInput(e: EmitResult): FitInput {
  return {
    weightBytes: e.weightBytes,
    codeBytes: codeEstimate(e),
    arenaBytes: Math.max(16, e.plan.arenaSize),
    layers: e.layers.map((l) => ({ name: l.name, weightBytes: l.weightBytes })),
  };
}

export function buildProject(graph: Graph, opts: BuildOptions): BuildResult {
  const diagnostics: Diagnostic[] = [];
  try {
    const mod = opts.module ? modulePreset(opts.module) : undefined;
    if (mod && opts.target && chip(opts.target).id !== mod.chip)
      fail('EF0006', `--module ${mod.name} is an ${chip(mod.chip).name} module, not ${chip(opts.target).name}`, { suggestion: `drop --target or use --target ${mod.chip}` });
    const c = chip(mod?.chip ?? opts.target);
    const psramBytes = opts.psram ?? mod?.psramBytes ?? stockPsram(c);
    const flashBytes = opts.flashSize ?? mod?.flashBytes;
    if (psramBytes > 0 && c.psram === 'none')
      fail('EF0006', `${c.name} has no PSRAM interface (--psram ${psramBytes})`, { suggestion: `drop --psram; chips with PSRAM: esp32, esp32s2, esp32s3, esp32p4` });
    if (flashBytes !== undefined && (flashBytes < 1024 * 1024 || !FLASH_SIZES_MB.includes(flashBytes / (1024 * 1024))))
      fail('EF0006', `--flash-size must be one of ${FLASH_SIZES_MB.map((m) => `${m}MB`).join(', ')}`);
    const writeOpts = { force: opts.force, inputs: [...(opts.modelFile ? [opts.modelFile] : []), ...(opts.inputFiles ?? [])] };
    // the output folder is checked before any long work, and again (with the file list) when writing
    if (opts.out && !opts.dryRun) checkOutput(opts.out, writeOpts);
    const stage = opts.onStage ?? (() => undefined);
    const trace = opts.trace ?? new Trace({ onStage: opts.onStage });
    const g0 = trace.run('lower-io', () => integerIO(graph), (x) => x);
    // a graph quantized in this run is prepared already; one read from a file is prepared here
    const g = g0.nodes.every((n) => n.qparams) ? g0 : trace.run('prepare', () => prepareIntGraph(g0), (x) => x);
    const modelBytes = opts.modelFile ? readFileSync(opts.modelFile) : undefined;
    const prov = {
      commandLine: opts.commandLine,
      modelFile: opts.modelFile ? basename(opts.modelFile) : g.meta.source ? basename(g.meta.source) : undefined,
      modelSha256: modelBytes ? sha256Hex(modelBytes) : undefined,
    };
    const espnn = useEspNn(opts.kernels, c.id);
    const e = trace.run('emit', () =>
      emitC(g, {
        ...prov,
        name: opts.name ?? (opts.modelFile ? basename(opts.modelFile) : undefined),
        backend: espnn ? espnnBackend(g, c.id) : undefined,
        ...(opts.rowBands ? { rowBands: true } : {}),
      }),
    );
    // the memory plan is computed by the emitter (its time is part of `emit`)
    trace.record('plan', () => ({ plan: { arenaSize: e.plan.arenaSize, lowerBound: e.plan.lowerBound, tensors: memoryPlanRows(e) } }));
    trace.dump('emit', { files: Object.fromEntries(Object.entries(e.files).map(([k, v]) => [k, Buffer.byteLength(v)])) });
    const measured = opts.measureCode ? measureCodeSize(espnn ? { ...e.files, 'esp_nn.h': espnnDoubleFiles()['esp_nn.h'] } : e.files, e.prefix) : undefined;
    const flash = flashBreakdown(e, g, c.id, measured, psramBytes > 0);
    const fi: FitInput = {
      ...fitInput(e),
      codeBytes: flash.code.bytes,
      extraFlashBytes: flash.tables.bytes + flash.sample.bytes + (flash.espnn?.bytes ?? 0) + (flash.psram?.bytes ?? 0),
      psramBytes,
      flashBytes,
      int16Activations: g.tensors.some((t) => !t.data && t.dtype === 'int16'),
    };
    const { fit, diagnostics: fd } = fitDiagnostics(c.id, fi);
    diagnostics.push(...fd);
    if (fd.some((d) => d.severity === 'error')) return { ok: false, files: {}, diagnostics };

    // golden cases: given inputs, else two deterministic pseudo-random ones
    const inT = g.inputs.map((id) => g.tensors[id]);
    const given = opts.inputs ?? opts.inputValues?.cases.map((vs) => vs.map((v, j) => quantizeInput(v, inT[j], opts.inputValues?.kinds?.[j]).data));
    const inputs: ArrayLike<number>[][] =
      given ?? [0, 1].map((k) => inT.map((t, j) => pseudoRandomInput(shapeSize(t.shape), t.dtype, 1000 * k + j + 1)));
    stage('simulate');
    const golden = inputs.map((ins, k) => ({ name: `case-${k}`, inputs: ins.map((a) => Array.from(a)), expected: simulate(g, ins) }));

    const macsPer = graphMacs(g);
    const layers = e.layers.map((l, i) => ({ ...l, macs: macsPer[i] }));
    const macs = macsPer.reduce((s, x) => s + x, 0);
    const report: BuildReport = {
      tool: `espforge ${VERSION}`,
      name: e.prefix,
      target: c.id,
      model: prov.modelFile && prov.modelSha256 ? { file: prov.modelFile, sha256: prov.modelSha256 } : undefined,
      parameters: graphParameters(g),
      macs,
      arenaBytes: fi.arenaBytes,
      arenaLowerBound: e.plan.lowerBound,
      ...(e.plan.rowBands
        ? {
            rowBands: {
              arenaWithout: Math.max(16, e.plan.rowBands.arenaWithout),
              pairs: e.plan.rowBands.used.map((u) => ({ producer: u.producer, consumer: u.producer + 1, bandBytes: u.bandBytes, fullBytes: tensorBytes(g, g.nodes[u.producer].outputs[0]) })),
            },
          }
        : {}),
      weightBytes: e.weightBytes,
      codeBytesEstimate: fi.codeBytes,
      layers,
      kernels: espnn ? 'esp-nn' : 'portable',
      flash,
      memory: {
        module: mod?.name,
        flashBytes: fit.flash.flashSize,
        psramBytes,
        arenaPlacement: fit.arenaPlacement,
        why:
          fit.arenaPlacement === 'psram'
            ? `the ${fi.arenaBytes} B arena is larger than ${c.name}'s largest contiguous internal block (${fit.ram.internalBlock} B), so it is one static buffer in PSRAM (EXT_RAM_BSS_ATTR with CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY), chosen over heap_caps_malloc(MALLOC_CAP_SPIRAM) at init because the library stays allocation-free and an arena that does not fit fails at link time, not at run time`
            : `one static buffer in internal RAM (fits the ${fit.ram.internalBlock} B largest contiguous internal block)`,
      },
      fit: checkAllChips(fi, c.id),
      verification: [],
      golden,
      goldenSource: opts.inputs
        ? 'inputs given to the build, as raw quantized values'
        : opts.inputValues
          ? `inputs given to the build${opts.inputValues.source ? `: ${opts.inputValues.source}` : ''}; read as ${inT
              .map((t, j) => {
                const v = opts.inputValues!.cases[0]?.[j];
                if (!v) return '?';
                const how = interpretInput(v, t, opts.inputValues!.kinds?.[j]);
                return `${how.kind === 'raw' ? 'raw quantized values' : 'real values'} (${how.reason})`;
              })
              .join(', ')}`
          : 'two deterministic pseudo-random raw inputs over the input dtype range',
    };
    report.memoryPlan = memoryPlanRows(e);
    const classes = opts.classes ?? g.meta.classes;
    const outT = g.tensors[g.outputs[0]];
    if (classes?.length) report.classes = classes.slice();
    report.output = { dtype: outT.dtype, scale: outT.quant?.scale[0] ?? 1, zeroPoint: outT.quant?.zeroPoint[0] ?? 0 };
    if (opts.samples)
      report.samples = {
        source: opts.samples.source,
        cases: golden.map((_, k) => ({ index: k, label: opts.samples!.labels?.[k] ?? -1, float: opts.samples!.floatOutputs?.[k] })),
      };

    if (opts.verify?.length) {
      const cases: GoldenCase[] = golden.map((gc) => ({ name: gc.name, inputs: gc.inputs, expected: gc.expected }));
      // ESP-NN calls link espforge's test double of the ESP-NN API (built from the portable kernels)
      const vfiles = espnn ? { ...e.files, ...espnnDoubleFiles() } : e.files;
      const runs = runVerification(vfiles, harnessSpec(g, e.prefix), cases, opts.verify, stage);
      report.verification = runs.map((r) => compareRuns(r, cases, macs));
      // rv32: instructions per layer, from one extra run with the generated code's per-layer hook (report.html)
      if (opts.verify.includes('rv32') && opts.profileLayers) {
        try {
          const prof = runRv32(vfiles, harnessSpec(g, e.prefix), cases.slice(0, 1), { profile: true });
          const per = prof.cases[0]?.layers;
          if (per) report.layers.forEach((l, i) => (l.instructions = per[i]));
        } catch {
          /* the per-layer profile is an extra: the verification above already reported */
        }
      }
      for (const v of report.verification)
        if (!v.identical)
          diagnostics.push(diag('EF4004', `generated C on ${v.target} differs from the integer simulator in ${v.mismatches.join(', ')}`, {
            suggestion: 'this is a bug in espforge; please report it with the model',
          }));
    }

    if (fit.arenaPlacement === 'psram') e.files[`${e.prefix}.c`] = arenaInPsram(e.files[`${e.prefix}.c`], e.prefix);
    const sample = golden[0];
    const hs = harnessSpec(g, e.prefix);
    const files = projectFiles({
      prefix: e.prefix,
      chip: c,
      library: e.files,
      partitionSize: fit.flash.needsCustomPartition ? fit.flash.partitionSize : undefined,
      dependencies: espnn ? { [ESPNN_COMPONENT]: ESPNN_VERSION } : undefined,
      memory: { flashBytes, psramBytes, psramMode: mod?.psramMode ?? (c.id === 'esp32p4' ? 'hex' : c.id === 'esp32s3' ? 'octal' : 'quad'), arenaInPsram: fit.arenaPlacement === 'psram' },
      sample: {
        inputs: sample.inputs,
        expected: sample.expected,
        inputTypes: hs.inputTypes,
        outputTypes: hs.outputTypes,
        // real samples: all of them, with their labels; otherwise the first case only
        more: opts.samples ? golden.slice(1) : undefined,
        labels: opts.samples ? golden.map((_, k) => opts.samples!.labels?.[k] ?? -1) : undefined,
        classes,
      },
      provenance: prov,
    });
    // The ESP-IDF project itself (CMake files, app_main.c) is configured, compiled and run on the host through
    // a stand-in for ESP-IDF, in a scratch copy, so the output folder is still written all at once.
    let idfRunOutput: string | undefined;
    if (opts.verify?.includes('host')) {
      stage('esp-idf project');
      const scratch = mkdtempSync(join(tmpdir(), 'espforge-idf-'));
      try {
        for (const [rel, text] of Object.entries(files)) {
          mkdirSync(dirname(join(scratch, rel)), { recursive: true });
          writeFileSync(join(scratch, rel), text);
        }
        const idf = checkIdfProjectOnHost(scratch, { timeoutMs: 300_000, optional: true });
        report.idfHost = { ok: idf.ok, output: idf.runOutput.trim().split('\n').slice(-2), kind: IDF_SMOKE_TEST };
        idfRunOutput = idf.runOutput;
        // optional: without cmake the C was still verified above, so that is a warning, not a failure
        diagnostics.push(...idf.diagnostics);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
    files['report.json'] = JSON.stringify(report, null, 1) + '\n';
    files['report.md'] = reportMarkdown(report);
    if (opts.out && !opts.dryRun && !diagnostics.some((d) => d.severity === 'error')) stage('write');
    if (opts.out && !opts.dryRun && !diagnostics.some((d) => d.severity === 'error')) writeProject(opts.out, files, writeOpts);
    return { ok: !diagnostics.some((d) => d.severity === 'error'), files, report, diagnostics, idfRunOutput };
  } catch (err) {
    diagnostics.push(...toDiagnostics(err, { file: opts.modelFile }));
    return { ok: false, files: {}, diagnostics };
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function reportMarkdown(r: BuildReport): string {
  const L: string[] = [];
  L.push(`# ${r.name}: espforge build report\n`);
  L.push(`Generated by ${r.tool} for **${r.target}**.${r.model ? ` Model \`${r.model.file}\` (sha256 ${r.model.sha256}).` : ''}\n`);
  L.push(`| | |\n|---|---|`);
  L.push(`| parameters | ${r.parameters} |`);
  L.push(`| MACs per inference | ${r.macs} |`);
  L.push(`| activation arena (one static buffer) | ${r.arenaBytes} B (lower bound ${r.arenaLowerBound} B) |`);
  if (r.rowBands)
    L.push(
      `| row bands (--row-bands) | ${r.rowBands.pairs.length ? `${r.rowBands.pairs.map((p) => `layers ${p.producer}+${p.consumer} (band ${p.bandBytes} B instead of ${p.fullBytes} B)`).join(', ')}: arena ${r.arenaBytes} B instead of ${r.rowBands.arenaWithout} B, ${r.rowBands.arenaWithout - r.arenaBytes} B less` : `no layer pair makes the arena smaller (${r.rowBands.arenaWithout} B without)`} |`,
    );
  L.push(`| weights in flash | ${r.weightBytes} B |`);
  L.push(`| generated code (estimate) | ${r.codeBytesEstimate} B |`);
  L.push(`| module memory | ${r.memory.module ? `${r.memory.module}: ` : ''}${(r.memory.flashBytes / 1048576).toFixed(0)} MB flash, ${r.memory.psramBytes ? `${(r.memory.psramBytes / 1048576).toFixed(0)} MB PSRAM` : 'no PSRAM'} |`);
  L.push(`| arena placement | **${r.memory.arenaPlacement}**: ${r.memory.why} |\n`);
  const f = r.flash;
  const row = (what: string, x: FlashItem) => `| ${what} | ${x.bytes} | ${x.kind}${x.margin ? ` (±${x.margin})` : ''} | ${x.how.replace(/\|/g, '/')} |`;
  L.push(`## Flash (app image)\n`);
  L.push(`| part | bytes | figure | how |\n|---|---|---|---|`);
  L.push(row(`firmware without the model (${r.target}, IDF ${f.baseline.idf})`, f.baseline));
  L.push(row('weights', f.weights));
  L.push(row('parameter tables', f.tables));
  L.push(row('kernel + invoke code', f.code));
  L.push(row('embedded sample (main/app_main.c)', f.sample));
  if (f.espnn) L.push(row('ESP-NN library', f.espnn));
  if (f.psram) L.push(row('PSRAM driver', f.psram));
  L.push(`| **app image** | **${f.total}** | ±${f.margin} | as generated on ESP-IDF < 5.5; the fit check uses this figure |`);
  L.push(`| app image with MINIMAL_BUILD | ${f.totalMinimalBuild} | ±${f.margin} | ESP-IDF >= 5.5 (the generated CMakeLists.txt turns it on) |\n`);
  L.push(`## Fit per chip\n`);
  L.push(`| chip | fits | flash need / partition | arena / static cap | notes |\n|---|---|---|---|---|`);
  for (const f of r.fit)
    L.push(
      `| ${f.chip} | ${f.fits ? 'yes' : '**no**'} | ${kb(f.flash.need)} / ${kb(f.flash.partitionSize)}${f.flash.needsCustomPartition ? ' (custom partitions.csv)' : ''} | ${kb(f.ram.arena)} / ${kb(f.ram.maxStaticBuffer)} | ${[...f.problems, ...f.warnings.slice(0, 2)].join('; ').replace(/\|/g, '/')} |`,
    );
  L.push(`\n## Verification\n`);
  if (!r.verification.length) L.push('Not run (use --verify host,rv32).');
  else
    L.push(
      `What was compared: the output bytes of the generated C against espforge's integer simulator, on the ${r.golden.length} golden case(s) ` +
        `recorded in report.json (${r.goldenSource ?? 'pseudo-random inputs'}). This is ${CONSISTENCY_NOTE}.\n`,
    );
  if (r.idfHost)
    L.push(`- **ESP-IDF project on the host: ${IDF_SMOKE_TEST}** (CMake + app_main.c through espforge's ESP-IDF stand-in with ESP-IDF's C options): ${r.idfHost.ok ? 'configured, compiled, ran: ' + r.idfHost.output.join(' / ') : 'FAILED'}`);
  for (const v of r.verification)
    L.push(
      `- **${v.target}** (${v.compared.actual}): ${v.identical ? 'output bytes identical to the integer simulator' : `DIFFERS (${v.mismatches.join(', ')})`} on ${v.cases} case(s)` +
        (v.instructions !== undefined ? `; ${v.instructions} rv32 instructions per inference (${v.instructionsPerMac?.toFixed(2)} per MAC)` : '') +
        (v.sizes ? `; text ${v.sizes.text} B, data ${v.sizes.data} B, bss ${v.sizes.bss} B (model library objects, rv32imc -O2; text includes the const weights)` : ''),
    );
  L.push(`\n## Layers\n`);
  if (r.kernels === 'esp-nn') {
    const n = r.layers.filter((l) => l.kernel.startsWith('esp-nn:')).length;
    L.push(`Kernels: ESP-NN (\`espressif/esp-nn\`, declared in the component's idf_component.yml) for ${n} of ${r.layers.length} layers, espforge's portable C for the rest. Host and rv32 verification link espforge's test double of the ESP-NN API (built from the portable kernels), so they check the generated calls, not ESP-NN's own kernels.\n`);
  }
  L.push(`| # | op | name | kernel | MACs | weight bytes |\n|---|---|---|---|---|---|`);
  for (const l of r.layers)
    L.push(`| ${l.index} | ${l.op} | ${l.name.replace(/\|/g, '/')} | ${l.kernel}${l.backendNote ? ` (portable: ${l.backendNote.replace(/\|/g, '/')})` : ''} | ${l.macs} | ${l.weightBytes} |`);
  return L.join('\n') + '\n';
}

export { CHIPS, EspforgeError };

/** The arena's static buffer moved to PSRAM: EXT_RAM_BSS_ATTR under ESP-IDF, a plain buffer elsewhere (host tests). */
export function arenaInPsram(src: string, prefix: string): string {
  const PU = prefix.toUpperCase();
  const decl = /^static uint8_t arena\[/m;
  if (!decl.test(src)) throw new Error('arena declaration not found');
  return src.replace(
    decl,
    `/* The arena is larger than internal RAM offers in one block: it lives in PSRAM. EXT_RAM_BSS_ATTR needs\n` +
      ` * CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY (set in sdkconfig.defaults); the linker refuses an arena PSRAM cannot hold. */\n` +
      `#ifdef ESP_PLATFORM\n#include "esp_attr.h"\n#define ${PU}_ARENA_ATTR EXT_RAM_BSS_ATTR\n#else\n#define ${PU}_ARENA_ATTR\n#endif\n` +
      `static ${PU}_ARENA_ATTR uint8_t arena[`,
  );
}
