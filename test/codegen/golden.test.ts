// Golden generated C (STYLE.md 9): re-generating must reproduce test/golden/ byte for byte (refactors must not
// change generated code unless the goldens are regenerated on purpose with scripts/gen-golden.ts), and each
// golden set compiles with -std=c99 -Wall -Wextra -Werror and matches the integer simulator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenModels } from './golden-models.js';
import { REPO_ROOT, hasShared } from '../helpers/shared.js';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { runHost } from '../../src/verify/host.js';
import { shapeSize } from '../../src/ir/dtype.js';

const GOLDEN = join(REPO_ROOT, 'test', 'golden');

test('generated C equals the committed goldens; goldens compile with -Werror and match the simulator', async (t) => {
  const models = await goldenModels();
  if (!hasShared()) {
    if (process.env.CI === 'true') throw new Error('../shared missing under CI');
    t.diagnostic('hello_world_int8 golden skipped: ../shared absent');
  }
  assert.ok(models.length >= 1);
  for (const m of models) {
    const dir = join(GOLDEN, m.name);
    assert.ok(existsSync(dir), `golden folder ${m.name} exists (run scripts/gen-golden.ts)`);
    const committed = readdirSync(dir).sort();
    assert.deepEqual(Object.keys(m.files).sort(), committed, `${m.name}: same file set`);
    for (const f of committed) assert.equal(m.files[f], readFileSync(join(dir, f), 'utf8'), `${m.name}/${f} unchanged`);

    if (!hasTool('gcc')) {
      if (process.env.CI === 'true') throw new Error('gcc missing under CI');
      t.diagnostic('gcc not found: compile step skipped');
      continue;
    }
    const files: Record<string, string> = {};
    for (const f of committed) files[f] = readFileSync(join(dir, f), 'utf8');
    const g = m.graph;
    const cases = [0, 1, 2].map((k) => {
      const inputs = g.inputs.map((id, j) => pseudoRandomInput(shapeSize(g.tensors[id].shape), g.tensors[id].dtype, 77 + 10 * k + j));
      return { name: `r${k}`, inputs, expected: simulate(g, inputs) };
    });
    const prefix = Object.keys(files).find((f) => f.endsWith('_weights.c'))!.replace(/_weights\.c$/, '');
    const run = runHost(files, harnessSpec(g, prefix), cases, false);
    run.cases.forEach((c, k) => assert.deepEqual([...c.outputs[0]], cases[k].expected[0].map((v) => v & 0xff), `${m.name} case ${k}`));
  }
});
