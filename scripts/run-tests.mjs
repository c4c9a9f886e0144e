#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (Node 20 does not expand globs itself).
// Fails when no test file is found or the runner reports zero tests, so a broken pattern can never pass.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = walk('test').sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run-tests: no test files found under test/');
  process.exit(1);
}
// one test file per core: Node 20's default is one fewer than the cores (a single file at a time on a 2-core
// machine), while most of a file's time is spent in child compilers and emulators, each on one core
const concurrency = Math.max(1, availableParallelism());
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=tap', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tests = -1;
let tail = '';
child.stdout.on('data', (b) => {
  process.stdout.write(b);
  tail = (tail + b.toString()).slice(-4000);
  const m = /# tests (\d+)/.exec(tail);
  if (m) tests = Number(m[1]);
});
child.on('close', (code) => {
  if (tests === 0) {
    console.error('run-tests: the runner found 0 tests');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
