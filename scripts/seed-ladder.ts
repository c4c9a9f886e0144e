// The seed project's ladder (examples/01–07) through the CLI at a given scheme: synthetic class-banded data like the
// seed's test15–test23 (values 0..1, one band per class), a short `train`, then `build --calib --verify host`, which
// checks the generated C (and the ESP-IDF project on the host stand-in) byte for byte against the simulator.
//   npx tsx scripts/seed-ladder.ts [--scheme int8|int16] [--only 01,06] [--keep DIR]
// Prints one line per example; exits 1 when any step fails.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { writeNpz } from '../src/io/npy.js';

const root = resolve(import.meta.dirname, '..');
const arg = (k: string) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const scheme = arg('--scheme') ?? 'int16';
const only = arg('--only')?.split(',');
const keep = arg('--keep');
const work = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'ef-ladder-'));
mkdirSync(work, { recursive: true });

let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

/** n samples of `shape`, `classes` classes: class c fills its band [c/k, (c+1)/k) with noise. */
function banded(n: number, shape: number[], classes: number): Uint8Array {
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    y[i] = c;
    for (let j = 0; j < per; j++) x[i * per + j] = (c + 0.15 + 0.7 * rnd()) / classes;
  }
  return writeNpz({ x: { dtype: 'float32', shape: [n, ...shape], data: x }, y: { dtype: 'int32', shape: [n], data: y } });
}

async function imageFolder(dir: string, w: number, h: number): Promise<void> {
  for (const [c, lo] of [['a', 0], ['b', 130]] as const) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const px = Buffer.alloc(w * h * 3);
      for (let j = 0; j < px.length; j++) px[j] = lo + Math.floor(rnd() * 120);
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(dir, c, `${i}.png`));
    }
  }
}

const cli = (...a: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'espforge.js'), ...a], { cwd: root, encoding: 'utf8', timeout: 900_000 });

const ladder: { id: string; file: string; data: () => Promise<string> }[] = [
  { id: '01', file: '01-neuron-sigmoid.json', data: async () => save('d01.npz', banded(64, [1, 1, 1], 2)) },
  { id: '02', file: '02-two-class-softmax.json', data: async () => save('d02.npz', banded(64, [4], 2)) },
  { id: '03', file: '03-single-conv.json', data: async () => save('d03.npz', banded(64, [8, 8, 1], 2)) },
  { id: '04', file: '04-two-conv-maxpool.json', data: async () => save('d04.npz', banded(64, [12, 12, 1], 2)) },
  { id: '05', file: '05-two-conv-15x15-10-classes.json', data: async () => save('d05.npz', banded(200, [15, 15, 1], 10)) },
  { id: '06', file: '06-mnist-cnn.json', data: async () => 'builtin:mnist' },
  {
    id: '07',
    file: '07-rgb-60x60-two-class.json',
    data: async () => {
      await imageFolder(join(work, 'rgb'), 60, 60);
      return join(work, 'rgb');
    },
  },
];

function save(f: string, bytes: Uint8Array): string {
  writeFileSync(join(work, f), bytes);
  return join(work, f);
}

let failed = 0;
for (const step of ladder) {
  if (only && !only.includes(step.id)) continue;
  const t0 = Date.now();
  const data = await step.data();
  const model = join(work, `m${step.id}`);
  const tr = cli('train', join(root, 'examples', step.file), '--data', data, '--out', model, '--epochs', '1', '--limit', '600', '--force', '--json');
  if (tr.status !== 0) {
    failed++;
    console.log(`${step.id} ${step.file}: train FAILED\n${tr.stderr.slice(-1500)}`);
    continue;
  }
  const b = cli('build', join(model, 'model.json'), '--target', 'esp32', '--calib', data, '--scheme', scheme, '--samples', `${data}:3`,
    '--out', join(work, `fw${step.id}`), '--verify', 'host', '--force', '--json');
  let line: string;
  try {
    const j = JSON.parse(b.stdout);
    const v = (j.report?.verification ?? []).map((x: { target: string; identical: boolean; cases: number }) => `${x.target} ${x.identical ? 'identical' : 'DIFFERS'} (${x.cases})`);
    line = `${j.ok ? 'ok' : 'FAILED'}: ${j.report?.parameters ?? '?'} params, arena ${j.report?.arenaBytes ?? '?'} B; ${v.join(', ')}; idf host ${j.report?.idfHost?.ok ? 'PASS' : 'no'}`;
    if (!j.ok) line += ' ' + JSON.stringify(j.diagnostics).slice(0, 600);
    if (!j.ok || !j.report?.idfHost?.ok) failed++;
  } catch {
    failed++;
    line = `build FAILED (exit ${b.status})\n${b.stderr.slice(-1500)}`;
  }
  console.log(`${step.id} ${step.file} at ${scheme}: ${line} [${((Date.now() - t0) / 1000).toFixed(1)} s]`);
}
if (!keep) rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
