// The generated ESP-IDF project configures, compiles (-std=c99 -Wall -Wextra -Werror) and runs on the host through
// the stand-in IDF (src/verify/idf-shim.ts), for real shared int8/uint8 models; broken CMakeLists files, a missing
// include or a wrong expected output are caught with the right code.

import { before, after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadModel } from '../../src/import/index.js';
import { buildProject } from '../../src/pipeline/build.js';
import { checkIdfProjectOnHost, DEFAULT_SHIM_C_OPTIONS, type IdfShimResult } from '../../src/verify/idf-shim.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { GraphBuilder } from '../../src/ir/graph.js';
import { prepareIntGraph } from '../../src/sim/int.js';
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

  test('stub IDF headers (log, FreeRTOS, esp_system, heap, attrs, sdkconfig.h) and SRC_DIRS / implicit main requirements', (t) => {
    if (!toolsOrSkip(t)) return;
    const dir = join(tmp, 'stubs');
    const files: Record<string, string> = {
      'CMakeLists.txt': 'cmake_minimum_required(VERSION 3.16)\ninclude($ENV{IDF_PATH}/tools/cmake/project.cmake)\nproject(stubs_app)\n',
      'sdkconfig.defaults': '# test\nCONFIG_IDF_TARGET="esp32c3"\nCONFIG_FREERTOS_HZ=100\nCONFIG_LOG_DEFAULT_LEVEL=3\n',
      // no REQUIRES: like ESP-IDF, main then depends on every project component
      'main/CMakeLists.txt': 'idf_component_register(SRCS "main.c")\n',
      'main/main.c': [
        '#include <stdio.h>',
        '#include "sdkconfig.h"',
        '#include "esp_log.h"',
        '#include "esp_attr.h"',
        '#include "esp_err.h"',
        '#include "esp_system.h"',
        '#include "esp_heap_caps.h"',
        '#include "freertos/FreeRTOS.h"',
        '#include "freertos/task.h"',
        '#include "helper.h"',
        'static const char *TAG = "stubs";',
        'void app_main(void)',
        '{',
        '    void *p = heap_caps_malloc(64, MALLOC_CAP_8BIT);',
        '    ESP_ERROR_CHECK(p ? ESP_OK : ESP_ERR_NO_MEM);',
        '    heap_caps_free(p);',
        '    vTaskDelay(pdMS_TO_TICKS(10));',
        '    ESP_LOGI(TAG, "twice %d", helper_twice(21));',
        '    ESP_LOGD(TAG, "debug is below the default level");',
        '    printf("target %s hz %d ticks %u heap %u\\n", CONFIG_IDF_TARGET, (int)configTICK_RATE_HZ, (unsigned)pdMS_TO_TICKS(1000), (unsigned)(esp_get_free_heap_size() > 0));',
        '    printf("stubs: PASS\\n");',
        '}',
        '',
      ].join('\n'),
      'components/helper/CMakeLists.txt': 'idf_component_register(SRC_DIRS "src"\n                       INCLUDE_DIRS "include"\n                       PRIV_REQUIRES esp_timer)\n',
      'components/helper/include/helper.h': 'int helper_twice(int x);\n',
      'components/helper/src/helper.c': '#include "helper.h"\n#include "esp_timer.h"\nint helper_twice(int x)\n{\n    return esp_timer_get_time() >= 0 ? 2 * x : 0;\n}\n',
      'components/not_a_component/README': 'no CMakeLists.txt here: ignored\n',
    };
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
    const r = checkIdfProjectOnHost(dir, { timeoutMs: 120000 });
    assert.equal(r.ok, true, why(r));
    assert.match(r.runOutput, /^I \(\d+\) stubs: twice 42$/m);
    assert.doesNotMatch(r.runOutput, /debug is below/);
    assert.match(r.runOutput, /^target esp32c3 hz 100 ticks 100 heap 1$/m);
    // esp_timer is PRIV_REQUIRES of helper: main cannot see esp_timer.h through it
    writeFileSync(join(dir, 'main/main.c'), '#include "esp_timer.h"\n' + files['main/main.c']);
    const bad = checkIdfProjectOnHost(dir, { timeoutMs: 120000 });
    assert.deepEqual(bad.diagnostics.map((d) => d.code), ['EF4003']);
    assert.match(bad.diagnostics[0].notes.join('\n'), /esp_timer\.h/);
    // an app_main that never returns is stopped at the time limit → EF4004
    writeFileSync(join(dir, 'main/main.c'), '#include "freertos/FreeRTOS.h"\n#include "freertos/task.h"\nvoid app_main(void)\n{\n    for (;;) vTaskDelay(portMAX_DELAY);\n}\n');
    const t0 = Date.now();
    const hang = checkIdfProjectOnHost(dir, { timeoutMs: 120000, runTimeoutMs: 1500 });
    assert.deepEqual(hang.diagnostics.map((d) => d.code), ['EF4004']);
    assert.match(hang.diagnostics[0].message, /timed out/);
    assert.ok(Date.now() - t0 < 60000);
  });

  test('missing cmake → EF4002, not a crash', () => {
    const r = checkIdfProjectOnHost(tmp, { cmake: 'espforge-no-such-cmake' });
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0].code, 'EF4002');
    assert.equal(r.diagnostics[0].severity, 'error');
    // as an extra check (build --verify host, verify DIR) a missing tool only warns
    const opt = checkIdfProjectOnHost(tmp, { cmake: 'espforge-no-such-cmake', optional: true });
    assert.deepEqual(opt.diagnostics.map((d) => [d.code, d.severity]), [['EF4002', 'warning']]);
  });

  // project.ts: for a model with several outputs (or inputs) app_main.c uses NAME_OUTPUT_SIZE / NAME_INPUT_SIZE (the
  // header then defines NAME_OUTPUT0_SIZE, ...) and calls NAME_invoke with two arguments: it does not compile.
  test('a two-output model: app_main.c compiles and runs', (t) => {
    if (!toolsOrSkip(t)) return;
    const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z], axis: 0 });
    const b = new GraphBuilder({ format: 'espforge', source: 'two_heads' });
    const x = b.tensor({ name: 'x', dtype: 'int8', shape: [1, 8], quant: q(0.05, 0) });
    const w1 = b.tensor({ name: 'w1', dtype: 'int8', shape: [3, 8], data: new Int8Array(24).map((_, i) => ((i * 7) % 11) - 5), quant: q(0.01, 0) });
    const w2 = b.tensor({ name: 'w2', dtype: 'int8', shape: [2, 8], data: new Int8Array(16).map((_, i) => ((i * 5) % 9) - 4), quant: q(0.01, 0) });
    const y1 = b.tensor({ name: 'y1', dtype: 'int8', shape: [1, 3], quant: q(0.02, 1) });
    const y2 = b.tensor({ name: 'y2', dtype: 'int8', shape: [1, 2], quant: q(0.02, -1) });
    b.inputs = [x];
    b.outputs = [y1, y2];
    b.node({ op: 'FullyConnected', name: 'fc1', inputs: [x, w1, -1], outputs: [y1], attrs: { activation: 'none' } });
    b.node({ op: 'FullyConnected', name: 'fc2', inputs: [x, w2, -1], outputs: [y2], attrs: { activation: 'none' } });
    const out = join(tmp, 'two_heads');
    const built = buildProject(prepareIntGraph(b.build()), { target: 'esp32', out });
    assert.equal(built.ok, true, JSON.stringify(built.diagnostics));
    const r = checkIdfProjectOnHost(out, { timeoutMs: 120000 });
    assert.equal(r.ok, true, why(r));
  });

  // project.ts writes the int8 expected output of app_main.c as unsigned bytes (e.g. 131 for -125) into an int8_t
  // array: implementation-defined conversion, rejected by -Wpedantic (-Woverflow) and clang's -Wconstant-conversion.
  test('app_main.c is clean under -Wpedantic too', async (t) => {
    if (!toolsOrSkip(t)) return;
    const g = await generate(t, 'tinymaix/mnist_valid_q.tflite', 'pedantic');
    if (!g) return;
    const r = checkIdfProjectOnHost(g.out, { timeoutMs: 120000, cOptions: [...DEFAULT_SHIM_C_OPTIONS, '-Wpedantic'] });
    assert.equal(r.ok, true, why(r));
  });
});
