// verifyProject(dir): re-check a generated ESP-IDF project on this machine. Compiles the component's C with the
// golden cases recorded in report.json (inputs and the simulator's outputs at build time), on the host (plain
// and under ASan/UBSan) and optionally for rv32 under QEMU, and compares output bytes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attempt, fail, diag, type Diagnostic } from '../diagnostics.js';
import { compareRuns, runVerification, type VerifySummary } from './compare.js';
import { checkIdfProjectOnHost } from './idf-shim.js';
import { espnnDoubleFiles } from './espnn-double.js';
import type { GoldenCase, HarnessSpec } from './host.js';

export interface VerifyProjectResult {
  ok: boolean;
  results: VerifySummary[];
  diagnostics: Diagnostic[];
  /** The ESP-IDF project through the host stand-in (absent when the C checks could not run). */
  idfHost?: { ok: boolean; output: string[] };
}

interface ReportJson {
  name: string;
  macs: number;
  golden: { name: string; inputs: number[][]; expected: number[][] }[];
}

export function verifyProject(dir: string, opts: { rv32?: boolean; onStage?: (stage: string) => void } = {}): VerifyProjectResult {
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
    const runs = runVerification(withDouble, spec, cases, opts.rv32 ? ['host', 'rv32'] : ['host'], opts.onStage);
    return runs.map((x) => compareRuns(x, cases, rep.macs, "espforge's integer simulator outputs recorded in report.json at build time"));
  }, { file: dir });
  if (!r.ok) return { ok: false, results: [], diagnostics: r.diagnostics };
  const diagnostics = r.value
    .filter((v) => !v.identical)
    .map((v) => diag('EF4004', `generated C on ${v.target} differs from the recorded simulator output (${v.mismatches.slice(0, 3).join(', ')})`, { file: dir }));
  // The project as a whole (CMake files, app_main.c with its embedded sample) through the ESP-IDF stand-in;
  // without cmake that check is skipped with a warning.
  opts.onStage?.('esp-idf project');
  const idf = checkIdfProjectOnHost(dir, { timeoutMs: 300_000, optional: true });
  diagnostics.push(...idf.diagnostics);
  return { ok: !diagnostics.some((d) => d.severity === 'error'), results: r.value, diagnostics, idfHost: { ok: idf.ok, output: idf.runOutput.trim().split('\n').slice(-2) } };
}
