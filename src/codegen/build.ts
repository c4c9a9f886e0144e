// The deploy step as a library call: prepared int8 graph → C library + ESP-IDF project + fit check + report,
// optionally verified (host gcc, sanitizers, rv32 under QEMU) against the integer simulator byte for byte.
// Returns {files, report, diagnostics}; never prints.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { EspforgeError, diag, toDiagnostics, type Diagnostic } from '../diagnostics.js';
import { allocArray, shapeSize } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { inferCtx } from '../ir/infer.js';
import { getOp } from '../ops/index.js';
import type { Value } from '../ops/types.js';
import { prepareIntGraph, runInt } from '../sim/int.js';
import { chip, CHIPS } from '../targets/chips.js';
import { checkAllChips, fitDiagnostics, type ChipFit, type FitInput } from '../targets/fit.js';
import { VERSION } from '../version.js';
import { sha256Hex } from './common/cwriter.js';
import { emitC, type EmitResult } from './c/emit.js';
import { checkOutput, projectFiles, writeProject } from './espidf/project.js';
import { compareRuns, runVerification, type VerifyKind, type VerifySummary } from '../verify/compare.js';
import type { GoldenCase, HarnessSpec } from '../verify/host.js';
import { checkIdfProjectOnHost } from '../verify/idf-shim.js';

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
  /** Do not write anything (files are still returned). */
  dryRun?: boolean;
  /** Input files of the command besides the model (calibration data...): never overwritten. */
  inputFiles?: string[];
  /** Called when a stage starts (quantize, plan, emit, host, sanitizers, rv32, idf, write); for progress display. */
  onStage?: (stage: string) => void;
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
  weightBytes: number;
  codeBytesEstimate: number;
  layers: { index: number; op: string; name: string; kernel: string; macs: number; weightBytes: number }[];
  fit: ChipFit[];
  verification: VerifySummary[];
  /** The ESP-IDF project configured, compiled and run on the host through the ESP-IDF stand-in. */
  idfHost?: { ok: boolean; output: string[] };
  /** Golden cases: int8/uint8 outputs as bytes 0..255, int16 outputs as signed values. */
  golden: { name: string; inputs: number[][]; expected: number[][] }[];
}

export interface BuildResult {
  ok: boolean;
  files: Record<string, string>;
  report?: BuildReport;
  diagnostics: Diagnostic[];
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
    const c = chip(opts.target);
    const writeOpts = { force: opts.force, inputs: [...(opts.modelFile ? [opts.modelFile] : []), ...(opts.inputFiles ?? [])] };
    // the output folder is checked before any long work, and again (with the file list) when writing
    if (opts.out && !opts.dryRun) checkOutput(opts.out, writeOpts);
    const stage = opts.onStage ?? (() => undefined);
    stage('plan');
    const g0 = integerIO(graph);
    const g = g0.nodes.every((n) => n.qparams) ? g0 : prepareIntGraph(g0);
    const modelBytes = opts.modelFile ? readFileSync(opts.modelFile) : undefined;
    const prov = {
      commandLine: opts.commandLine,
      modelFile: opts.modelFile ? basename(opts.modelFile) : g.meta.source ? basename(g.meta.source) : undefined,
      modelSha256: modelBytes ? sha256Hex(modelBytes) : undefined,
    };
    stage('emit');
    const e = emitC(g, { ...prov, name: opts.name ?? (opts.modelFile ? basename(opts.modelFile) : undefined) });
    const fi = fitInput(e);
    const { fit, diagnostics: fd } = fitDiagnostics(c.id, fi);
    diagnostics.push(...fd);
    if (fd.some((d) => d.severity === 'error')) return { ok: false, files: {}, diagnostics };

    // golden cases: given inputs, else two deterministic pseudo-random ones
    const inT = g.inputs.map((id) => g.tensors[id]);
    const inputs: ArrayLike<number>[][] =
      opts.inputs ?? [0, 1].map((k) => inT.map((t, j) => pseudoRandomInput(shapeSize(t.shape), t.dtype, 1000 * k + j + 1)));
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
      weightBytes: e.weightBytes,
      codeBytesEstimate: fi.codeBytes,
      layers,
      fit: checkAllChips(fi),
      verification: [],
      golden,
    };

    if (opts.verify?.length) {
      const cases: GoldenCase[] = golden.map((gc) => ({ name: gc.name, inputs: gc.inputs, expected: gc.expected }));
      const runs = runVerification(e.files, harnessSpec(g, e.prefix), cases, opts.verify, stage);
      report.verification = runs.map((r) => compareRuns(r, cases, macs));
      for (const v of report.verification)
        if (!v.identical)
          diagnostics.push(diag('EF4004', `generated C on ${v.target} differs from the integer simulator in ${v.mismatches.join(', ')}`, {
            suggestion: 'this is a bug in espforge; please report it with the model',
          }));
    }

    const sample = golden[0];
    const files = projectFiles({
      prefix: e.prefix,
      chip: c,
      library: e.files,
      partitionSize: fit.flash.needsCustomPartition ? fit.flash.partitionSize : undefined,
      sample: {
        inputs: sample.inputs,
        expected: sample.expected,
        inputTypes: harnessSpec(g, e.prefix).inputTypes,
        outputTypes: harnessSpec(g, e.prefix).outputTypes,
      },
      provenance: prov,
    });
    // The ESP-IDF project itself (CMake files, app_main.c) is configured, compiled and run on the host through
    // a stand-in for ESP-IDF, in a scratch copy, so the output folder is still written all at once.
    if (opts.verify?.includes('host')) {
      stage('esp-idf project');
      const scratch = mkdtempSync(join(tmpdir(), 'espforge-idf-'));
      try {
        for (const [rel, text] of Object.entries(files)) {
          mkdirSync(dirname(join(scratch, rel)), { recursive: true });
          writeFileSync(join(scratch, rel), text);
        }
        const idf = checkIdfProjectOnHost(scratch, { timeoutMs: 300_000, optional: true });
        report.idfHost = { ok: idf.ok, output: idf.runOutput.trim().split('\n').slice(-2) };
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
    return { ok: !diagnostics.some((d) => d.severity === 'error'), files, report, diagnostics };
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
  L.push(`| weights in flash | ${r.weightBytes} B |`);
  L.push(`| generated code (estimate) | ${r.codeBytesEstimate} B |\n`);
  L.push(`## Fit per chip\n`);
  L.push(`| chip | fits | flash need / partition | arena / static cap | notes |\n|---|---|---|---|---|`);
  for (const f of r.fit)
    L.push(
      `| ${f.chip} | ${f.fits ? 'yes' : '**no**'} | ${kb(f.flash.need)} / ${kb(f.flash.partitionSize)}${f.flash.needsCustomPartition ? ' (custom partitions.csv)' : ''} | ${kb(f.ram.arena)} / ${kb(f.ram.maxStaticBuffer)} | ${[...f.problems, ...f.warnings.slice(0, 2)].join('; ').replace(/\|/g, '/')} |`,
    );
  L.push(`\n## Verification\n`);
  if (!r.verification.length) L.push('Not run (use --verify host,rv32).');
  if (r.idfHost)
    L.push(`- **ESP-IDF project on the host** (CMake + app_main.c through espforge's ESP-IDF stand-in): ${r.idfHost.ok ? 'configured, compiled, ran: ' + r.idfHost.output.join(' / ') : 'FAILED'}`);
  for (const v of r.verification)
    L.push(
      `- **${v.target}**: ${v.identical ? 'output bytes identical to the integer simulator' : `DIFFERS (${v.mismatches.join(', ')})`} on ${v.cases} case(s)` +
        (v.instructions !== undefined ? `; ${v.instructions} rv32 instructions per inference (${v.instructionsPerMac?.toFixed(2)} per MAC)` : '') +
        (v.sizes ? `; text ${v.sizes.text} B, data ${v.sizes.data} B, bss ${v.sizes.bss} B (model library objects, rv32imc -O2; text includes the const weights)` : ''),
    );
  L.push(`\n## Layers\n`);
  L.push(`| # | op | name | kernel | MACs | weight bytes |\n|---|---|---|---|---|---|`);
  for (const l of r.layers) L.push(`| ${l.index} | ${l.op} | ${l.name.replace(/\|/g, '/')} | ${l.kernel} | ${l.macs} | ${l.weightBytes} |`);
  return L.join('\n') + '\n';
}

export { CHIPS, EspforgeError };

/**
 * A quantized graph with float I/O (float input → Quantize …, … Dequantize → float output) becomes a graph with
 * integer I/O: the C library takes the quantized tensors and its header's float wrappers
 * (NAME_quantize_input / NAME_dequantize_output) do the boundary conversion on the device.
 */
export function integerIO(g: Graph): Graph {
  const readers = new Map<number, number[]>();
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => t >= 0 && readers.set(t, [...(readers.get(t) ?? []), i])));
  const drop = new Set<number>();
  const inputs = g.inputs.map((id) => {
    const t = g.tensors[id];
    const r = readers.get(id) ?? [];
    if ((t.dtype === 'float32') && r.length === 1 && g.nodes[r[0]].op === 'Quantize') {
      drop.add(r[0]);
      return g.nodes[r[0]].outputs[0];
    }
    return id;
  });
  const outputs = g.outputs.map((id) => {
    const k = g.nodes.findIndex((n) => n.outputs.includes(id));
    const n = g.nodes[k];
    if (n && n.op === 'Dequantize' && g.tensors[id].dtype === 'float32' && g.tensors[n.inputs[0]].quant) {
      drop.add(k);
      return n.inputs[0];
    }
    return id;
  });
  if (!drop.size) return g;
  return { ...g, nodes: g.nodes.filter((_, i) => !drop.has(i)), inputs, outputs };
}
