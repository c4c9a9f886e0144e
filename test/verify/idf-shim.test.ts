// The generated ESP-IDF project configures, compiles (-std=c99 -Wall -Wextra -Werror) and runs on the host through
// the stand-in IDF (src/verify/idf-shim.ts), for real shared int8/uint8 models; broken CMakeLists files, a missing
// include or a wrong expected output are caught with the right code.

import { before, after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/import/index.js';
import { buildProject } from '../../src/codegen/build.js';
import { checkIdfProjectOnHost, DEFAULT_SHIM_C_OPTIONS, type IdfShimResult } from '../../src/verify/idf-shim.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { sharedPath } from '../helpers/shared.js';

function toolsOrSkip(t: TestContext): boolean {
  const missing = ['cmake', 'gcc'].filter((x) => !hasTool(x));
  if (!missing.length) return true;
  if (process.env.CI === 'true') throw new Error(`${missing.join(', ')} missing under CI`);
  t.skip(`${missing.join(', ')} not found: the ESP-IDF host shim cannot run`);
  return false;
}

let tmp = '';
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ef-idfshim-test-'));
});
after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Build the ESP-IDF project of a shared model into tmp/<dir>; returns the folder and the model prefix. */
async function generate(t: TestContext, rel: string, dir: string): Promise<{ out: string; name: string } | undefined> {
  const model = sharedPath(t, 'models', 'tflite', ...rel.split('/'));
  if (!model) return undefined;
  const out = join(tmp, dir);
  const r = buildProject(await loadModel(model), { target: 'esp32s3', out, modelFile: model });
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  return { out, name: r.report!.name };
}

const why = (r: IdfShimResult) => JSON.stringify(r.diagnostics, null, 1) + '\n' + r.buildLog.slice(-1500) + r.runOutput;

describe('generated ESP-IDF projects on the host shim', () => {
  for (const [rel, signed] of [
    ['tinymaix/mnist_valid_q.tflite', true],
    ['tflm-person-detect/person_detect.tflite', true],
    ['tvm-mnist-quant/mnist_model_quant.tflite', false],
  ] as const) {
    test(`${rel}: configures, compiles with ${DEFAULT_SHIM_C_OPTIONS.join(' ')}, prints PASS and the simulator's class`, async (t) => {
      if (!toolsOrSkip(t)) return;
      const g = await generate(t, rel, rel.replace(/[/.]/g, '_'));
      if (!g) return;
      const before = readFileSync(join(g.out, 'main/app_main.c'), 'utf8');
      const r = checkIdfProjectOnHost(g.out, { timeoutMs: 120000 });
      assert.equal(r.ok, true, why(r));
      assert.match(r.runOutput, new RegExp(`^${g.name}: PASS`, 'm'));
      // the class app_main prints is the argmax (first maximum) of the simulator's output recorded in report.json
      const rep = JSON.parse(readFileSync(join(g.out, 'report.json'), 'utf8')) as { golden: { expected: number[][] }[] };
      const exp = rep.golden[0].expected[0].map((b) => (signed && b > 127 ? b - 256 : b));
      let best = 0;
      exp.forEach((v, i) => (v > exp[best] ? (best = i) : 0));
      assert.match(r.runOutput, new RegExp(`^${g.name}: predicted class ${best},`, 'm'));
      assert.equal(readFileSync(join(g.out, 'main/app_main.c'), 'utf8'), before, 'the project folder is only read');
    });
  }

  describe('broken projects are caught', () => {
    let base: { out: string; name: string } | undefined;
    let n = 0;
    /** A fresh copy of the mnist_valid_q project with `edit` applied to one file. */
    async function broken(t: TestContext, file: string, edit: (s: string, name: string) => string): Promise<IdfShimResult | undefined> {
      if (!toolsOrSkip(t)) return undefined;
      base ??= await generate(t, 'tinymaix/mnist_valid_q.tflite', 'base');
      if (!base) return undefined;
      const dir = join(tmp, `broken-${n++}`);
      cpSync(base.out, dir, { recursive: true });
      const f = join(dir, file.replace('NAME', base.name));
      const s = readFileSync(f, 'utf8');
      const e = edit(s, base.name);
      assert.notEqual(e, s, 'the edit changed the file');
      writeFileSync(f, e);
      return checkIdfProjectOnHost(dir, { timeoutMs: 120000 });
    }
    const codeOf = (r: IdfShimResult) => r.diagnostics.map((d) => d.code);
    const notes = (r: IdfShimResult) => r.diagnostics.flatMap((d) => d.notes).join('\n');

    test('misspelt file name in the component SRCS → EF4003 at configure', async (t) => {
      const r = await broken(t, 'components/NAME/CMakeLists.txt', (s, name) => s.replace(`"${name}_weights.c"`, `"${name}_weigths.c"`));
      if (!r) return;
      assert.equal(r.ok, false);
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(r.diagnostics[0].message, /configure/);
      assert.match(notes(r), /_weigths\.c/);
    });

    test('misspelt idf_component_register keyword → EF4003 naming the unknown argument', async (t) => {
      const r = await broken(t, 'components/NAME/CMakeLists.txt', (s) => s.replace('idf_component_register(SRCS', 'idf_component_register(SRC'));
      if (!r) return;
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(notes(r), /unknown argument/);
    });

    test('main no longer REQUIRES esp_timer → EF4003 (esp_timer is not an implicit requirement, as in ESP-IDF)', async (t) => {
      const r = await broken(t, 'main/CMakeLists.txt', (s) => s.replace(/ esp_timer\)/, ')'));
      if (!r) return;
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(notes(r), /esp_timer\.h/);
    });

    test('a required component that does not exist → EF4003', async (t) => {
      const r = await broken(t, 'main/CMakeLists.txt', (s) => s.replace(/ esp_timer\)/, ' esp_timer esp_nn_missing)'));
      if (!r) return;
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(notes(r), /esp_nn_missing/);
    });

    test('#include "esp_timer.h" deleted from app_main.c → EF4003 (implicit declaration is an error)', async (t) => {
      const r = await broken(t, 'main/app_main.c', (s) => s.replace('#include "esp_timer.h"\n', ''));
      if (!r) return;
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(notes(r), /esp_timer_get_time/);
    });

    test('one byte of the embedded expected output changed → EF4004 (app_main prints FAIL)', async (t) => {
      const r = await broken(t, 'main/app_main.c', (s) =>
        s.replace(/(expected_output\[[A-Z0-9_]+\] = \{\s*)(-?\d+)/, (_m, pre: string, v: string) => `${pre}${+v === 0 ? 1 : +v - 1}`),
      );
      if (!r) return;
      assert.deepEqual(codeOf(r), ['EF4004']);
      assert.match(r.diagnostics[0].message, /FAIL/);
    });

    test('sdkconfig.defaults must exist → EF4003', async (t) => {
      if (!toolsOrSkip(t)) return;
      base ??= await generate(t, 'tinymaix/mnist_valid_q.tflite', 'base');
      if (!base) return;
      const dir = join(tmp, `broken-${n++}`);
      cpSync(base.out, dir, { recursive: true });
      rmSync(join(dir, 'sdkconfig.defaults'));
      const r = checkIdfProjectOnHost(dir, { timeoutMs: 120000 });
      assert.deepEqual(codeOf(r), ['EF4003']);
      assert.match(notes(r), /sdkconfig\.defaults/);
    });
  });

  test('missing cmake → EF4002, not a crash', () => {
    const r = checkIdfProjectOnHost(tmp, { cmake: 'espforge-no-such-cmake' });
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0].code, 'EF4002');
  });

  // project.ts writes the int8 expected output of app_main.c as unsigned bytes (e.g. 131 for -125) into an int8_t
  // array: implementation-defined conversion, rejected by -Wpedantic (-Woverflow) and clang's -Wconstant-conversion.
  test('app_main.c is clean under -Wpedantic too', { todo: 'project.ts: int8 expected_output written as 0..255 (reported to the lead)' }, async (t) => {
    if (!toolsOrSkip(t)) return;
    const g = await generate(t, 'tinymaix/mnist_valid_q.tflite', 'pedantic');
    if (!g) return;
    const r = checkIdfProjectOnHost(g.out, { timeoutMs: 120000, cOptions: [...DEFAULT_SHIM_C_OPTIONS, '-Wpedantic'] });
    assert.equal(r.ok, true, why(r));
  });
});
