// verifyProject(dir): re-check a generated ESP-IDF project on this machine. Compiles the component's C with the
// golden cases recorded in report.json (inputs and the simulator's outputs at build time), on the host (plain
// and under ASan/UBSan) and optionally for rv32 under QEMU, and compares output bytes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attempt, fail, diag, type Diagnostic } from '../diagnostics.js';
import { compareRuns, runVerification, type VerifySummary } from './compare.js';
import { checkIdfProjectOnHost } from './idf-shim.js';
import { espnnDoubleFiles } from './espnn-double.js';
import { runRv32, type GoldenCase, type HarnessSpec } from './host.js';

/** One layer of `verify --profile`: rv32 instructions retired inside that layer's call (first golden case). */
export interface LayerProfile {
  index: number;
  name: string;
  op: string;
  macs: number;
  instructions: number;
}

export interface VerifyProjectResult {
  ok: boolean;
  results: VerifySummary[];
  diagnostics: Diagnostic[];
  /** The ESP-IDF project through the host stand-in (absent when the C checks could not run). */
  idfHost?: { ok: boolean; output: string[] };
  /** With `profile`: rv32 instructions per layer, from one extra run built with -DESPFORGE_PROFILE. */
  profile?: { layers: LayerProfile[]; sum: number; invoke?: number; macs: number };
}

interface ReportJson {
  name: string;
  macs: number;
  golden: { name: string; inputs: number[][]; expected: number[][] }[];
  layers?: { index: number; name: string; op: string; macs: number }[];
}

export function verifyProject(dir: string, opts: { rv32?: boolean; profile?: boolean; onStage?: (stage: string) => void } = {}): VerifyProjectResult {
  // the per-layer profile is an rv32 measurement: --profile implies --rv32
  const rv32 = opts.rv32 || opts.profile;
  const r = attempt(() => {
    const rp = join(dir, 'report.json');
    if (!existsSync(rp)) fail('EF0001', 'no report.json: is this a folder written by espforge build?', { file: dir });
    let rep: ReportJson;
    try {
      rep = JSON.parse(readFileSync(rp, 'utf8')) as ReportJson;
    } catch {
      return fail('EF0001', 'report.json is not valid JSON', { file: rp });
    }
    if (typeof rep.name !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(rep.name) || !Array.isArray(rep.golden) || !rep.golden.length)
      fail('EF0001', 'report.json has no model name or golden cases', { file: rp });
    const comp = join(dir, 'components', rep.name);
    const files: Record<string, string> = {};
    for (const f of readdirSync(comp)) if (/\.(c|h)$/.test(f)) files[f] = readFileSync(join(comp, f), 'utf8');
    const hdr = join(comp, 'include', `${rep.name}.h`);
    if (!existsSync(hdr)) fail('EF0001', `missing ${rep.name}.h`, { file: hdr });
    files[`${rep.name}.h`] = readFileSync(hdr, 'utf8');
    // I/O types from the header's invoke prototype
    const proto = new RegExp(`int ${rep.name}_invoke\\(([^)]*)\\)`).exec(files[`${rep.name}.h`]);
    if (!proto) fail('EF0001', `no ${rep.name}_invoke prototype in the header`, { file: hdr });
    const params = proto[1].split(',').map((p) => p.trim());
    const ins = params.filter((p) => p.startsWith('const '));
    const outs = params.filter((p) => !p.startsWith('const '));
    const typ = (p: string) => (/uint8_t/.test(p) ? 'uint8_t' : /int16_t/.test(p) ? 'int16_t' : 'int8_t');
    const spec: HarnessSpec = {
      prefix: rep.name,
      inputTypes: ins.map(typ),
      outputTypes: outs.map(typ),
      outputSizes: rep.golden[0].expected.map((e) => e.length),
    };
    const cases: GoldenCase[] = rep.golden.map((g) => ({ name: g.name, inputs: g.inputs, expected: g.expected }));
    // a component that calls ESP-NN links espforge's test double of the ESP-NN API (verification only)
    const withDouble = files[`${rep.name}.c`]?.includes('#include "esp_nn.h"') ? { ...files, ...espnnDoubleFiles() } : files;
    const runs = runVerification(withDouble, spec, cases, rv32 ? ['host', 'rv32'] : ['host'], opts.onStage);
    const results = runs.map((x) => compareRuns(x, cases, rep.macs, "espforge's integer simulator outputs recorded in report.json at build time"));
    let profile: VerifyProjectResult['profile'];
    if (opts.profile) {
      opts.onStage?.('rv32 profile');
      profile = layerProfile(withDouble, spec, cases[0], rep, results.find((v) => v.target === 'rv32')?.instructions, rp);
    }
    return { results, profile };
  }, { file: dir });
  if (!r.ok) return { ok: false, results: [], diagnostics: r.diagnostics };
  const { results, profile } = r.value;
  const diagnostics = results
    .filter((v) => !v.identical)
    .map((v) => diag('EF4004', `generated C on ${v.target} differs from the recorded simulator output (${v.mismatches.slice(0, 3).join(', ')})`, { file: dir }));
  // The project as a whole (CMake files, app_main.c with its embedded sample) through the ESP-IDF stand-in;
  // without cmake that check is skipped with a warning.
  opts.onStage?.('esp-idf project');
  const idf = checkIdfProjectOnHost(dir, { timeoutMs: 300_000, optional: true });
  diagnostics.push(...idf.diagnostics);
  return { ok: !diagnostics.some((d) => d.severity === 'error'), results, diagnostics, idfHost: { ok: idf.ok, output: idf.runOutput.trim().split('\n').slice(-2) }, profile };
}

/** One more rv32 run of the first golden case with the generated code's per-layer hook (ESPFORGE_PROFILE). */
function layerProfile(
  files: Record<string, string>,
  spec: HarnessSpec,
  first: GoldenCase,
  rep: ReportJson,
  invoke: number | undefined,
  reportFile: string,
): NonNullable<VerifyProjectResult['profile']> {
  if (!Array.isArray(rep.layers) || !rep.layers.length)
    fail('EF0001', 'report.json lists no layers, so a per-layer profile cannot be labelled', { file: reportFile, suggestion: 'rebuild the project with this version of espforge' });
  const run = runRv32(files, spec, [first], { profile: true });
  const per = run.cases[0]?.layers ?? [];
  const missing = rep.layers.filter((_, i) => per[i] === undefined);
  if (missing.length)
    fail('EF4004', `the profiled rv32 run reported no instruction count for ${missing.length} of ${rep.layers.length} layers (first: ${missing[0].name})`, {
      file: reportFile,
      suggestion: 'the generated C does not match report.json: rebuild the project',
    });
  const layers = rep.layers.map((l, i) => ({ index: l.index ?? i, name: l.name, op: l.op, macs: l.macs ?? 0, instructions: per[i] }));
  return { layers, sum: layers.reduce((a, l) => a + l.instructions, 0), invoke, macs: rep.macs };
}
