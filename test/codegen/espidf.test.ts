import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject } from '../../src/pipeline/build.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { writeProject } from '../../src/codegen/espidf/project.js';
import { tinyConvModel } from './tiny-models.js';

test('build writes the PRODUCT.md layout; rebuild over own files is fine; edited files need force', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ef-idf-'));
  try {
    const out = join(tmp, 'proj');
    const r = buildProject(tinyConvModel(), { target: 'esp32s3', out, name: 'my-model' });
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    for (const f of [
      'CMakeLists.txt', 'sdkconfig.defaults', 'main/CMakeLists.txt', 'main/app_main.c',
      'components/my_model/CMakeLists.txt', 'components/my_model/idf_component.yml', 'components/my_model/include/my_model.h',
      'components/my_model/my_model.c', 'components/my_model/my_model_weights.c', 'components/my_model/espforge_kernels.c',
      'report.md', 'report.json',
    ])
      assert.ok(existsSync(join(out, f)), f);
    const app = readFileSync(join(out, 'main/app_main.c'), 'utf8');
    assert.match(app, /esp_timer_get_time/);
    assert.match(app, /PASS/);
    assert.match(readFileSync(join(out, 'components/my_model/CMakeLists.txt'), 'utf8'), /idf_component_register/);
    // deterministic: building again gives identical files
    const r2 = buildProject(tinyConvModel(), { target: 'esp32s3', out, name: 'my-model' });
    assert.equal(r2.ok, true, JSON.stringify(r2.diagnostics));
    assert.deepEqual(r2.files, r.files);
    // a user edit blocks the next build
    writeFileSync(join(out, 'main/app_main.c'), app + '\n/* my change */\n');
    const r3 = buildProject(tinyConvModel(), { target: 'esp32s3', out, name: 'my-model' });
    assert.equal(r3.ok, false);
    assert.equal(r3.diagnostics[0].code, 'EF0005');
    assert.match(readFileSync(join(out, 'main/app_main.c'), 'utf8'), /my change/, 'nothing was overwritten');
    const r4 = buildProject(tinyConvModel(), { target: 'esp32s3', out, name: 'my-model', force: true });
    assert.equal(r4.ok, true);
    assert.doesNotMatch(readFileSync(join(out, 'main/app_main.c'), 'utf8'), /my change/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a folder of foreign files is refused (EF0005); the write is all-or-nothing', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ef-idf-'));
  try {
    const out = join(tmp, 'p');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    assert.throws(() => writeProject(out, { 'a.txt': 'x' }), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF0005');
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
    assert.ok(!existsSync(join(out, 'a.txt')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('symbol prefix: sanitised from the name; keyword clash → EF4005', () => {
  const r = buildProject(tinyConvModel(), { target: 'esp32', name: '3D net.v2', dryRun: true });
  assert.equal(r.ok, true);
  assert.ok(r.files['components/m_3d_net/include/m_3d_net.h'] || Object.keys(r.files).some((f) => f.includes('m_3d_net')), Object.keys(r.files).join(','));
  const bad = buildProject(tinyConvModel(), { target: 'esp32', name: 'int', dryRun: true });
  assert.equal(bad.ok, false);
  assert.equal(bad.diagnostics[0].code, 'EF4005');
});

test('verifyProject re-runs the recorded golden vectors; a wrong expectation is caught (EF4004)', async (t) => {
  const { hasTool } = await import('../../src/verify/toolchain.js');
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found');
    return;
  }
  const { verifyProject } = await import('../../src/verify/project.js');
  const tmp = mkdtempSync(join(tmpdir(), 'ef-idf-'));
  try {
    const out = join(tmp, 'proj');
    assert.equal(buildProject(tinyConvModel(), { target: 'esp32', out }).ok, true);
    const ok = verifyProject(out);
    assert.equal(ok.ok, true, JSON.stringify(ok.diagnostics));
    assert.deepEqual(ok.results.map((r) => r.target), ['host', 'host-sanitize']);
    const rp = join(out, 'report.json');
    const rep = JSON.parse(readFileSync(rp, 'utf8'));
    rep.golden[0].expected[0][0] = (rep.golden[0].expected[0][0] + 1) & 0xff;
    writeFileSync(rp, JSON.stringify(rep));
    const bad = verifyProject(out);
    assert.equal(bad.ok, false);
    assert.equal(bad.diagnostics[0].code, 'EF4004');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
