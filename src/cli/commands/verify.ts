// espforge verify DIR [--rv32] [--profile] [--json]: re-run a generated project's golden vectors through its C.
import type { Command } from 'commander';
import { verifyProject, type VerifyProjectResult } from '../../verify/project.js';
import { printJson, report, stages } from '../common.js';
import { CONSISTENCY_NOTE } from '../../verify/compare.js';

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('verify')
    .description("compile a generated project's C on the host (and rv32 under QEMU) and check its golden vectors")
    .argument('<dir>', 'folder written by espforge build')
    .option('--rv32', 'also cross-compile for rv32imc and run under qemu-system-riscv32')
    .option('--profile', 'rv32 instructions per layer (one more QEMU run with the per-layer hook; implies --rv32)')
    .option('--json', 'machine-readable output')
    .action((dir: string, o: { rv32?: boolean; profile?: boolean; json?: boolean }) => {
      const progress = stages(!o.json, 'verify');
      const r = verifyProject(dir, { rv32: o.rv32, profile: o.profile, onStage: progress.stage });
      progress.done();
      if (o.json) printJson({ ...r, note: CONSISTENCY_NOTE });
      else {
        report(r.diagnostics, false);
        if (r.results.length)
          process.stdout.write(`compared: generated C vs the simulator outputs recorded in report.json at build time — ${CONSISTENCY_NOTE}\n`);
        for (const v of r.results)
          process.stdout.write(
            `${v.target}: ${v.identical ? 'PASS' : 'FAIL'} (${v.cases} cases)` +
              (v.instructions !== undefined ? `, ${v.instructions} instructions per inference (${v.instructionsPerMac?.toFixed(2)}/MAC)` : '') +
              '\n',
          );
        if (r.profile) process.stdout.write(profileTable(r.profile));
        if (r.idfHost) process.stdout.write(`esp-idf project (host stand-in, smoke test only, not ESP-IDF): ${r.idfHost.ok ? 'PASS' : 'FAIL'}${r.idfHost.output.length ? ' — ' + r.idfHost.output.join(' / ') : ''}\n`);
      }
      setExit(r.ok ? 0 : 1);
    });
}

/** The per-layer table of `verify --profile`: instructions, per MAC and share of the sum, one row per layer. */
export function profileTable(p: NonNullable<VerifyProjectResult['profile']>): string {
  const rows = [['#', 'layer', 'op', 'MACs', 'rv32 instr', 'instr/MAC', 'share']];
  for (const l of p.layers)
    rows.push([
      String(l.index),
      l.name.length > 48 ? l.name.slice(0, 47) + '…' : l.name,
      l.op,
      String(l.macs),
      String(l.instructions),
      l.macs > 0 ? (l.instructions / l.macs).toFixed(2) : '-',
      p.sum > 0 ? ((100 * l.instructions) / p.sum).toFixed(1) + '%' : '-',
    ]);
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => (j === 1 || j === 2 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ').trimEnd();
  const out = ['rv32 instructions per layer (first golden case, built with -DESPFORGE_PROFILE; each count includes the few instructions of the hook call itself):', ...rows.map(line)];
  out.push(
    `sum of layers: ${p.sum} instructions (${p.macs > 0 ? (p.sum / p.macs).toFixed(2) : '-'}/MAC)` +
      (p.invoke !== undefined ? `; whole invoke without the hook: ${p.invoke} (the difference is input/output copies and call overhead)` : ''),
  );
  return out.join('\n') + '\n';
}
