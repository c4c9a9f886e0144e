// Shared CLI plumbing: command module shape, diagnostic printing, JSON output.

import type { Command } from 'commander';
import { renderDiagnostic, type Diagnostic, type Result } from '../diagnostics.js';

export interface CommandModule {
  register(program: Command, setExit: (code: number) => void): void;
}

/** Print diagnostics to stderr (text) and return the exit code they imply (1 if any error). */
export function report(diags: Diagnostic[], json = false): number {
  if (!json) for (const d of diags) process.stderr.write(renderDiagnostic(d) + '\n');
  return diags.some((d) => d.severity === 'error') ? 1 : 0;
}

/**
 * Render a failed library result (diagnostics as text on stderr, or as JSON on stdout) and set the exit code.
 * Returns true when the result failed, so a command can `if (reportFailure(...)) return;`.
 */
export function reportFailure<T>(
  res: Result<T>,
  json: boolean | undefined,
  setExit: (code: number) => void,
  /** 2 for usage errors (bad option values); by default 1 when any diagnostic is an error. */
  exitCode?: number,
): res is Extract<Result<T>, { ok: false }> {
  if (res.ok) return false;
  if (json) printJson({ ok: false, diagnostics: res.diagnostics });
  const code = report(res.diagnostics, json);
  // a bad option value (EF0006) is a usage error whichever command found it: exit 2, as the README promises
  const usage = res.diagnostics.some((d) => d.severity === 'error' && d.code === 'EF0006');
  setExit(exitCode ?? (usage ? 2 : code));
  return true;
}

/**
 * Progress per stage on a terminal: one status line on stderr naming the running stage and the time so far,
 * cleared at the end. Silent when stderr is not a TTY or with --json (so machine output stays clean).
 */
export function stages(enabled: boolean, label: string): { stage: (name: string) => void; done: () => void } {
  if (!enabled || !process.stderr.isTTY) return { stage: () => {}, done: () => {} };
  const t0 = Date.now();
  let shown = false;
  return {
    stage: (name) => {
      shown = true;
      process.stderr.write(`\r\x1b[K${label}: ${name}... (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    },
    done: () => {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}

export function printJson(x: unknown): void {
  process.stdout.write(JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v), 2) + '\n');
}

/** Fixed-width text table. */
export function table(rows: string[][], align: ('l' | 'r')[] = []): string {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (align[i] === 'r' ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd())
    .join('\n');
}
