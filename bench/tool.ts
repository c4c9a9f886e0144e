// Tool speed: where `build --verify host` spends its time on a 300 KB int8 model (person_detect), the per-chip
// fit of `inspect` (plan + emit only), and int8 calibration of a float model on 500 samples. CPU time is split
// into this process (Node) and the compilers and programs it waits for (children, from /proc/self/stat), since
// wall clock on a shared machine mostly measures the other users. Section for bench/sections.ts; also runs
// alone: npx tsx bench/tool.ts

import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { buildProject } from '../src/pipeline/build.js';
import { fitSummary } from '../src/inspect.js';
import { loadDataset } from '../src/data/index.js';
import { quantizeModel } from '../src/quant/ptq.js';
import type { Value } from '../src/ops/types.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'models', 'tflite');

/** CPU milliseconds of this process and of its waited-for children (Linux /proc; 0 elsewhere). */
function cpu(): { self: number; children: number } {
  const u = process.cpuUsage();
  let children = 0;
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = (Number(f[13]) + Number(f[14])) * 10; // clock ticks of 10 ms
  } catch {
    /* not Linux */
  }
  return { self: (u.user + u.system) / 1000, children };
}

export async function toolBench(): Promise<string> {
  const out: string[] = [];
  const model = join(SHARED, 'tflm-person-detect', 'person_detect.tflite');
  const g = await loadModel(model);
  const dir = mkdtempSync(join(tmpdir(), 'espforge-bench-tool-'));
  const rows: [string, number, number, number][] = [];
  let t = performance.now();
  let c = cpu();
  let stage = 'start';
  const mark = (next: string) => {
    const n = cpu();
    rows.push([stage, performance.now() - t, n.self - c.self, n.children - c.children]);
    t = performance.now();
    c = n;
    stage = next;
  };
  const t0 = performance.now();
  try {
    // the options of `espforge build MODEL --target esp32s3 --verify host` (code measured with the RISC-V toolchain)
    const r = buildProject(g, { target: 'esp32s3', out: join(dir, 'p'), dryRun: true, verify: ['host'], modelFile: model, measureCode: true, profileLayers: true, onStage: mark });
    mark('');
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const total = rows.reduce((a, r) => [a[0] + r[1], a[1] + r[2], a[2] + r[3]], [0, 0, 0]);
  out.push('### `build person_detect.tflite --target esp32s3 --verify host` (300 KB int8 model)\n');
  out.push('| stage | wall ms | CPU ms (Node) | CPU ms (compilers, programs) |', '|---|---:|---:|---:|');
  for (const [s, w, a, b] of rows) out.push(`| ${s} | ${w.toFixed(0)} | ${a.toFixed(0)} | ${b} |`);
  out.push(`| **total** | ${(performance.now() - t0).toFixed(0)} | ${total[1].toFixed(0)} | ${total[2]} |`);
  out.push(`\nCPU total ${((total[1] + total[2]) / 1000).toFixed(1)} s. Stages as build reports them: "emit" includes the rv32 compile that measures the code size, "host" the -O2 build and run, "sanitizers" the ASan/UBSan build (-O0) and run, "esp-idf project" the CMake build of the whole project through the host stand-in.\n`);

  c = cpu();
  t = performance.now();
  const f = await fitSummary(g);
  const fc = cpu();
  out.push(`### \`inspect\` fit\n\nperson_detect: per-chip fit (arena ${f.arenaBytes} B) in ${(performance.now() - t).toFixed(0)} ms wall, ${(fc.self - c.self).toFixed(0)} ms CPU, no compiler run (plan + emit only).\n`);

  const fm = await loadModel(join(SHARED, 'tinymaix', 'mnist_resnet_f.tflite'));
  const ds = await loadDataset('builtin:mnist', { split: 'train', limit: 500, inputShape: [28, 28, 1] });
  const calib: Value[][] = [];
  for (let i = 0; i < 500; i++) calib.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784) }]);
  c = cpu();
  t = performance.now();
  await quantizeModel(fm, calib);
  const qc = cpu();
  out.push(`### Calibration\n\nmnist_resnet_f (501 k MACs), int8 minmax on 500 MNIST images: ${(performance.now() - t).toFixed(0)} ms wall, ${(qc.self - c.self).toFixed(0)} ms CPU.\n`);
  out.push(`Load average when measured: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores.\n`);
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await toolBench());
}
