// Code bytes of the generated model library, measured from objects: NAME.c and espforge_kernels.c compiled for
// rv32imc (-O2, as the component's CMakeLists compiles them) with the RISC-V toolchain used for verification,
// sections summed from `size -A`. On ESP32-C3/C6/P4 (RV32) this is the target ISA up to the compiler version;
// on the Xtensa chips it is a proxy (estimated). Weights and parameter tables are counted exactly elsewhere
// from the generated arrays; the rodata measured here cross-checks the tables.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasTool, run } from './toolchain.js';

export interface CodeSize {
  /** .text* bytes (code) of the model file and the kernels. */
  text: number;
  /** .rodata* / .srodata* bytes (the parameter tables and literals). */
  rodata: number;
  compiler: string;
}

const CC = 'riscv64-unknown-elf-gcc';
const SIZE = 'riscv64-unknown-elf-size';

/** undefined when the RISC-V toolchain is missing or the compile fails (the caller then estimates). */
export function measureCodeSize(files: Record<string, string>, prefix: string): CodeSize | undefined {
  if (!hasTool(CC) || !hasTool(SIZE)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-size-'));
  try {
    for (const [f, s] of Object.entries(files)) if (!f.includes('/')) writeFileSync(join(dir, f), s);
    const srcs = [`${prefix}.c`, 'espforge_kernels.c'].filter((f) => files[f] !== undefined);
    let text = 0;
    let rodata = 0;
    for (const src of srcs) {
      const obj = src.replace(/\.c$/, '.o');
      // the ESP-NN calls need only the API's declarations: esp_nn.h of the test double
      const r = run(CC, ['-march=rv32imc', '-mabi=ilp32', '-O2', '-std=c99', '--specs=picolibc.specs', '-I.', '-ffunction-sections', '-fdata-sections', '-c', src, '-o', obj], { cwd: dir, timeoutMs: 120_000 });
      if (r.status !== 0) return undefined;
      const sz = run(SIZE, ['-A', obj], { cwd: dir });
      for (const line of sz.stdout.split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+/.exec(line.trim());
        if (!m) continue;
        if (m[1].startsWith('.text')) text += Number(m[2]);
        else if (m[1].startsWith('.rodata') || m[1].startsWith('.srodata')) rodata += Number(m[2]);
      }
    }
    return { text, rodata, compiler: `${CC} -march=rv32imc -O2` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
