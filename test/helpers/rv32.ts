// Run a generated C library on rv32imc under QEMU (src/verify/host.ts runRv32) and compare every output with
// the cases' expected values (the integer simulator). Skips with a diagnostic when the cross toolchain or QEMU
// is missing, except under CI=true where that is a failure.

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { hasTool } from '../../src/verify/toolchain.js';
import { QEMU_RV32, RV32_GCC, runRv32, type GoldenCase, type HarnessSpec } from '../../src/verify/host.js';

export function rv32Available(t: TestContext): boolean {
  if (hasTool(RV32_GCC) && hasTool(QEMU_RV32)) return true;
  if (process.env.CI === 'true') throw new Error('rv32 toolchain missing under CI');
  t.diagnostic(`${RV32_GCC} or ${QEMU_RV32} missing: rv32 part skipped (EF4002)`);
  return false;
}

/** Byte/element equality with the expected outputs; the message names the first differing element. */
export function checkRv32(t: TestContext, label: string, files: Record<string, string>, spec: HarnessSpec, cases: GoldenCase[]): void {
  if (!rv32Available(t)) return;
  const rv = runRv32(files, spec, cases);
  assert.equal(rv.cases.length, cases.length, `${label} rv32: number of cases run`);
  rv.cases.forEach((c, k) => {
    const want = cases[k].expected!;
    c.outputs.forEach((o, j) => {
      const got = Array.from(o);
      const exp = Array.from(want[j]);
      const i = got.findIndex((v, n) => v !== exp[n]);
      assert.ok(
        got.length === exp.length && i < 0,
        `${label} rv32 case ${k} output ${j}: ` + (i < 0 ? `length ${got.length} vs ${exp.length}` : `first difference at element ${i}: rv32 ${got[i]}, simulator ${exp[i]}`),
      );
    });
  });
  t.diagnostic(`${label} rv32: ${cases.length} cases equal the simulator; instructions per inference ${rv.cases[0].instret}`);
}
