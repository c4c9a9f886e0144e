// Every C kernel section emitted alone — the kernel file a model using only that kernel gets (plus `copy`, which
// every model carries) — compiles with -std=c99 -Wall -Wextra -Werror. A section's static helpers serve several
// kernels (fixedpoint's 1/(1+x) serves softmax and logistic but not tanh), so a model with Tanh and no Sigmoid or
// Softmax (LeNet-5 with tanh) used to fail `build --verify host` with EF4003 on an unused static function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KERNEL_NAMES, kernelFiles } from '../../src/codegen/c/kernels.js';
import { hasTool } from '../../src/verify/toolchain.js';

test('each kernel section alone compiles cleanly under -Wall -Wextra -Werror (no unused static helpers)', (t) => {
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'espforge-kalone-'));
  const names = KERNEL_NAMES();
  assert.ok(names.includes('tanh') && names.includes('logistic') && names.length > 20);
  const files: string[] = [];
  for (const k of names) {
    const sub = join(dir, k);
    spawnSync('mkdir', ['-p', sub]);
    const { header, source } = kernelFiles([k, 'copy'], 'm', '/* test */\n');
    writeFileSync(join(sub, 'espforge_kernels.h'), header);
    writeFileSync(join(sub, `${k}.c`), source);
    files.push(join(sub, `${k}.c`));
  }
  // one gcc run per kernel so a failure names it; -c only (no main)
  const failures: string[] = [];
  for (const f of files) {
    const r = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-c', f, '-o', f.replace(/\.c$/, '.o')], { encoding: 'utf8' });
    if (r.status !== 0) failures.push(`${f}:\n${r.stderr.slice(0, 600)}`);
  }
  assert.deepEqual(failures, []);
});
