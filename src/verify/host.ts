// Verification of generated C: compile the model library with a generated test harness that embeds golden
// inputs, run every case in one process, and read back the output bytes (and, on rv32, the exact retired
// instruction count around each invoke). The caller compares bytes with the integer simulator.
//
// host:  gcc -std=c99 -O2 -Wall -Wextra -Werror, plus a second build with -fsanitize=address,undefined -O0
// rv32:  riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O2 with picolibc + semihosting, run under
//        qemu-system-riscv32 -machine virt -icount shift=0; rdinstret/rdinstreth around NAME_invoke.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../diagnostics.js';
import { cArrayBody } from '../codegen/common/cwriter.js';
import { compileOrFail, requireTool, run } from './toolchain.js';

export interface GoldenCase {
  name: string;
  /** One entry per graph input: one value per element (int8/uint8 as bytes 0..255 or signed; int16 signed). */
  inputs: ArrayLike<number>[];
  /** Expected output per output, one value per element (int8/uint8 as bytes; int16 signed) (optional: the
   * harness only prints, the caller compares). */
  expected?: ArrayLike<number>[];
}

export interface HarnessSpec {
  prefix: string;
  inputTypes: string[]; // 'int8_t' | 'uint8_t' | 'int16_t'
  outputTypes: string[];
  /** Elements (not bytes) per output. */
  outputSizes: number[];
}

export interface CaseRun {
  name: string;
  /** Per output: bytes for int8/uint8 outputs, signed values for int16 outputs. */
  outputs: (Uint8Array | Int16Array)[];
  instret?: number;
  /** rv32 with `profile`: retired instructions of each layer call, indexed by layer. */
  layers?: number[];
}

export interface VerifyRun {
  target: 'host' | 'host-sanitize' | 'rv32';
  cases: CaseRun[];
  sizes?: { text: number; data: number; bss: number };
}

/** C source of the test harness (not model code: it may use stdio). */
export function harnessSource(spec: HarnessSpec, cases: GoldenCase[], rv32: boolean, profile = false): string {
  const P = spec.prefix;
  const L: string[] = [];
  L.push('/* espforge verification harness: runs the embedded golden inputs through the generated model. */');
  L.push('#include <stdint.h>\n#include <stdio.h>\n#include "' + P + '.h"\n');
  if (rv32) {
    L.push('static inline uint64_t ef_instret(void)\n{\n    uint32_t hi, lo, hi2;\n    do {\n' +
      '        __asm__ volatile("rdinstreth %0" : "=r"(hi));\n        __asm__ volatile("rdinstret %0" : "=r"(lo));\n' +
      '        __asm__ volatile("rdinstreth %0" : "=r"(hi2));\n    } while (hi != hi2);\n    return ((uint64_t)hi << 32) | lo;\n}\n');
    if (profile)
      L.push(`/* per-layer hook of the generated code (built with -DESPFORGE_PROFILE) */\nstatic uint64_t prof_t0;\nvoid ${P}_profile(int layer, int end);\n` +
        `void ${P}_profile(int layer, int end)\n{\n    if (!end) prof_t0 = ef_instret();\n` +
        `    else printf("layer %d %lu\\n", layer, (unsigned long)(ef_instret() - prof_t0));\n}\n`);
  }
  cases.forEach((c, k) => {
    c.inputs.forEach((inp, j) => {
      L.push(`static const ${spec.inputTypes[j]} case${k}_in${j}[${inp.length}] = {\n${cArrayBody(inp, 24)}\n};`);
    });
  });
  spec.outputSizes.forEach((n, j) => L.push(`static ${spec.outputTypes[j]} out${j}[${n}];`));
  if (spec.outputTypes.some((t) => t !== 'int16_t'))
    L.push('\nstatic void dump(const char *name, const void *p, int n)\n{\n    const uint8_t *b = (const uint8_t *)p;\n    int i;\n' +
    '    printf("%s ", name);\n    for (i = 0; i < n; ++i) printf("%02x", (unsigned)b[i]);\n    printf("\\n");\n}\n');
  if (spec.outputTypes.includes('int16_t'))
    L.push('/* int16 outputs: one 4-digit hex group per element (two\'s complement), independent of byte order */\n' +
      'static void dump16(const char *name, const int16_t *p, int n)\n{\n    int i;\n' +
      '    printf("%s ", name);\n    for (i = 0; i < n; ++i) printf("%04x", (unsigned)(uint16_t)p[i]);\n    printf("\\n");\n}\n');
  L.push('int main(void)\n{');
  cases.forEach((c, k) => {
    const args = [...c.inputs.map((_, j) => `case${k}_in${j}`), ...spec.outputSizes.map((_, j) => `out${j}`)].join(', ');
    L.push('    {');
    if (rv32) L.push('        uint64_t t0 = ef_instret(), t1;');
    L.push(`        if (${P}_invoke(${args}) != 0) return 3;`);
    if (rv32) L.push('        t1 = ef_instret();\n        printf("instret ' + k + ' %lu\\n", (unsigned long)(t1 - t0));');
    spec.outputSizes.forEach((n, j) => L.push(`        ${spec.outputTypes[j] === 'int16_t' ? 'dump16' : 'dump'}("out ${k} ${j}", out${j}, ${n});`));
    L.push('    }');
  });
  L.push('    printf("done\\n");\n    return 0;\n}\n');
  return L.join('\n');
}

function parseOutput(stdout: string, cases: GoldenCase[], spec: HarnessSpec): CaseRun[] {
  const nOut = spec.outputSizes.length;
  const res: CaseRun[] = cases.map((c) => ({ name: c.name, outputs: new Array<Uint8Array | Int16Array>(nOut) }));
  let layers: number[] = [];
  for (const line of stdout.split('\n')) {
    const l = /^layer (\d+) (\d+)$/.exec(line.trim());
    if (l) layers[+l[1]] = Number(l[2]);
    const m = /^out (\d+) (\d+) ([0-9a-f]*)$/.exec(line.trim());
    if (m) {
      const hex = m[3];
      if (spec.outputTypes[+m[2]] === 'int16_t') {
        const v = new Int16Array(hex.length / 4);
        for (let i = 0; i < v.length; i++) v[i] = parseInt(hex.slice(4 * i, 4 * i + 4), 16); // wraps to signed
        if (res[+m[1]]) res[+m[1]].outputs[+m[2]] = v;
        continue;
      }
      const b = new Uint8Array(hex.length / 2);
      for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      res[+m[1]].outputs[+m[2]] = b;
    }
    const t = /^instret (\d+) (\d+)$/.exec(line.trim());
    if (t) {
      res[+t[1]].instret = Number(t[2]);
      if (layers.length) res[+t[1]].layers = layers;
      layers = [];
    }
  }
  if (!stdout.includes('done')) fail('EF4004', 'the verification program did not finish', { notes: [stdout.slice(-2000)] });
  return res;
}

export function cSources(files: Record<string, string>): string[] {
  return Object.keys(files).filter((f) => f.endsWith('.c'));
}

function writeAll(dir: string, files: Record<string, string>) {
  mkdirSync(dir, { recursive: true });
  for (const [f, s] of Object.entries(files)) writeFileSync(join(dir, f), s);
}

export interface VerifyOptions {
  workDir?: string;
  keep?: boolean;
  /** rv32 only: build with -DESPFORGE_PROFILE and report per-layer instruction counts (CaseRun.layers). */
  profile?: boolean;
}

/** Compile and run on the host; `sanitize` adds ASan + UBSan with no recovery. */
export function runHost(files: Record<string, string>, spec: HarnessSpec, cases: GoldenCase[], sanitize: boolean, o: VerifyOptions = {}): VerifyRun {
  requireTool('gcc', 'host C compiler');
  const dir = o.workDir ?? mkdtempSync(join(tmpdir(), 'espforge-host-'));
  try {
    writeAll(dir, { ...files, 'espforge_test_main.c': harnessSource(spec, cases, false) });
    const srcs = [...cSources(files), 'espforge_test_main.c'];
    const flags = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-I.'];
    // -O0 for the sanitizer build: UBSan's checks make gcc -O1 about 6x slower on the kernels file (person_detect:
    // 6.9 s vs 1.1 s of CPU) while the checks themselves are the same; the run is slower but a small share
    if (sanitize) flags.push('-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g', '-O0');
    compileOrFail('gcc', [...flags, ...srcs, '-o', 'prog'], dir, `host build${sanitize ? ' (sanitizers)' : ''}`);
    const r = run(join(dir, 'prog'), [], { cwd: dir, timeoutMs: 600000 });
    if (r.status !== 0)
      fail('EF4004', `generated code failed at run time on the host${sanitize ? ' under ASan/UBSan' : ''} (exit ${r.status})`, {
        notes: [r.stderr.split('\n').slice(0, 30).join('\n')],
      });
    return { target: sanitize ? 'host-sanitize' : 'host', cases: parseOutput(r.stdout, cases, spec) };
  } finally {
    if (!o.keep && !o.workDir) rmSync(dir, { recursive: true, force: true });
  }
}

export const RV32_GCC = 'riscv64-unknown-elf-gcc';
export const QEMU_RV32 = 'qemu-system-riscv32';

/** Cross-compile for rv32imc bare metal (picolibc, semihosting) and run under QEMU virt with -icount. */
export function runRv32(files: Record<string, string>, spec: HarnessSpec, cases: GoldenCase[], o: VerifyOptions = {}): VerifyRun {
  requireTool(RV32_GCC, 'RISC-V cross compiler');
  requireTool(QEMU_RV32, 'RISC-V emulator');
  const dir = o.workDir ?? mkdtempSync(join(tmpdir(), 'espforge-rv32-'));
  try {
    writeAll(dir, { ...files, 'espforge_test_main.c': harnessSource(spec, cases, true, o.profile) });
    const srcs = [...cSources(files), 'espforge_test_main.c'];
    const flags = [
      '-march=rv32imc', '-mabi=ilp32', '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-I.', ...(o.profile ? ['-DESPFORGE_PROFILE'] : []),
      '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
      // QEMU virt: RAM at 0x80000000; code+rodata in the first 8 MB, data/bss/stack in the next 8 MB.
      '-Wl,--defsym=__flash=0x80000000', '-Wl,--defsym=__flash_size=0x800000',
      '-Wl,--defsym=__ram=0x80800000', '-Wl,--defsym=__ram_size=0x800000', '-Wl,--defsym=__stack_size=0x10000',
    ];
    compileOrFail(RV32_GCC, [...flags, ...srcs, '-o', 'prog.elf'], dir, 'rv32 build');
    // sizes of the model library alone (its objects, not the test program or libc): text includes rodata (weights)
    const libSrcs = cSources(files);
    compileOrFail(RV32_GCC, ['-march=rv32imc', '-mabi=ilp32', '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-I.', '--specs=picolibc.specs', '-c', ...libSrcs], dir, 'rv32 library objects');
    const sz = run('riscv64-unknown-elf-size', ['-t', ...libSrcs.map((f) => f.replace(/\.c$/, '.o'))], { cwd: dir, timeoutMs: 30000 });
    let sizes: VerifyRun['sizes'];
    const m = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+\(TOTALS\)/.exec(sz.stdout);
    if (sz.status === 0 && m) sizes = { text: +m[1], data: +m[2], bss: +m[3] };
    const r = run(
      QEMU_RV32,
      ['-machine', 'virt', '-bios', 'none', '-nographic', '-icount', 'shift=0', '-semihosting-config', 'enable=on,target=native', '-kernel', 'prog.elf'],
      { cwd: dir, timeoutMs: 900000 },
    );
    if (r.status !== 0)
      fail('EF4004', `generated code failed under qemu-system-riscv32 (exit ${r.status})`, { notes: [(r.stderr + r.stdout).slice(-2000)] });
    // semihosting console writes go to QEMU's stderr when it is not a terminal
    return { target: 'rv32', cases: parseOutput(r.stdout + '\n' + r.stderr, cases, spec), sizes };
  } finally {
    if (!o.keep && !o.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
