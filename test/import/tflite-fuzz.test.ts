// Robustness of the TFLite importer: truncated files and seeded bit flips of every shared .tflite must give a
// graph or coded diagnostics, never an internal error (EF9001), an uncaught exception or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importTflite } from '../../src/import/tflite/index.js';
import { readModel } from '../../src/import/tflite/reader.js';
import { attempt } from '../../src/diagnostics.js';
import { sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';


function files(root: string): string[] {
  const out: string[] = [];
  const base = join(root, 'models/tflite');
  for (const d of readdirSync(base, { withFileTypes: true }))
    if (d.isDirectory()) for (const f of readdirSync(join(base, d.name))) if (f.endsWith('.tflite')) out.push(join(base, d.name, f));
  return out.sort();
}

function check(bytes: Uint8Array, what: string, tally: Record<string, number>): void {
  const r = attempt(() => importTflite(bytes, what), { file: what });
  if (r.ok) {
    tally.ok = (tally.ok ?? 0) + 1;
    return;
  }
  for (const d of r.diagnostics) {
    assert.notEqual(d.code, 'EF9001', `${what}: ${d.message}\n${d.notes.join('\n')}`);
    assert.match(d.code, /^EF\d{4}$/);
    tally[d.code] = (tally[d.code] ?? 0) + 1;
  }
}

test('truncated files give coded diagnostics', (t) => {
  const root = sharedPath(t, '');
  if (!root) return;
  const tally: Record<string, number> = {};
  for (const p of files(root)) {
    const bytes = new Uint8Array(readFileSync(p));
    const n = bytes.length;
    const cuts = [0, 1, 4, 7, 8, 12, 16, 64, n >> 4, n >> 2, n >> 1, n - 64, n - 16, n - 4, n - 1].filter((c) => c >= 0 && c < n);
    for (const c of cuts) check(bytes.slice(0, c), `${p} cut at ${c}`, tally);
  }
  t.diagnostic(JSON.stringify(tally));
  assert.ok((tally.EF2001 ?? 0) > 100, 'truncation is reported as a malformed file');
});

test('seeded bit flips (anywhere, and in the flatbuffer structure) give coded diagnostics only', (t) => {
  const root = sharedPath(t, '');
  if (!root) return;
  const tally: Record<string, number> = {};
  const rand = rng(20240601);
  let runs = 0;
  for (const p of files(root)) {
    const orig = new Uint8Array(readFileSync(p));
    // Bytes outside constant buffers: tables, vtables, vectors of shapes, indices, quantization, strings.
    const { model } = readModel(orig, p);
    const inData = new Uint8Array(orig.length);
    for (const b of model.buffers) inData.fill(1, b.start, b.start + b.size);
    const structural: number[] = [];
    for (let i = 0; i < orig.length; i++) if (!inData[i]) structural.push(i);
    const mutants = orig.length > 200_000 ? 40 : 80;
    for (let k = 0; k < mutants; k++) {
      const bytes = orig.slice();
      const flips = 1 + Math.floor(rand() * 6);
      const where: number[] = [];
      for (let f = 0; f < flips; f++) {
        const pos = k % 4 === 0 ? Math.floor(rand() * bytes.length) : structural[Math.floor(rand() * structural.length)];
        bytes[pos] ^= 1 << Math.floor(rand() * 8);
        where.push(pos);
      }
      check(bytes, `${p} flipped at ${where.join(',')}`, tally);
      runs++;
    }
  }
  t.diagnostic(`${runs} mutants: ${JSON.stringify(tally)}`);
  assert.ok(Object.keys(tally).length > 2, 'mutants exercise several diagnostics');
});

test('out-of-range indices are caught by name', (t) => {
  const root = sharedPath(t, '');
  if (!root) return;
  const p = join(root, 'models/tflite/tflm-hello-world/hello_world_int8.tflite');
  const bytes = new Uint8Array(readFileSync(p));
  const { r } = readModel(bytes, p);
  const sg = r.tables(r.root(), 2, 'subgraphs')[0];
  const op0 = r.tables(sg, 3, 'ops')[0];
  const inputs = r.vec(op0, 1, 4, 'inputs')!;
  const dv = new DataView(bytes.buffer);
  const save = dv.getInt32(inputs.start, true);
  dv.setInt32(inputs.start, 1000, true);
  let res = attempt(() => importTflite(bytes, 'bad-index.tflite'));
  assert.equal(res.ok, false);
  if (!res.ok) {
    assert.equal(res.diagnostics[0].code, 'EF2001');
    assert.match(res.diagnostics[0].message, /1000 is out of range/);
  }
  dv.setInt32(inputs.start, save, true);
  const t0 = r.tables(sg, 0, 'tensors')[1];
  const bufPos = r.fieldPos(t0, 2, 4, 'buffer');
  dv.setUint32(bufPos, 0x7fffffff, true);
  res = attempt(() => importTflite(bytes, 'bad-buffer.tflite'));
  assert.equal(res.ok, false);
  if (!res.ok) assert.match(res.diagnostics[0].message, /refers to buffer 2147483647/);
});
