import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool, run } from '../../src/verify/toolchain.js';
import { EspforgeError } from '../../src/diagnostics.js';

test('a missing compiler is EF4002, not a crash', () => {
  assert.throws(() => requireTool('espforge-no-such-cc', 'host C compiler'), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF4002');
  assert.throws(() => run('espforge-no-such-cc', []), (e: unknown) => e instanceof EspforgeError && e.diagnostics[0].code === 'EF4002');
});

test('processes are bounded by a timeout and their exit status is reported', () => {
  const r = run('sh', ['-c', 'sleep 5'], { timeoutMs: 300 });
  assert.notEqual(r.status, 0);
  assert.equal(run('sh', ['-c', 'exit 3']).status, 3);
});
