// `import('espforge')` from another package, with plain `node -e` (no tsx flag): a temporary package that depends on
// this checkout (a node_modules symlink, as `npm install file:...` makes; nothing is downloaded) loads a shared
// model, quantizes it and builds it through the typed API, and the returned report is checked against what was
// written and against an independent count of the model's parameters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

function node(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // a clean environment for the child: no loader inherited from the test runner
    const env = { ...process.env, NODE_OPTIONS: '' };
    const p = spawn(process.execPath, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test("import('espforge') from a separate package builds a model through the typed API", async (t) => {
  const onnx = sharedPath(t, 'models', 'onnx', 'mnist-8', 'model.onnx');
  if (!onnx) return;
  const dir = mkdtempSync(join(tmpdir(), 'espforge-consumer-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { espforge: `file:${REPO_ROOT}` } }));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'espforge'), 'dir');
    const out = join(dir, 'project');
    const script = `
      import('espforge').then(async (m) => {
        const g = await m.loadModel(${JSON.stringify(onnx)});
        const q = await m.quantize(g, { calib: 'builtin:mnist', count: 40, inputScale: '255' });
        const r = await m.build(q.graph, { target: 'esp32c3', out: ${JSON.stringify(out)}, name: 'digits' });
        console.log(JSON.stringify({
          exports: Object.keys(m).sort(),
          floatQuantized: m.isQuantized(g),
          quantized: m.isQuantized(q.graph),
          calibSamples: q.calibSamples.length,
          ok: r.ok,
          diagnostics: r.diagnostics,
          report: r.report,
          stages: r.stages.map((s) => s.stage),
          files: Object.keys(r.files).sort(),
        }));
      });`;
    const res = await node(['-e', script], dir);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout.trim().split('\n').pop()!);
    // the entry exports every function src/api.ts exports
    const api = await import('../../src/api.js');
    const fns = Object.keys(api).filter((k) => typeof (api as Record<string, unknown>)[k] === 'function');
    for (const k of fns) assert.ok(j.exports.includes(k), `import('espforge') lacks ${k}`);
    for (const k of ['loadModel', 'inspect', 'quantize', 'simulate', 'build', 'verify', 'train', 'evaluate']) assert.ok(j.exports.includes(k), k);

    assert.equal(j.floatQuantized, false);
    assert.equal(j.quantized, true);
    assert.equal(j.calibSamples, 40);
    assert.equal(j.ok, true, JSON.stringify(j.diagnostics));
    // the report is data, and it is what was written
    assert.equal(j.report.target, 'esp32c3');
    assert.equal(j.report.name, 'digits');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')), j.report);
    for (const f of j.files) assert.ok(existsSync(join(out, f)), `${f} not written`);
    assert.ok(j.files.includes('components/digits/digits.c'));
    // mnist-8: conv 8x1x5x5 + 8, conv 16x8x5x5 + 16, dense 256x10 + 10 = 5,994 parameters (its ONNX file; the
    // int8 graph adds one bias per output channel folded in from the separate Add)
    assert.ok(j.report.parameters >= 5994 && j.report.parameters <= 5994 + 64, `parameters ${j.report.parameters}`);
    assert.equal(j.report.golden.length, 2);
    assert.deepEqual(j.stages, ['lower-io', 'emit', 'plan']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
