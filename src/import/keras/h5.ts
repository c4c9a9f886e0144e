// HDF5 through a watchdog: h5wasm runs the HDF5 C library synchronously and a damaged file can make it loop for
// minutes, so the file is read in a worker thread (h5-worker.mjs) that is terminated after a time budget
// (EF2013). The worker returns a plain-data snapshot of the tree (groups, attributes, datasets); external links
// are refused, and the number of objects, their nesting and the bytes of data are capped.

import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fail } from '../../diagnostics.js';

export interface H5Dataset {
  kind: 'dataset';
  shape: number[];
  value?: ArrayLike<number> & { length: number };
  dtype: string;
  attrs: Record<string, unknown>;
}
export interface H5Group {
  kind: 'group';
  attrs: Record<string, unknown>;
  children: Record<string, H5Node>;
}
export type H5Node = H5Group | H5Dataset | { kind: 'other'; what: string };

export interface H5ReadOptions {
  /** Wall-clock budget for the HDF5 library (default 10 s; ESPFORGE_H5_TIMEOUT_MS overrides). */
  timeoutMs?: number;
  /** Top-level groups not to read (e.g. optimizer state). */
  skip?: string[];
}

let counter = 0;
const LIMITS = { maxElements: 1 << 27, maxBytes: 1 << 30, maxNodes: 200_000, maxDepth: 32 };

export function defaultH5Timeout(): number {
  const env = Number(process.env.ESPFORGE_H5_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : 10_000;
}

type Answer = { tree?: H5Group; error?: string; message?: string; captured?: string } | 'timeout' | 'memory';

/**
 * One worker thread serves all HDF5 reads (the WASM module is compiled once), one request at a time. It is
 * unref'd while idle so it never keeps the process alive, and terminated (then started afresh on the next read)
 * when a read overruns its time budget or the worker fails.
 */
let worker: Worker | undefined;
let ready: Promise<void> | undefined;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 0;

function startWorker(): void {
  const w = new Worker(new URL('./h5-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 2048 }, stdout: true, stderr: true });
  w.unref();
  worker = w;
  ready = new Promise<void>((resolve) => {
    const onMsg = (m: { ready?: boolean }) => {
      if (m?.ready) {
        w.off('message', onMsg);
        resolve();
      }
    };
    w.on('message', onMsg);
    w.once('exit', () => resolve());
  });
  w.on('exit', () => {
    if (worker === w) worker = undefined;
  });
  w.on('error', () => undefined);
}

function stopWorker(): void {
  const w = worker;
  worker = undefined;
  if (w) void w.terminate().catch(() => undefined);
}

function request(path: string, skip: string[], timeoutMs: number): Promise<Answer> {
  const run = async (): Promise<Answer> => {
    if (!worker) startWorker();
    const w = worker!;
    const id = nextId++;
    return new Promise<Answer>((resolve) => {
      let done = false;
      const finish = (v: Answer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        w.off('message', onMsg);
        w.off('error', onErr);
        w.off('exit', onExit);
        w.unref();
        if (typeof v === 'string') stopWorker();
        resolve(v);
      };
      // the budget covers the read only: starting the worker (compiling the WASM module) does not depend on the
      // file, and on a busy machine it can take seconds
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onMsg = (m: Answer & { id?: number }) => {
        if (typeof m === 'object' && m.id === id) finish(m);
      };
      const onErr = (e: Error & { code?: string }) =>
        finish(e.code === 'ERR_WORKER_OUT_OF_MEMORY' || /memory/i.test(e.message) ? 'memory' : { error: 'read', message: e.message });
      const onExit = () => finish({ error: 'read', message: 'the HDF5 reader stopped without an answer' });
      w.on('message', onMsg);
      w.on('error', onErr);
      w.on('exit', onExit);
      w.ref();
      void ready!.then(() => {
        if (done) return;
        timer = setTimeout(() => finish('timeout'), timeoutMs);
        w.postMessage({ id, path, skip, ...LIMITS });
      });
    });
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}

/** Read the whole HDF5 tree (minus `skip`) as plain data, under a time budget. */
export async function readH5Tree(bytes: Uint8Array, file: string, opts: H5ReadOptions = {}): Promise<H5Group> {
  const timeoutMs = opts.timeoutMs ?? defaultH5Timeout();
  // h5wasm's Node build reads the real file system (NODERAWFS), so the bytes go to a private temp file.
  const path = join(tmpdir(), `espforge-${process.pid}-${counter++}-${Date.now()}.h5`);
  fs.writeFileSync(path, bytes, { mode: 0o600 });
  try {
    const msg = await request(path, opts.skip ?? [], timeoutMs);
    if (msg === 'timeout')
      fail('EF2013', `the HDF5 library did not finish reading the file within ${timeoutMs} ms; the file is probably damaged`, {
        file,
        suggestion: 'check that the file is an intact Keras .h5 / .keras save (set ESPFORGE_H5_TIMEOUT_MS for a longer budget)',
      });
    if (msg === 'memory') fail('EF2013', 'the HDF5 library ran out of its memory budget reading the file; the file is probably damaged', { file });
    if (msg.tree) return msg.tree;
    // a read that failed part-way may leave the HDF5 library in a bad state: the next read gets a fresh worker
    if (msg.error === 'read') stopWorker();
    const first = /#000: .* in (\w+\(\)): (.*)/.exec(msg.captured ?? '');
    const notes = first ? [`HDF5: ${first[1]}: ${first[2].trim().slice(0, 160)}`] : [];
    if (msg.error === 'open') fail('EF2001', `not a readable HDF5 file: ${msg.message}`, { file, notes });
    if (msg.error === 'refused') fail('EF2001', msg.message ?? 'HDF5 file refused', { file, suggestion: 'save the model into one self-contained file' });
    return fail('EF2001', `HDF5 structure could not be read: ${msg.message}`, { file, notes });
  } finally {
    fs.rmSync(path, { force: true });
  }
}

/** The node at a '/'-separated path below `g` (no link following: the snapshot has none). */
export function h5Get(g: H5Node | undefined, path: string): H5Node | undefined {
  let cur = g;
  for (const part of path.split('/').filter(Boolean)) {
    if (!cur || cur.kind !== 'group') return undefined;
    cur = Object.prototype.hasOwnProperty.call(cur.children, part) ? cur.children[part] : undefined;
  }
  return cur;
}
