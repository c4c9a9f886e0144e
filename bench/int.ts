// Integer simulator: throughput on the shared int8 TFLite models and byte-exact agreement with the TFLM
// reference vectors (../shared/reference/tflm).
import { readFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph, runInt } from '../src/sim/int.js';
import { inspectGraph } from '../src/inspect.js';
import { readNpy } from '../src/io/npy.js';

const REF = join(import.meta.dirname, '..', '..', 'shared', 'reference', 'tflm');
const MODELS = join(import.meta.dirname, '..', '..', 'shared', 'models', 'tflite');

export async function intBench(): Promise<string> {
  const index = JSON.parse(readFileSync(join(REF, 'index.json'), 'utf8')) as { models: { model: string; dir: string; kind: string }[] };
  const rows = ['| model | MACs | ms / inference | MMAC/s | CPU ms / inference | MMAC/s (CPU) | reference cases byte-exact |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const m of index.models.filter((x) => x.kind !== 'float')) {
    const g = prepareIntGraph(await loadModel(join(MODELS, m.model)));
    const macs = inspectGraph(g).totals.macs;
    const dir = join(REF, '..', m.dir);
    const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: { id: string; kind: string }[] };
    let exact = 0;
    let total = 0;
    let first: import('../src/ops/types.js').Value | undefined;
    for (const c of cases.cases) {
      const inp = join(dir, 'inputs', `${c.id}.npy`);
      if (!existsSync(inp)) continue;
      const x = readNpy(new Uint8Array(readFileSync(inp)));
      const y = readNpy(new Uint8Array(readFileSync(join(dir, 'outputs', `${c.id}.out0.npy`))));
      const t = g.tensors[g.inputs[0]];
      const rows_ = c.kind === 'sweep' ? x.shape[0] : 1;
      const per = x.data.length / rows_;
      const yper = y.data.length / rows_;
      for (let r = 0; r < rows_; r++) {
        const xi = { dtype: t.dtype, shape: t.shape, data: x.data.slice(r * per, (r + 1) * per) };
        first ??= xi;
        const out = runInt(g, [xi]).outputs[0].data;
        let same = out.length === yper;
        for (let i = 0; same && i < yper; i++) same = out[i] === y.data[r * yper + i];
        total++;
        if (same) exact++;
      }
    }
    const n = Math.max(3, Math.min(50, Math.round(2e8 / Math.max(macs, 1))));
    runInt(g, [first!]);
    // best of 5 rounds of n runs, by wall clock and by this process's CPU time (less sensitive to a shared machine)
    let ms = Infinity;
    let cpuMs = Infinity;
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) runInt(g, [first!]);
      const c = process.cpuUsage(c0);
      ms = Math.min(ms, (performance.now() - t0) / n);
      cpuMs = Math.min(cpuMs, (c.user + c.system) / 1000 / n);
    }
    rows.push(`| ${m.model} | ${macs.toLocaleString('en-US')} | ${ms.toFixed(2)} | ${(macs / ms / 1000).toFixed(0)} | ${cpuMs.toFixed(2)} | ${(macs / cpuMs / 1000).toFixed(0)} | ${exact}/${total} |`);
  }
  const load = loadavg()[0].toFixed(1);
  return (
    rows.join('\n') +
    `\n\n"cases" counts every invoke: the hello_world sweep file is 256 separate invokes. Best of 5 rounds; wall-clock and this process's CPU time (user + system) per inference. Load average when measured: ${load} on ${cpus().length} cores — on a shared machine the CPU-time column is the steadier figure.\n`
  );
}
