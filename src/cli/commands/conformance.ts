// espforge conformance DIR... [--json] [--filter S...] [--max-gmacs N]
// Runs ONNX peer test suites through the importer and the float reference; one line per test and a summary.
// Exit 0 when no test fails (skips with a coded reason are allowed), 1 when any test fails.
import type { Command } from 'commander';
import { fail } from '../../diagnostics.js';
import { formatResult, formatSummary, runConformance } from '../../conformance/index.js';
import { printJson } from '../common.js';

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('conformance')
    .description('run ONNX conformance test folders (onnx backend tests, light models, tract io.npz cases)')
    .argument('<dirs...>', 'test folders or suite folders holding test folders')
    .option('--json', 'print the full report as JSON')
    .option('--filter <names...>', 'only tests whose name contains one of these strings')
    .option('--max-gmacs <n>', 'skip (EF1007) models needing more than this many GMAC per run')
    .action((dirs: string[], o: { json?: boolean; filter?: string[]; maxGmacs?: string }) => {
      let maxMacs: number | undefined;
      if (o.maxGmacs !== undefined) {
        const g = Number(o.maxGmacs);
        if (!Number.isFinite(g) || g <= 0) fail('EF0006', `--max-gmacs must be a positive number, got '${o.maxGmacs}'`);
        maxMacs = g * 1e9;
      }
      const rep = runConformance(dirs, {
        filter: o.filter,
        maxMacs,
        onResult: o.json ? undefined : (r) => process.stdout.write(formatResult(r) + '\n'),
      });
      if (rep.results.length === 0)
        fail('EF0001', `no conformance tests found in ${dirs.join(', ')}`, {
          suggestion: 'pass folders holding model.onnx + test_data_set_*/ (or io.npz), or suite folders of such folders',
        });
      if (o.json) printJson(rep);
      else {
        for (const s of rep.suites) process.stdout.write(formatSummary(s) + '\n');
        if (rep.suites.length > 1) process.stdout.write(formatSummary(rep.total) + '\n');
      }
      setExit(rep.total.fail > 0 ? 1 : 0);
    });
}
