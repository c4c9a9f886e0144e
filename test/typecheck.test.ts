// The whole project type-checks under `strict` (TypeScript 7, tsconfig.json). A type error fails the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/shared.js';

test('tsc --noEmit passes on the whole project', () => {
  const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['--noEmit', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `type errors:\n${r.stdout}\n${r.stderr}`);
});
