// The fuzz driver: seeded mutations of the shared models, each case run in a separate case process under a time
// cap and a memory watch, tallied per format. A case is an internal error (EF9001 or an uncaught exception), a hang (over
// `hangMs`; the worker is terminated at `capMs`), over memory (process RSS above `memMb` while it ran), a garbage
// acceptance (a mutation known to make the input invalid, accepted), or fine (accepted or a coded diagnostic).

import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeRng } from '../../src/data/rng.js';
import { FORMATS, mutate, type Case, type Format, type Seed } from './mutate.js';
import { loadSeeds } from './seeds.js';

export interface CampaignOptions {
  shared: string;
  count: number;
  seed: number;
  formats?: Format[];
  hangMs?: number;
  capMs?: number;
  memMb?: number;
  /** Run only the cases with these indices (the mutations of the others are still drawn, so a case replays
   * exactly as it was in the full campaign). */
  only?: number[];
  /** Where to save the files of every failing case (for replay), if set. */
  failDir?: string;
  /** Called after each case (progress). */
  onCase?: (fmt: Format, k: number, r: CaseResult, tallies: Record<string, FormatTally>) => void;
}

export interface CaseResult {
  status: 'ok' | 'coded' | 'internal' | 'timeout' | 'crash';
  codes: string[];
  message?: string;
  /** Wall-clock time (the machine may be shared) and CPU time of the case process. */
  ms: number;
  cpuMs: number;
  rssMb: number;
  kind: string;
  seed: string;
  garbage?: string;
}

export interface FormatTally {
  cases: number;
  accepted: number;
  coded: number;
  internal: number;
  hangs: number;
  /** Cases over hangMs of wall-clock time but not of CPU time (waiting for a shared CPU). */
  slowWall: number;
  overMemory: number;
  garbageAccepted: number;
  maxMs: number;
  maxCpuMs: number;
  totalMs: number;
  maxRssMb: number;
  codes: Record<string, number>;
  kinds: Record<string, number>;
  failures: { kind: string; seed: string; what: string; message?: string }[];
}

/** Resident memory of a process in MB, from /proc (0 when unavailable). */
function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) of a process in ms, from /proc (0 when unavailable). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** Cases run in a forked process: per-case time cap (killed), its memory sampled from /proc, restarted when it
 * holds on to much memory after a case or every 100 cases. */
class Runner {
  private p?: ChildProcess;
  private used = 0;
  constructor(private readonly memMb: number) {}
  /** Start a case process and wait until it has loaded (on a busy machine that can take minutes); a process that
   * does not come up is replaced, so start-up time is never charged to a case. */
  private async spawnReady(): Promise<ChildProcess> {
    for (let attempt = 0; ; attempt++) {
      const p = this.spawn();
      const up = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 600_000);
        p.once('message', () => (clearTimeout(t), resolve(true)));
        p.once('exit', () => (clearTimeout(t), resolve(false)));
      });
      if (up) return p;
      p.kill('SIGKILL');
      if (attempt >= 3) throw new Error('the fuzz case process does not start');
    }
  }
  private spawn(): ChildProcess {
    const p = fork(fileURLToPath(new URL('./worker-boot.mjs', import.meta.url)), [], {
      execArgv: ['--max-old-space-size=1536'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    p.on('error', () => undefined);
    return p;
  }
  private kill() {
    this.p?.kill('SIGKILL');
    this.p = undefined;
  }
  async run(fmt: Format, c: Case, id: number, capMs: number): Promise<Omit<CaseResult, 'kind' | 'seed' | 'garbage'>> {
    if (!this.p || this.used >= 100 || rssMb(this.p.pid) > 600) {
      this.kill();
      this.p = await this.spawnReady();
      this.used = 0;
    }
    this.used++;
    const p = this.p;
    const t0 = Date.now();
    const c0 = cpuMs(p.pid);
    let peak = 0;
    let killedForMemory = false;
    const probe = setInterval(() => {
      peak = Math.max(peak, rssMb(p.pid));
      if (peak > 2 * this.memMb && !killedForMemory) {
        killedForMemory = true;
        p.kill('SIGKILL');
      }
    }, 20);
    try {
      const r = await new Promise<{ status: CaseResult['status']; codes: string[]; message?: string }>((resolve) => {
        const timer = setTimeout(() => {
          cleanup();
          this.kill();
          resolve({ status: 'timeout', codes: [] });
        }, capMs);
        const onMsg = (m: { id: number; status: CaseResult['status']; codes: string[]; message?: string }) => {
          if (m.id !== id) return;
          cleanup();
          resolve(m);
        };
        const onExit = (code: number | null, sig: string | null) => {
          cleanup();
          this.p = undefined;
          resolve({ status: 'crash', codes: [], message: killedForMemory ? `killed at ${Math.round(peak)} MB` : `case process exited (${code ?? sig})` });
        };
        const cleanup = () => {
          clearTimeout(timer);
          p.off('message', onMsg);
          p.off('exit', onExit);
        };
        p.on('message', onMsg);
        p.on('exit', onExit);
        p.send({ id, fmt, files: c.files, entry: c.entry });
      });
      peak = Math.max(peak, rssMb(p.pid));
      const cpu = r.status === 'timeout' || r.status === 'crash' ? Date.now() - t0 : cpuMs(p.pid) - c0;
      return { ...r, ms: Date.now() - t0, cpuMs: Math.round(cpu), rssMb: Math.round(peak) };
    } finally {
      clearInterval(probe);
    }
  }
  close() {
    this.kill();
  }
}

export async function runCampaign(o: CampaignOptions): Promise<Record<string, FormatTally>> {
  const hangMs = o.hangMs ?? 5000;
  const capMs = o.capMs ?? 30_000;
  const memMb = o.memMb ?? 1024;
  const seeds = await loadSeeds(o.shared);
  const out: Record<string, FormatTally> = {};
  const runner = new Runner(memMb);
  let id = 0;
  try {
    for (const fmt of o.formats ?? FORMATS) {
      const list: Seed[] = seeds[fmt];
      const t: FormatTally = { cases: 0, accepted: 0, coded: 0, internal: 0, hangs: 0, slowWall: 0, overMemory: 0, garbageAccepted: 0, maxMs: 0, maxCpuMs: 0, totalMs: 0, maxRssMb: 0, codes: {}, kinds: {}, failures: [] };
      out[fmt] = t;
      if (!list.length) continue;
      // one stream per format, so adding a format does not change another's cases
      const r = makeRng(o.seed * 7919 + FORMATS.indexOf(fmt));
      for (let k = 0; k < o.count; k++) {
        const seed = list[k % list.length];
        const c = mutate(fmt, seed, r);
        if (o.only && !o.only.includes(k)) continue;
        const res = await runner.run(fmt, c, id++, capMs);
        const cr: CaseResult = { ...res, kind: c.kind, seed: c.seed, garbage: c.garbage };
        t.cases++;
        t.kinds[c.kind] = (t.kinds[c.kind] ?? 0) + 1;
        t.maxMs = Math.max(t.maxMs, cr.ms);
        t.maxCpuMs = Math.max(t.maxCpuMs, cr.cpuMs);
        t.maxRssMb = Math.max(t.maxRssMb, cr.rssMb);
        for (const code of cr.codes) t.codes[code] = (t.codes[code] ?? 0) + 1;
        const fail = (what: string) => t.failures.length < 50 && t.failures.push({ kind: c.kind, seed: c.seed, what, message: cr.message?.slice(0, 600) });
        if (cr.status === 'ok') t.accepted++;
        if (cr.status === 'coded') t.coded++;
        const keep = () => {
          if (!o.failDir) return;
          const d = join(o.failDir, `${fmt}-${o.seed}-${k}`);
          mkdirSync(d, { recursive: true });
          for (const [n, b] of Object.entries(c.files)) writeFileSync(join(d, n), b);
          writeFileSync(join(d, 'case.json'), JSON.stringify({ fmt, seed: o.seed, k, kind: c.kind, from: c.seed, entry: c.entry, result: cr }, null, 1));
        };
        if (cr.status !== 'ok' && cr.status !== 'coded') keep();
        else if (cr.cpuMs > hangMs || cr.rssMb > memMb || (cr.status === 'ok' && c.garbage)) keep();
        if (cr.status === 'internal' || cr.status === 'crash') (t.internal++, fail(cr.status));
        // a hang: the case was stopped at the cap, or it computed (CPU time) for more than hangMs; wall time alone
        // is not used, since the machine running the campaign may be shared
        if (cr.status === 'timeout' || cr.cpuMs > hangMs) (t.hangs++, fail(`hang ${cr.cpuMs} ms CPU, ${cr.ms} ms wall`));
        else if (cr.ms > hangMs) t.slowWall++;
        if (cr.rssMb > memMb) (t.overMemory++, fail(`rss ${cr.rssMb} MB`));
        if (cr.status === 'ok' && c.garbage) (t.garbageAccepted++, fail(`accepted garbage: ${c.garbage}`));
        t.totalMs += cr.ms;
        o.onCase?.(fmt, k, cr, out);
      }
    }
  } finally {
    runner.close();
  }
  return out;
}
