// espforge compare PROJECT --log SERIAL.txt [--out DIR] [--json]
// Board-vs-host prediction report from a captured serial-monitor log of the generated app (src/verify/serial.ts).
import type { Command } from 'commander';
import { attempt } from '../../diagnostics.js';
import { compareProject } from '../../verify/serial.js';
import { printJson, report, reportFailure } from '../common.js';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);

export function register(program: Command, setExit: (c: number) => void): void {
  program
    .command('compare')
    .description('board vs host: per-sample predictions and score errors from a captured serial log (markdown, JSON, CSV)')
    .argument('<project>', 'project folder written by espforge build')
    .requiredOption('--log <file>', 'serial monitor capture, e.g. idf.py monitor | tee SERIAL.txt')
    .option('--out <dir>', "where to write board-vs-host.{md,json,csv} (default: the log's folder)")
    .option('--json', 'machine-readable output')
    .action((project: string, o: { log: string; out?: string; json?: boolean }) => {
      const res = attempt(() => compareProject(project, o.log, o.out));
      if (reportFailure(res, o.json, setExit)) return;
      const r = res.value;
      const code = report(r.diagnostics, o.json);
      setExit(code);
      if (o.json) {
        printJson({ ok: code === 0, summary: r.report.summary, written: r.written, diagnostics: r.diagnostics });
        return;
      }
      const s = r.report.summary;
      const L = [
        `samples: ${s.inLog}/${s.samples} found in the log${s.partialLines.length ? ` (${s.partialLines.length} partial line(s) skipped)` : ''}`,
        `device output identical to the integer simulator: ${s.identical}/${s.inLog}`,
        `top-1 agreement: device vs simulator ${pct(s.deviceVsSimAgreement)}` + (s.deviceVsFloatAgreement !== undefined ? `, device vs float ${pct(s.deviceVsFloatAgreement)}` : ''),
      ];
      if (s.deviceAccuracy !== undefined) L.push(`accuracy on these samples: device ${pct(s.deviceAccuracy)}, float ${pct(s.floatAccuracy)}`);
      L.push(`max score error (device vs ${r.report.reference}): ${s.maxAbsError.toPrecision(4)}`);
      L.push(`wrote ${r.written.join(', ')}`);
      process.stdout.write(L.join('\n') + '\n');
    });
}
