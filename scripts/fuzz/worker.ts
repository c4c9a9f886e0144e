// One fuzz case in the case process (forked by driver.ts, so its memory is measured apart from the driver's):
// write the case's files to a private folder and run what a user's command
// would run on them. Models: loadModel → inspect → fit estimate (quantize a float model with synthetic samples,
// plan, emit C, simulate the golden cases) — the `inspect` command's path through every stage. Arrays: the
// .npy / .npz readers `run` and `eval` use. Answers {status: ok | coded | internal, codes, message}.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attemptAsync } from '../../src/diagnostics.js';
import { loadModel } from '../../src/import/index.js';
import { fitSummary, inspectGraph } from '../../src/inspect.js';
import { readArrayFile } from '../../src/io/inputs.js';
import { readNpz } from '../../src/io/npy.js';
import { readFileSync } from 'node:fs';

interface Msg {
  id: number;
  fmt: string;
  files: Record<string, Uint8Array>;
  entry: string;
}

const root = join(tmpdir(), `espforge-fuzz-${process.pid}-${Math.random().toString(36).slice(2)}`);

process.on('message', async (m: Msg) => {
  const dir = join(root, String(m.id));
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(m.files)) writeFileSync(join(dir, name), bytes);
  const path = join(dir, m.entry);
  const res = await attemptAsync(async () => {
    if (m.fmt === 'npy') return void (await readArrayFile(path));
    if (m.fmt === 'npz') return void readNpz(new Uint8Array(readFileSync(path)), path);
    const g = await loadModel(path);
    inspectGraph(g);
    await fitSummary(g);
  }, { file: path });
  rmSync(dir, { recursive: true, force: true });
  const codes = res.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  const internal = res.diagnostics.find((d) => d.code === 'EF9001');
  process.send!({
    id: m.id,
    status: res.ok ? 'ok' : internal ? 'internal' : 'coded',
    codes,
    message: internal ? `${internal.message}\n${internal.notes.join('\n')}` : res.diagnostics[0]?.message,
  });
});

process.on('exit', () => rmSync(root, { recursive: true, force: true }));
// the driver went away: stop too
process.on('disconnect', () => process.exit(0));
// loaded: the driver starts a case's clock only now, so start-up time is not charged to the first case
process.send!({ ready: true });
