// Writes docs/ops.md and docs/diagnostics.md from the registry and the diagnostics catalogue, so neither list
// is kept by hand. `npx tsx scripts/gen-docs.ts`; test/core/docs.test.ts fails when they are stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDiagnosticsDoc, renderOpsDoc } from '../src/docs.js';

const root = join(import.meta.dirname, '..');
writeFileSync(join(root, 'docs', 'ops.md'), renderOpsDoc());
writeFileSync(join(root, 'docs', 'diagnostics.md'), renderDiagnosticsDoc());
