// int16 in the seed flow: two rungs of the seed's ladder (examples 02 dense/softmax and 07 RGB 60x60x3) trained
// briefly and built at --scheme int16 (TFLite 16x8) with real samples, through scripts/seed-ladder.ts (the whole
// ladder 01–07: `npm run ladder -- --scheme int16`). Checked: the generated C equals the simulator on the host and
// under ASan/UBSan, and the ESP-IDF project's app prints PASS on the host stand-in (consistency checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';

test('seed ladder at int16: examples 02 and 07 build and verify (C = simulator, ESP-IDF app PASS)', (t) => {
  const gcc = spawnSync('gcc', ['--version']);
  const cmake = spawnSync('cmake', ['--version']);
  if (gcc.status !== 0 || cmake.status !== 0) {
    if (process.env.CI === 'true') throw new Error('gcc/cmake missing under CI');
    t.skip('gcc or cmake not found');
    return;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'seed-ladder.ts'), '--scheme', 'int16', '--only', '02,07'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr.slice(-2000));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  for (const l of lines) assert.match(l, /at int16: ok: .*host identical \(3\), host-sanitize identical \(3\); idf host PASS/);
});
