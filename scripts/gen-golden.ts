// Regenerates the golden generated C under test/golden/<name>/ (STYLE.md 9): two tiny models built in the
// repo — hello_world_int8 from ../shared (when present) and a hand-built conv model. Run on purpose only:
//   npx tsx scripts/gen-golden.ts
// test/codegen/golden.test.ts re-generates in memory and diffs against these files.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenModels } from '../test/codegen/golden-models.js';

const root = join(import.meta.dirname, '..', 'test', 'golden');
for (const m of await goldenModels()) {
  const dir = join(root, m.name);
  if (existsSync(dir)) rmSync(dir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(m.files)) writeFileSync(join(dir, f), text);
  process.stdout.write(`wrote ${Object.keys(m.files).length} files to test/golden/${m.name}\n`);
}
