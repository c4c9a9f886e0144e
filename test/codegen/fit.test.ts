import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProject } from '../../src/pipeline/build.js';
import { bigFcModel, wideConvModel } from './tiny-models.js';
import { checkChip } from '../../src/targets/fit.js';
import { firmwareBaseline } from '../../src/targets/firmware.js';
import { chip } from '../../src/targets/chips.js';

test('weights above the 1 MB app partition: custom partitions.csv with a larger factory partition', () => {
  const g = bigFcModel(1200, 1000); // 1.2 MB of int8 weights
  const r = buildProject(g, { target: 'esp32', dryRun: true });
  assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
  const csv = r.files['partitions.csv'];
  assert.ok(csv, 'partitions.csv emitted');
  const m = /factory,\s*app,\s*factory,\s*0x10000,\s*0x([0-9a-f]+)/.exec(csv);
  assert.ok(m);
  const size = parseInt(m[1], 16);
  assert.ok(size >= firmwareBaseline('esp32').bytes + 1200 * 1000, `factory partition ${size} holds firmware + weights`);
  assert.ok(size % 0x10000 === 0);
  assert.match(r.files['sdkconfig.defaults'], /CONFIG_PARTITION_TABLE_CUSTOM=y/);
});

test('a small model keeps the default partition table', () => {
  const g = bigFcModel(64, 10);
  const r = buildProject(g, { target: 'esp32c3', dryRun: true });
  assert.equal(r.ok, true);
  assert.equal(r.files['partitions.csv'], undefined);
  assert.match(r.files['sdkconfig.defaults'], /CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160=y/);
});

test('activations above the ESP32 static DRAM cap: EF4001 on esp32, fits on esp32s3', () => {
  // 126 KB activations: one alone is over the ~113 KB block, even with the second conv writing over its dying input
  const g = wideConvModel(96, 96, 14);
  const bad = buildProject(g, { target: 'esp32', dryRun: true });
  assert.equal(bad.ok, false);
  const e = bad.diagnostics.find((d) => d.code === 'EF4001' && d.severity === 'error');
  assert.ok(e, JSON.stringify(bad.diagnostics));
  assert.match(e.message, /largest contiguous internal block of ESP32/);
  assert.match(e.suggestion ?? '', /esp32s3/);
  const ok = buildProject(g, { target: 'esp32s3', dryRun: true });
  assert.equal(ok.ok, true, JSON.stringify(ok.diagnostics));
  assert.ok(ok.report!.arenaBytes > 126 * 1024 && ok.report!.arenaBytes >= ok.report!.arenaLowerBound);
});

test('flash beyond the module: EF4001 names the budget', () => {
  const fit = checkChip(chip('esp32c3'), { weightBytes: 5 * 1024 * 1024, codeBytes: 0, arenaBytes: 1000, layers: [{ name: 'big', weightBytes: 5 * 1024 * 1024 }] });
  assert.equal(fit.fits, false);
  assert.match(fit.problems.join(' '), /flash/);
  assert.match(fit.warnings.join(' '), /data cache/);
});

test('unknown chip → EF4006 with a suggestion', () => {
  const r = buildProject(bigFcModel(4, 2), { target: 'esp32s4', dryRun: true });
  assert.equal(r.ok, false);
  assert.equal(r.diagnostics[0].code, 'EF4006');
});
