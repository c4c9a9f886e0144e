// External tools (gcc, riscv64-unknown-elf-gcc, qemu-system-riscv32): every process runs with a timeout and
// its exit status is checked; a missing tool is a coded diagnostic (EF4002), never a crash.

import { spawnSync } from 'node:child_process';
import { fail } from '../diagnostics.js';

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

const found = new Map<string, boolean>();

export function hasTool(cmd: string): boolean {
  if (found.has(cmd)) return found.get(cmd)!;
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 20000 });
  const ok = !r.error && r.status === 0;
  found.set(cmd, ok);
  return ok;
}

export function requireTool(cmd: string, what: string): void {
  if (!hasTool(cmd))
    fail('EF4002', `${what} '${cmd}' was not found or does not run`, {
      suggestion:
        cmd === 'gcc'
          ? 'install a C compiler (Debian: apt-get install gcc)'
          : 'install the RISC-V toolchain and emulator (Debian: gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc)',
    });
}

/** Run a command; throws EF4003 (compile) or returns the result for the caller to judge. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; maxBuffer?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120000,
    maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024,
    killSignal: 'SIGKILL',
  });
  if (r.error) {
    const e = r.error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') fail('EF4002', `'${cmd}' was not found`, { suggestion: 'install it or check PATH' });
    if (e.code === 'ETIMEDOUT') return { status: -1, stdout: r.stdout ?? '', stderr: `timed out after ${opts.timeoutMs ?? 120000} ms` };
    return { status: -1, stdout: r.stdout ?? '', stderr: String(e.message) };
  }
  return { status: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.signal ? `\nkilled by ${r.signal}` : '') };
}

export function compileOrFail(cmd: string, args: string[], cwd: string, what: string): void {
  const r = run(cmd, args, { cwd, timeoutMs: 300000 });
  if (r.status !== 0)
    fail('EF4003', `${what}: ${cmd} failed (exit ${r.status})`, {
      notes: [r.stderr.split('\n').slice(0, 30).join('\n')],
      suggestion: 'this is a bug in espforge code generation; please report it with the model',
    });
}
