// Real material: every shared int8 TFLite model → generated C, compiled once per model, all TFLM reference
// cases run in one process. Output bytes must equal the integer simulator AND the TFLM reference outputs in
// ../shared/reference/tflm, on the host (gcc -O2 -Werror), under ASan/UBSan, and for a subset on rv32imc
// under QEMU.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sharedPath } from '../helpers/shared.js';
import { findModel, refCases, TFLM_MODELS } from '../helpers/tflm-models.js';
import { loadModel } from '../../src/import/index.js';
import { prepareIntGraph } from '../../src/sim/int.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, simulate } from '../../src/pipeline/build.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runHost, runRv32, RV32_GCC, QEMU_RV32 } from '../../src/verify/host.js';

/** Models also run on rv32 (the others: host and ASan/UBSan). */
const RV32 = new Set(['hello_world_int8', 'yes_no', 'mnist_model_quant', 'person_detect', 'mnist_dw_q']);
const MODELS = TFLM_MODELS.map((m) => ({ ...m, rv32: RV32.has(m.ref.split('/').pop()!) }));

const bytesOf = (a: ArrayLike<number>) => Array.from(a, (v) => v & 0xff);

for (const m of MODELS) {
  test(`generated C is bit-exact with the simulator and TFLM: ${m.model}`, async (t) => {
    const root = sharedPath(t, '');
    if (!root) return;
    if (!hasTool('gcc')) {
      if (process.env.CI === 'true') throw new Error('gcc missing under CI');
      t.skip('gcc not found (EF4002)');
      return;
    }
    const g = prepareIntGraph(await loadModel(findModel(root, m.model)));
    const inSize = g.tensors[g.inputs[0]].shape.reduce((a, b) => a * b, 1);
    const outSize = g.tensors[g.outputs[0]].shape.reduce((a, b) => a * b, 1);
    const cases = refCases(join(root, 'reference', 'tflm', m.ref), inSize, outSize);
    // the simulator agrees with TFLM (the oracle for the C)
    for (const c of cases) assert.deepEqual(bytesOf(simulate(g, c.inputs)[0]), bytesOf(c.expected![0]), `simulator vs TFLM, case ${c.name}`);
    const e = emitC(g, { name: m.model.split('/').pop()!, modelFile: m.model.split('/').pop() });
    const spec = harnessSpec(g, e.prefix);
    const check = (label: string, outs: ArrayLike<number>[][]) =>
      outs.forEach((o, k) => assert.deepEqual(Array.from(o[0]), bytesOf(cases[k].expected![0]), `${label}: case ${cases[k].name}`));
    check('host', runHost(e.files, spec, cases, false).cases.map((c) => c.outputs));
    check('host ASan/UBSan', runHost(e.files, spec, cases.slice(0, 3), true).cases.map((c) => c.outputs));
    if (m.rv32) {
      if (!hasTool(RV32_GCC) || !hasTool(QEMU_RV32)) {
        if (process.env.CI === 'true') throw new Error('rv32 toolchain missing under CI');
        t.diagnostic('rv32 toolchain missing: rv32 part skipped (EF4002)');
        return;
      }
      const rv = runRv32(e.files, spec, cases.slice(0, 2));
      check('rv32', rv.cases.map((c) => c.outputs));
      t.diagnostic(`rv32 instructions per inference: ${rv.cases[0].instret}; arena ${e.plan.arenaSize} B`);
    }
  });
}
