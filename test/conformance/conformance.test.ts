// The four shared ONNX suites through the conformance runner: ≥95% of the tests whose operators are all
// supported must pass, nothing may crash (EF9001), and every skip carries a coded diagnostic.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareValues, formatResult, formatSummary, runConformance } from '../../src/conformance/index.js';
import { main } from '../../src/cli/main.js';
import { sharedPath } from '../helpers/shared.js';

test('onnx-node, onnx-pytorch-converted, onnx-light and tract-onnx through the runner', (t) => {
  const root = sharedPath(t, 'conformance');
  if (!root) return;
  const suites = ['onnx-node', 'onnx-pytorch-converted', 'onnx-light', 'tract-onnx'];
  const rep = runConformance(suites.map((s) => join(root, s)));
  for (const s of rep.suites) t.diagnostic(formatSummary(s));
  t.diagnostic(formatSummary(rep.total));
  for (const r of rep.results) if (r.status !== 'pass') t.diagnostic(formatResult(r));
  assert.deepEqual(rep.suites.map((s) => s.suite).sort(), [...suites].sort());
  assert.ok(rep.total.total >= 340, `found ${rep.total.total} tests`);
  assert.equal(rep.total.crashes, 0, 'no internal errors');
  for (const r of rep.results) if (r.status === 'skip') assert.ok(r.diagnostics.length > 0 && /^EF\d{4}$/.test(r.diagnostics[0].code), `${r.name} skipped without a code`);
  const rate = rep.total.supportedPass / rep.total.supported;
  assert.ok(rate >= 0.95, `supported-op pass rate ${(100 * rate).toFixed(1)}%`);
});

test('compareValues: tolerance for floats, exact for integers, shape check', () => {
  const f = (xs: number[]) => ({ dtype: 'float32' as const, shape: [xs.length], data: Float32Array.from(xs) });
  assert.ok(compareValues(f([1000.5]), f([1000]), 1e-3, 1e-7).ok);
  assert.ok(!compareValues(f([1001.5]), f([1000]), 1e-3, 1e-7).ok);
  assert.ok(compareValues(f([NaN]), f([NaN]), 1e-3, 1e-7).ok);
  const i = (xs: number[]) => ({ dtype: 'int64' as const, shape: [xs.length], data: Float64Array.from(xs) });
  assert.ok(!compareValues(i([3]), i([4]), 1, 1).ok);
  assert.ok(!compareValues(f([1, 2]), f([1]), 1e-3, 1e-7).ok);
});

test('espforge conformance: per-test lines, summary, exit 0 when nothing fails', async (t) => {
  const d = sharedPath(t, 'conformance', 'tract-onnx');
  if (!d) return;
  const writes: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => (writes.push(String(s)), true);
  let code: number;
  try {
    code = await main(['conformance', d]);
  } finally {
    (process.stdout as unknown as { write: typeof orig }).write = orig;
  }
  assert.equal(code, 0);
  const out = writes.join('');
  assert.match(out, /PASS tract-onnx\/deconv_group/);
  assert.match(out, /SKIP tract-onnx\/qtdnn_10x5_101_i32_biases .*EF2002/);
  assert.match(out, /tract-onnx: 9 tests/);
});
