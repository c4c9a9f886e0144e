// Runs the requested verifications and compares their bytes with the expected (simulator) outputs.

import { runHost, runRv32, type GoldenCase, type HarnessSpec, type VerifyRun } from './host.js';

export type VerifyKind = 'host' | 'rv32';

export interface VerifySummary {
  target: 'host' | 'host-sanitize' | 'rv32';
  cases: number;
  identical: boolean;
  mismatches: string[];
  /** rv32: retired instructions of one inference (first case) and per MAC. */
  instructions?: number;
  instructionsPerMac?: number;
  sizes?: { text: number; data: number; bss: number };
  /** What was compared with what, in words: both sides are espforge, so this is never an independent check. */
  compared: { actual: string; expected: string; independent: false };
}

/**
 * The plain statement every report and `verify` output carries: C vs simulator is a consistency check of
 * espforge's own two implementations; no TensorFlow Lite Micro (or other independent) run is involved.
 */
export const CONSISTENCY_NOTE =
  "a consistency check of espforge's own two implementations (generated C vs its integer simulator): it catches code-generation bugs, " +
  'not arithmetic the two share; no TensorFlow Lite Micro run or other independent reference was involved';

const ACTUAL: Record<VerifySummary['target'], string> = {
  host: 'generated C, compiled with the host gcc and run here',
  'host-sanitize': 'generated C, compiled with the host gcc under ASan/UBSan and run here',
  rv32: 'generated C, cross-compiled for rv32imc and run under qemu-system-riscv32',
};

export function runVerification(
  files: Record<string, string>,
  spec: HarnessSpec,
  cases: GoldenCase[],
  kinds: VerifyKind[],
  /** Called as each stage starts (host, sanitizers, rv32), for progress display. */
  onStage?: (stage: string) => void,
): VerifyRun[] {
  const runs: VerifyRun[] = [];
  if (kinds.includes('host')) {
    onStage?.('host');
    runs.push(runHost(files, spec, cases, false));
    onStage?.('sanitizers');
    runs.push(runHost(files, spec, cases, true));
  }
  if (kinds.includes('rv32')) {
    onStage?.('rv32');
    runs.push(runRv32(files, spec, cases));
  }
  return runs;
}

export function compareRuns(
  r: VerifyRun,
  cases: GoldenCase[],
  macs: number,
  expected = "espforge's integer simulator on the same inputs",
): VerifySummary {
  const mismatches: string[] = [];
  cases.forEach((c, k) => {
    const got = r.cases[k]?.outputs ?? [];
    (c.expected ?? []).forEach((exp, j) => {
      const g = got[j];
      if (!g || g.length !== exp.length) {
        mismatches.push(`${c.name} output ${j} (missing or wrong length)`);
        return;
      }
      // 8-bit outputs are compared as bytes; int16 outputs (parsed as signed values) as signed 16-bit values
      const norm = g instanceof Int16Array ? (v: number) => (v << 16) >> 16 : (v: number) => v & 0xff;
      for (let i = 0; i < exp.length; i++)
        if (g[i] !== norm(exp[i])) {
          mismatches.push(`${c.name} output ${j} ${g instanceof Int16Array ? 'element' : 'byte'} ${i}`);
          return;
        }
    });
  });
  const ins = r.cases[0]?.instret;
  return {
    target: r.target,
    cases: cases.length,
    identical: mismatches.length === 0,
    mismatches,
    instructions: ins,
    instructionsPerMac: ins !== undefined && macs > 0 ? ins / macs : undefined,
    sizes: r.sizes,
    compared: { actual: ACTUAL[r.target], expected, independent: false },
  };
}
