// Exit codes as the README promises them (0 ok, 1 user error, 2 usage error) for bad option values, and parser
// errors as JSON when --json is given, through the CLI a user runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.doesNotMatch(r.stderr ?? '', /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace:\n${r.stderr}`);
  return r;
}

test('bad option values exit 2 (eval --limit abc, build --verify foo, train --epochs x)', (t) => {
  const m = sharedPath(t, 'models', 'tflite', 'tflm-hello-world', 'hello_world_int8.tflite');
  if (!m) return;
  const ev = cli('eval', m, '--data', 'builtin:mnist', '--limit', 'abc');
  assert.equal(ev.status, 2, ev.stderr);
  assert.match(ev.stderr, /EF0006.*--limit/);
  const b = cli('build', m, '--target', 'esp32', '--out', join(REPO_ROOT, 'no-such-dir-h15', 'p'), '--verify', 'foo');
  assert.equal(b.status, 2, b.stderr);
  assert.match(b.stderr, /EF0006.*--verify/);
  const tr = cli('train', join(REPO_ROOT, 'examples', '01-neuron-sigmoid.json'), '--data', 'builtin:mnist', '--epochs', 'x', '--out', join(REPO_ROOT, 'no-such-dir-h15', 't'));
  assert.equal(tr.status, 2, tr.stderr);
  assert.match(tr.stderr, /EF0006.*--epochs/);
  // with --json the same error is JSON on stdout, nothing on stderr
  const j = cli('eval', m, '--data', 'builtin:mnist', '--limit', 'abc', '--json');
  assert.equal(j.status, 2);
  assert.equal(JSON.parse(j.stdout).diagnostics[0].code, 'EF0006');
  assert.equal(j.stderr, '');
});

test('parser-level errors honour --json (unknown option, missing required option) and exit 2', () => {
  const u = cli('inspect', 'x.onnx', '--bogus', '--json');
  assert.equal(u.status, 2);
  assert.equal(u.stderr, '');
  const j = JSON.parse(u.stdout);
  assert.equal(j.ok, false);
  assert.equal(j.diagnostics[0].code, 'EF0006');
  assert.match(j.diagnostics[0].message, /--bogus/);
  const r = cli('build', 'x.tflite', '--json');
  assert.equal(r.status, 2);
  assert.match(JSON.parse(r.stdout).diagnostics[0].message, /--target|--out/);
  // without --json, commander's text on stderr as before
  const t = cli('inspect', 'x.onnx', '--bogus');
  assert.equal(t.status, 2);
  assert.match(t.stderr, /unknown option/);
});

test('npx espforge prints no npm warning: the project .npmrc has no unknown keys', async () => {
  const { existsSync, readFileSync } = await import('node:fs');
  const p = join(REPO_ROOT, '.npmrc');
  if (existsSync(p)) assert.doesNotMatch(readFileSync(p, 'utf8'), /onnxruntime/);
});
