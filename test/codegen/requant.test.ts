// The C kernels' fast requantization (kernels.c section rq: mulhsu-based SRDHM, remainder-based RDBPOT, table
// encoding from emit.ts rqTable, read through ef_rq_ch / ef_rq_ch2 / ef_rq_at; ef_rq with the element-wise kernels'
// shift arguments) against the TypeScript fixed-point functions: mbqm (the simulator's) and
// mbqmRef (BigInt, written from the formula). Randomised cases over the whole int32 accumulator range, all
// shifts -31..31 and multipliers in [0, 2^31) with the edge values, on the host (gcc) and, for a subset, on
// rv32imc under QEMU where the product compiles to mulhsu.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelFiles } from '../../src/codegen/c/kernels.js';
import { rqTable } from '../../src/codegen/c/emit.js';
import { mbqm, mbqmRef } from '../../src/arith/fixedpoint.js';
import { hasTool, compileOrFail, run } from '../../src/verify/toolchain.js';
import { RV32_GCC, QEMU_RV32 } from '../../src/verify/host.js';
import { cArrayBody } from '../../src/codegen/common/cwriter.js';

interface Case {
  acc: number;
  m: number;
  s: number;
  zp: number;
  lo: number;
  hi: number;
}

function cases(n: number, seed: number): Case[] {
  let st = seed >>> 0;
  const next = () => {
    st ^= st << 13;
    st >>>= 0;
    st ^= st >>> 17;
    st ^= st << 5;
    st >>>= 0;
    return st;
  };
  const pick = <T>(a: T[]) => a[next() % a.length];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const kind = next() % 8;
    const acc =
      kind === 0 ? pick([0, 1, -1, 2147483647, -2147483648, 2147483646, -2147483647, 1 << 30, -(1 << 30)])
      : kind <= 3 ? next() | 0
      : kind <= 5 ? ((next() % (1 << 21)) - (1 << 20)) | 0
      : ((next() % 4096) - 2048) | 0;
    const mk = next() % 6;
    const m = mk === 0 ? pick([0, 1, 1 << 30, 2147483647, (1 << 30) + 1]) : mk === 1 ? next() >>> 1 : (1 << 30) + (next() % (1 << 30));
    const sk = next() % 4;
    const s = sk === 0 ? (next() % 63) - 31 : sk === 1 ? pick([0, -1, 1, -31, 31, 30, -30]) : -((next() % 14) + 0) + 1;
    const zp = (next() % 256) - 128;
    const [lo, hi] = pick([[-128, 127], [zp, 127], [-128, 0], [-20, 90]]);
    out.push({ acc, m, s, zp, lo: Math.min(lo, hi), hi: Math.max(lo, hi) });
  }
  return out;
}

const expected = (c: Case) => Math.min(c.hi, Math.max(c.lo, (mbqmRef(c.acc, c.m, c.s) + c.zp) | 0)); // zero point added with int32 wrap

/** C program: the rq section plus a loop over embedded cases printing one result per line. */
function program(cs: Case[]): string {
  const k = kernelFiles(['rq'], 'ef', '');
  const t = rqTable(
    cs.map((c) => c.m),
    cs.map((c) => c.s),
  );
  const io: number[] = [];
  const sh: number[] = []; // ef_rq's own shift arguments (the element-wise kernels' form)
  for (const c of cs) {
    const r = Math.max(-c.s, 0);
    io.push(c.acc, c.zp, c.lo, c.hi);
    sh.push(Math.max(c.s, 0), r, (2 ** r - 1) >>> 1);
  }
  return (
    k.source.replace('#include "espforge_kernels.h"', '#include <stdint.h>\n#include <stddef.h>\n#include <stdio.h>') +
    `\nstatic const int32_t tm[${cs.length}] = {\n${cArrayBody(t.m, 8)}\n};\n` +
    `static const uint8_t ts[${cs.length}] = {\n${cArrayBody(t.s, 16)}\n};\n` +
    `static const int32_t io[${io.length}] = {\n${cArrayBody(io, 8)}\n};\n` +
    `static const int32_t sh[${sh.length}] = {\n${cArrayBody(sh, 8)}\n};\n` +
    `int main(void)\n{\n    int i;\n    for (i = 0; i < ${cs.length}; ++i) {\n` +
    `        const ef_rqt tab = {tm, ts};\n` +
    `        const int32_t *p = io + 4 * i, *r = sh + 3 * i;\n` +
    `        int32_t raw = ef_rq(p[0], (uint32_t)tm[i], r[0], r[1], r[2]);\n` +
    `        int8_t a, b;\n        int8_t c = ef_rq_ch(p[0], tab, i, p[1], p[2], p[3]);\n` +
    `        ef_rq_ch2(p[0], p[0] ^ 0x5a5a, &a, &b, ef_rq_at(tab, i), 0, p[1], p[2], p[3]);\n` +
    `        printf("%ld %d %d %d\\n", (long)raw, c, a, b);\n    }\n    printf("done\\n");\n    return 0;\n}\n`
  );
}

function check(cs: Case[], stdout: string) {
  const lines = stdout.split('\n');
  assert.ok(stdout.includes('done'), 'program finished');
  let bad = 0;
  cs.forEach((c, i) => {
    const [raw, ch, a, b] = lines[i].trim().split(' ').map(Number);
    const ref = mbqmRef(c.acc, c.m, c.s);
    const ok =
      raw === ref &&
      raw === mbqm(c.acc, c.m, c.s) &&
      ch === expected(c) &&
      a === expected(c) &&
      b === expected({ ...c, acc: c.acc ^ 0x5a5a });
    if (!ok && bad++ < 5) assert.fail(`case ${i} acc=${c.acc} M=${c.m} S=${c.s}: C ${raw}/${ch}/${a}/${b}, reference ${ref}/${expected(c)}`);
  });
}

test('fast requantization equals MultiplyByQuantizedMultiplier (BigInt reference) on the host', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found');
    return;
  }
  const cs = cases(60000, 12345);
  const dir = mkdtempSync(join(tmpdir(), 'espforge-rq-'));
  try {
    writeFileSync(join(dir, 'rq.c'), program(cs));
    compileOrFail('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-fsanitize=undefined', '-fno-sanitize-recover=all', 'rq.c', '-o', 'rq'], dir, 'rq test');
    const r = run(join(dir, 'rq'), [], { cwd: dir, timeoutMs: 60000 });
    assert.equal(r.status, 0, r.stderr);
    check(cs, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fast requantization equals the reference on rv32imc (mulhsu) under QEMU', (t) => {
  if (!hasTool(RV32_GCC) || !hasTool(QEMU_RV32)) {
    if (process.env.CI === 'true') throw new Error('rv32 toolchain missing under CI');
    t.skip('rv32 toolchain not found');
    return;
  }
  const cs = cases(4000, 777);
  const dir = mkdtempSync(join(tmpdir(), 'espforge-rq-rv32-'));
  try {
    writeFileSync(join(dir, 'rq.c'), program(cs));
    compileOrFail(
      RV32_GCC,
      ['-march=rv32imc', '-mabi=ilp32', '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
        '-Wl,--defsym=__flash=0x80000000', '-Wl,--defsym=__flash_size=0x800000', '-Wl,--defsym=__ram=0x80800000', '-Wl,--defsym=__ram_size=0x800000',
        'rq.c', '-o', 'rq.elf'],
      dir,
      'rq rv32 test',
    );
    const r = run(QEMU_RV32, ['-machine', 'virt', '-bios', 'none', '-nographic', '-semihosting-config', 'enable=on,target=native', '-kernel', 'rq.elf'], { cwd: dir, timeoutMs: 120000 });
    assert.equal(r.status, 0, r.stderr.slice(-500));
    check(cs, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
