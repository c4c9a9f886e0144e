// npm run fuzz -- --count N [--seed S] [--format onnx,tflite,...] [--json FILE] [--keep DIR]
// --only K1,K2 replays single cases of a campaign (same seed and count). Failing cases are saved (files + case.json) under DIR (default: $TMPDIR/espforge-fuzz-failures) for replay.
// Runs a seeded fuzz campaign over every importer and input format (scripts/fuzz/driver.ts) and prints a table.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { FORMATS, type Format } from './mutate.js';
import { runCampaign } from './driver.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const count = Number(opt('count') ?? 200);
const seed = Number(opt('seed') ?? 1);
const formats = (opt('format')?.split(',') ?? FORMATS) as Format[];
if (!Number.isInteger(count) || count <= 0 || !Number.isInteger(seed) || formats.some((f) => !FORMATS.includes(f))) {
  process.stderr.write(`usage: npm run fuzz -- --count N [--seed S] [--format ${FORMATS.join(',')}] [--json FILE]\n`);
  process.exit(2);
}
process.env.ESPFORGE_H5_TIMEOUT_MS ??= '4000';
const shared = join(import.meta.dirname, '..', '..', '..', 'shared');
const t0 = Date.now();
const jf = opt('json');
let last = 0;
const res = await runCampaign({
  shared,
  count,
  seed,
  formats,
  only: opt('only')?.split(',').map(Number),
  failDir: opt('keep') ?? join(tmpdir(), 'espforge-fuzz-failures'),
  onCase: (fmt, k, _r, tallies) => {
    if (jf && k % 200 === 199) writeFileSync(jf, JSON.stringify({ seed, count, partial: true, results: tallies }, null, 1) + '\n');
    if (process.stderr.isTTY && Date.now() - last > 500) {
      last = Date.now();
      process.stderr.write(`\r${fmt}: ${k + 1}/${count}   `);
    }
  },
});
if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
const rows = [['format', 'cases', 'accepted', 'coded', 'internal', 'hangs', 'slow wall', '>1GB', 'garbage ok', 'mean ms', 'max ms', 'max CPU ms', 'max RSS MB']];
for (const [f, t] of Object.entries(res))
  rows.push([f, t.cases, t.accepted, t.coded, t.internal, t.hangs, t.slowWall, t.overMemory, t.garbageAccepted, Math.round(t.totalMs / Math.max(1, t.cases)), t.maxMs, t.maxCpuMs, t.maxRssMb].map(String));
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
process.stdout.write(`fuzz campaign: seed ${seed}, ${count} cases per format, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n');
for (const [f, t] of Object.entries(res)) for (const x of t.failures.slice(0, 10)) process.stdout.write(`  ${f} ${x.kind} (${x.seed}): ${x.what}${x.message ? ` — ${x.message.split('\n')[0]}` : ''}\n`);
if (jf) writeFileSync(jf, JSON.stringify({ seed, count, results: res }, null, 1) + '\n');
const bad = Object.values(res).some((t) => t.internal || t.hangs || t.overMemory || t.garbageAccepted);
process.exit(bad ? 1 : 0);
