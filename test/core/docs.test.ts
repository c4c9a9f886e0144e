// The generated docs tables match the registry and the catalogue (regenerate with `npx tsx scripts/gen-docs.ts`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDiagnosticsDoc, renderOpsDoc } from '../../src/docs.js';
import { REPO_ROOT } from '../helpers/shared.js';

test('docs/ops.md and docs/diagnostics.md are up to date', () => {
  assert.equal(readFileSync(join(REPO_ROOT, 'docs', 'ops.md'), 'utf8'), renderOpsDoc(), 'run: npx tsx scripts/gen-docs.ts');
  assert.equal(readFileSync(join(REPO_ROOT, 'docs', 'diagnostics.md'), 'utf8'), renderDiagnosticsDoc(), 'run: npx tsx scripts/gen-docs.ts');
});
