// Malformed ONNX input: truncated and bit-flipped copies of every shared .onnx model must give coded
// diagnostics (never EF9001, never an uncaught exception), each within a time bound.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EspforgeError, toDiagnostics } from '../../src/diagnostics.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

function onnxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...onnxFiles(p));
    else if (e.endsWith('.onnx')) out.push(p);
  }
  return out.sort();
}


function tryImport(bytes: Uint8Array, label: string): string {
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    importOnnx(bytes, label);
  } catch (e) {
    assert.ok(e instanceof EspforgeError, `${label}: uncaught ${(e as Error)?.stack ?? e}`);
    const codes = toDiagnostics(e).map((d) => d.code);
    assert.ok(!codes.includes('EF9001'), `${label}: internal error ${e.message}`);
    outcome = codes[0];
  }
  const ms = performance.now() - t0;
  assert.ok(ms < 3000, `${label}: took ${ms.toFixed(0)} ms`);
  return outcome;
}

test('truncated and bit-flipped ONNX models give coded diagnostics only', (t) => {
  const roots = [sharedPath(t, 'models', 'onnx'), sharedPath(t, 'conformance')];
  if (roots.some((r) => !r)) return;
  const files = roots.flatMap((r) => onnxFiles(r!));
  assert.ok(files.length > 300, `found ${files.length} models`);
  const tally = new Map<string, number>();
  const rand = rng(20260401);
  let cases = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    const big = bytes.length > 200_000; // keep the run short: fewer mutations of the largest files
    const cuts = big ? [0.5] : [0.1, 0.37, 0.5, 0.9, 0.999];
    for (const c of cuts) {
      const r = tryImport(bytes.subarray(0, Math.floor(bytes.length * c)), `${f} cut at ${c}`);
      tally.set(r, (tally.get(r) ?? 0) + 1);
      cases++;
    }
    for (let k = 0; k < (big ? 2 : 4); k++) {
      const m = Uint8Array.from(bytes);
      for (let j = 0; j < 3; j++) m[Math.floor(rand() * m.length)] ^= 1 << Math.floor(rand() * 8);
      const r = tryImport(m, `${f} flip #${k}`);
      tally.set(r, (tally.get(r) ?? 0) + 1);
      cases++;
    }
  }
  t.diagnostic(`${cases} mutated models: ${[...tally].map(([k, v]) => `${k}×${v}`).join(', ')}`);
});

test('not-ONNX bytes and absurd declared sizes are rejected with codes', () => {
  for (const b of [new Uint8Array(0), new Uint8Array([0xff, 0xff, 0xff]), new TextEncoder().encode('{"format":"layers-model"}')]) {
    assert.throws(() => importOnnx(b, 'junk'), (e: unknown) => e instanceof EspforgeError && toDiagnostics(e).every((d) => d.code !== 'EF9001'));
  }
});
