// Flash figures against real firmware: the person_detect app built with real ESP-IDF v5.5.5 for esp32c3 is
// 456,032 B (size tool on the link map), with weights 223,912 B and requantization tables 43,808 B of rodata
// (../shared/docs/TARGETS.md "Checker rules", issue 11) - peer measurements the report must reproduce.
// Also: MINIMAL_BUILD is generated behind a version guard, and the ESP-IDF stand-in is labelled a smoke test and
// compiles with ESP-IDF's C options (gnu17), so it rejects what ESP-IDF rejects there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildProject } from '../../src/pipeline/build.js';
import { FIRMWARE_BASELINES } from '../../src/targets/firmware.js';
import { checkIdfProjectOnHost, DEFAULT_SHIM_C_OPTIONS } from '../../src/verify/idf-shim.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { tinyConvModel } from './tiny-models.js';

const REAL_APP = 456_032;

test('person_detect on esp32c3: the report predicts the real ESP-IDF app image within 5%, weights and tables exactly, and says which figures are estimates', (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tflm-person-detect', 'person_detect.tflite');
  if (!model) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-flash-'));
  try {
    const out = join(tmp, 'p');
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), 'build', model, '--target', 'esp32c3', '--out', out, '--json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).flash;
    assert.ok(Math.abs(f.total - REAL_APP) / REAL_APP < 0.05, `predicted ${f.total} B vs ${REAL_APP} B measured`);
    assert.equal(f.weights.bytes, 223_912);
    assert.equal(f.weights.kind, 'exact');
    assert.equal(f.tables.bytes, 43_808);
    assert.equal(f.tables.kind, 'exact');
    assert.equal(f.baseline.bytes, 164_224);
    assert.equal(f.baseline.kind, 'measured');
    if (hasTool('riscv64-unknown-elf-gcc')) {
      assert.equal(f.code.kind, 'measured');
      assert.ok(Math.abs(f.code.bytes - 14_660) / 14_660 < 0.15, `code ${f.code.bytes} vs 14,660 B in the real app`);
    }
    assert.ok(f.margin > 0 && f.margin < 0.05 * REAL_APP);
    assert.equal(f.totalMinimalBuild, f.total - 164_224 + 134_096);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\| weights \| 223912 \| exact \|/);
    assert.match(md, /firmware without the model \(esp32c3, IDF v5\.5\.5\) \| 164224 \| measured/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('baselines: esp32c3 is the measured one (with its IDF version and source); every other chip is labelled an estimate; a build on them says so', () => {
  assert.equal(FIRMWARE_BASELINES.esp32c3.measured, true);
  assert.match(FIRMWARE_BASELINES.esp32c3.source, /v5\.5\.5/);
  for (const [id, b] of Object.entries(FIRMWARE_BASELINES))
    if (id !== 'esp32c3') {
      assert.equal(b.measured, false, id);
      assert.match(b.source, /estimate/, id);
      assert.ok(b.margin >= 0.2, id);
    }
  const r = buildProject(tinyConvModel(), { target: 'esp32s3', dryRun: true });
  assert.equal(r.report!.flash.baseline.kind, 'estimated');
  assert.equal(r.report!.flash.code.kind, 'estimated', 'the library call does not measure unless asked');
  assert.match(r.files['report.md'], /\| firmware without the model \(esp32s3, IDF v5\.5\.5 \(not measured on this chip\)\) \| \d+ \| estimated \(±\d+\)/);
});

test('MINIMAL_BUILD is set for ESP-IDF >= 5.5 only; the stand-in is labelled a smoke test, uses ESP-IDF C options and rejects C that -std=gnu17 rejects', (t) => {
  const r = buildProject(tinyConvModel(), { target: 'esp32c3', dryRun: true, name: 'tiny' });
  const top = r.files['CMakeLists.txt'];
  const guard = top.indexOf('if(IDF_VERSION_MAJOR GREATER 5 OR (IDF_VERSION_MAJOR EQUAL 5 AND IDF_VERSION_MINOR GREATER_EQUAL 5))');
  assert.ok(guard > top.indexOf('include($ENV{IDF_PATH}/tools/cmake/project.cmake)'), 'after project.cmake defines the version');
  assert.ok(top.indexOf('idf_build_set_property(MINIMAL_BUILD ON)') > guard && top.indexOf('idf_build_set_property(MINIMAL_BUILD ON)') < top.indexOf('project(tiny_app)'));
  for (const o of ['-std=gnu17', '-Werror=all']) assert.ok(DEFAULT_SHIM_C_OPTIONS.includes(o), o);
  assert.ok(!DEFAULT_SHIM_C_OPTIONS.includes('-std=c99'));
  if (!hasTool('cmake') || !hasTool('gcc')) return t.skip('cmake/gcc missing');
  const tmp = mkdtempSync(join(tmpdir(), 'ef-shim-'));
  try {
    for (const [rel, text] of Object.entries(r.files)) {
      mkdirSync(dirname(join(tmp, rel)), { recursive: true });
      writeFileSync(join(tmp, rel), text);
    }
    // valid C99, but `typeof` is a keyword in GNU C: ESP-IDF (gnu17) refuses it, so must the stand-in
    const app = join(tmp, 'main/app_main.c');
    writeFileSync(app, readFileSync(app, 'utf8') + '\nint espforge_probe(void);\nint espforge_probe(void)\n{\n    int typeof = 1;\n    return typeof;\n}\n');
    const res = checkIdfProjectOnHost(tmp, { timeoutMs: 120_000 });
    assert.equal(res.ok, false);
    assert.equal(res.diagnostics[0].code, 'EF4003');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // the smoke-test label of a build's report is checked with the ESP-NN person_detect build (test/codegen/espnn.test.ts)
});
