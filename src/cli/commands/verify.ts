// espforge verify DIR [--rv32] [--json]: re-run a generated project's golden vectors through its C.
import type { Command } from 'commander';
import { verifyProject } from '../../verify/project.js';
import { printJson, report, stages } from '../common.js';
import { CONSISTENCY_NOTE } from '../../verify/compare.js';

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('verify')
    .description("compile a generated project's C on the host (and rv32 under QEMU) and check its golden vectors")
    .argument('<dir>', 'folder written by espforge build')
    .option('--rv32', 'also cross-compile for rv32imc and run under qemu-system-riscv32')
    .option('--json', 'machine-readable output')
    .action((dir: string, o: { rv32?: boolean; json?: boolean }) => {
      const progress = stages(!o.json, 'verify');
      const r = verifyProject(dir, { rv32: o.rv32, onStage: progress.stage });
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
        if (r.idfHost) process.stdout.write(`esp-idf project (host stand-in, smoke test only, not ESP-IDF): ${r.idfHost.ok ? 'PASS' : 'FAIL'}${r.idfHost.output.length ? ' — ' + r.idfHost.output.join(' / ') : ''}\n`);
      }
      setExit(r.ok ? 0 : 1);
    });
}
