// Several generated model libraries linked into ONE verification program: each model's files sit in their own
// folder (its sources include their own headers by relative path; every symbol carries the model's prefix, so
// they link together), one generated main runs every model's golden cases and prints the output bytes. One
// compiler run and one process for many models is what makes corpus-wide verification (hundreds of models)
// affordable; src/verify/host.ts is the one-model version used by `build --verify`.
//
// Output lines: `out <model> <case> <output> <hex>`. int8/uint8 outputs: one byte per element; int16: one 4-digit
// group per element (two's complement, independent of byte order); with `dequantize`, the library's float
// wrapper NAME_dequantize_output turns the quantized output into float32, dumped as its 4 bytes per element
// (little-endian on x86-64 and rv32).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail } from '../diagnostics.js';
import { cArrayBody } from '../codegen/common/cwriter.js';
import { cSources, QEMU_RV32, RV32_GCC, type GoldenCase, type HarnessSpec } from './host.js';
import { requireTool, type RunResult } from './toolchain.js';

export interface HarnessModel {
  /** Folder name inside the build directory (a C identifier is safest). */
  dir: string;
  /** The generated library (emitC files). */
  files: Record<string, string>;
  spec: HarnessSpec;
  cases: GoldenCase[];
  /** Per output: print NAME_dequantize_output(...) as float32 bytes instead of the quantized values. */
  dequantize?: boolean[];
}

export type MultiTarget = 'host' | 'host-sanitize' | 'rv32';

/** Per model, per case, per output: the bytes printed (float32 outputs as 4 bytes per element), or int16 values. */
export type MultiOutputs = (Uint8Array | Int16Array)[][][];

const ioName = (kind: 'input' | 'output', k: number, count: number) => (count === 1 ? kind : `${kind}${k}`);

export function multiHarnessSource(models: HarnessModel[]): string {
  const L: string[] = [];
  L.push('/* espforge verification harness: several generated models in one program, golden inputs embedded. */');
  L.push('#include <stdint.h>\n#include <stdio.h>');
  for (const m of models) L.push(`#include "${m.dir}/${m.spec.prefix}.h"`);
  const any16 = models.some((m) => m.spec.outputTypes.some((t, j) => t === 'int16_t' && !m.dequantize?.[j]));
  const any8 = models.some((m) => m.spec.outputTypes.some((t, j) => t !== 'int16_t' || m.dequantize?.[j]));
  if (any8)
    L.push(
    '\nstatic void dump(int m, int c, int j, const void *p, int n)\n{\n    const uint8_t *b = (const uint8_t *)p;\n    int i;\n' +
      '    printf("out %d %d %d ", m, c, j);\n    for (i = 0; i < n; ++i) printf("%02x", (unsigned)b[i]);\n    printf("\\n");\n}\n',
  );
  if (any16)
    L.push(
    'static void dump16(int m, int c, int j, const int16_t *p, int n)\n{\n    int i;\n' +
      '    printf("out %d %d %d ", m, c, j);\n    for (i = 0; i < n; ++i) printf("%04x", (unsigned)(uint16_t)p[i]);\n    printf("\\n");\n}\n',
  );
  models.forEach((m, mi) => {
    const P = m.spec.prefix;
    const nIn = m.spec.inputTypes.length;
    const nOut = m.spec.outputSizes.length;
    L.push(`static int run_${mi}(void)\n{`);
    m.spec.outputSizes.forEach((n, j) => {
      L.push(`    static ${m.spec.outputTypes[j]} out${j}[${n}];`);
      if (m.dequantize?.[j]) L.push(`    static float fout${j}[${n}];`);
    });
    m.cases.forEach((c, k) => {
      c.inputs.forEach((inp, j) => L.push(`    static const ${m.spec.inputTypes[j]} c${k}_in${j}[${inp.length}] = {\n${cArrayBody(inp, 24)}\n    };`));
    });
    m.cases.forEach((c, k) => {
      const args = [...c.inputs.map((_, j) => `c${k}_in${j}`), ...m.spec.outputSizes.map((_, j) => `out${j}`)].join(', ');
      L.push(`    if (${P}_invoke(${args}) != 0) return 3;`);
      m.spec.outputSizes.forEach((n, j) => {
        if (m.dequantize?.[j]) {
          L.push(`    ${P}_dequantize_${ioName('output', j, nOut)}(out${j}, fout${j});`);
          L.push(`    dump(${mi}, ${k}, ${j}, fout${j}, ${4 * n});`);
        } else if (m.spec.outputTypes[j] === 'int16_t') L.push(`    dump16(${mi}, ${k}, ${j}, out${j}, ${n});`);
        else L.push(`    dump(${mi}, ${k}, ${j}, out${j}, ${n});`);
      });
    });
    void nIn;
    L.push('    return 0;\n}\n');
  });
  L.push('int main(void)\n{');
  models.forEach((_, mi) => L.push(`    if (run_${mi}() != 0) return 3;`));
  L.push('    printf("done\\n");\n    return 0;\n}\n');
  return L.join('\n');
}

function parse(stdout: string, models: HarnessModel[]): MultiOutputs {
  const res: MultiOutputs = models.map((m) => m.cases.map(() => new Array<Uint8Array | Int16Array>(m.spec.outputSizes.length)));
  for (const line of stdout.split('\n')) {
    const t = /^out (\d+) (\d+) (\d+) ([0-9a-f]*)$/.exec(line.trim());
    if (!t) continue;
    const [mi, k, j] = [+t[1], +t[2], +t[3]];
    const m = models[mi];
    if (!m || !res[mi][k]) continue;
    const hex = t[4];
    if (!m.dequantize?.[j] && m.spec.outputTypes[j] === 'int16_t') {
      const v = new Int16Array(hex.length / 4);
      for (let i = 0; i < v.length; i++) v[i] = parseInt(hex.slice(4 * i, 4 * i + 4), 16);
      res[mi][k][j] = v;
    } else {
      const b = new Uint8Array(hex.length / 2);
      for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      res[mi][k][j] = b;
    }
  }
  if (!stdout.includes('done')) fail('EF4004', 'the verification program did not finish', { notes: [stdout.slice(-2000)] });
  return res;
}

export interface MultiOptions {
  workDir?: string;
  keep?: boolean;
}

/** Run a command without blocking the event loop (so two builds can share two cores); never throws. */
function runAsync(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: -1, stdout: '', stderr: String(e.message) });
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by ${signal}` : '');
      resolve({ status: code ?? 128, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/**
 * Compile every model and the generated main into one program for `target`, run it, return the printed outputs.
 * Asynchronous: callers may run a few of these at once (one compiler process each).
 */
export async function runMany(models: HarnessModel[], target: MultiTarget, o: MultiOptions = {}): Promise<MultiOutputs> {
  const rv32 = target === 'rv32';
  const cc = rv32 ? RV32_GCC : 'gcc';
  requireTool(cc, rv32 ? 'RISC-V cross compiler' : 'host C compiler');
  if (rv32) requireTool(QEMU_RV32, 'RISC-V emulator');
  const seen = new Set<string>();
  for (const m of models) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.dir) || seen.has(m.dir)) fail('EF9001', `harness model folder '${m.dir}' is not a unique identifier`);
    seen.add(m.dir);
  }
  const dir = o.workDir ?? mkdtempSync(join(tmpdir(), `espforge-multi-${target}-`));
  try {
    const srcs: string[] = [];
    for (const m of models) {
      mkdirSync(join(dir, m.dir), { recursive: true });
      for (const [f, s] of Object.entries(m.files)) writeFileSync(join(dir, m.dir, f), s);
      srcs.push(...cSources(m.files).map((f) => `${m.dir}/${f}`));
    }
    writeFileSync(join(dir, 'espforge_multi_main.c'), multiHarnessSource(models));
    srcs.push('espforge_multi_main.c');
    const flags = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-I.'];
    if (target === 'host') flags.push('-O2');
    // -O0 as in runHost: the same sanitizer checks, several times faster to compile than -O1 with UBSan
    if (target === 'host-sanitize') flags.push('-O0', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all');
    if (rv32)
      flags.push(
        '-march=rv32imc', '-mabi=ilp32', '-O2', '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
        '-Wl,--defsym=__flash=0x80000000', '-Wl,--defsym=__flash_size=0x800000',
        '-Wl,--defsym=__ram=0x80800000', '-Wl,--defsym=__ram_size=0x800000', '-Wl,--defsym=__stack_size=0x10000',
      );
    const what = `${target} build of ${models.length} models (${models.map((m) => m.dir).join(' ')})`;
    const c = await runAsync(cc, [...flags, ...srcs, '-o', 'prog'], dir, 600000);
    if (c.status !== 0)
      fail('EF4003', `${what}: ${cc} failed (exit ${c.status})`, {
        notes: [c.stderr.split('\n').slice(0, 30).join('\n')],
        suggestion: 'this is a bug in espforge code generation; please report it with the model',
      });
    const r = rv32
      ? await runAsync(QEMU_RV32, ['-machine', 'virt', '-bios', 'none', '-nographic', '-icount', 'shift=0', '-semihosting-config', 'enable=on,target=native', '-kernel', 'prog'], dir, 900000)
      : await runAsync(join(dir, 'prog'), [], dir, 600000);
    if (r.status !== 0)
      fail('EF4004', `the ${target} verification program failed (exit ${r.status})`, { notes: [(r.stderr + '\n' + r.stdout).slice(-3000)] });
    // semihosting console writes go to QEMU's stderr when it is not a terminal
    return parse(rv32 ? r.stdout + '\n' + r.stderr : r.stdout, models);
  } finally {
    if (!o.keep && !o.workDir) rmSync(dir, { recursive: true, force: true });
  }
}
