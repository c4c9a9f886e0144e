// npm run bench [-- section...]: measures speed and memory figures and writes bench/results.md.
// Figures are measured on the machine that runs this; tests never assert timings.

import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { SECTIONS } from './sections.js';

const REPO = join(import.meta.dirname, '..');
const RESULTS = join(REPO, 'bench', 'results.md');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = SECTIONS.filter((s) => (only.length === 0 ? !s.onlyWhenNamed : only.includes(s.id)));
  const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const blocks = new Map<string, string>();
  // keep sections not re-run this time
  for (const m of previous.matchAll(/<!-- section:(\S+) -->\n([\s\S]*?)<!-- end:\1 -->/g)) blocks.set(m[1], m[2]);
  for (const s of chosen) {
    process.stderr.write(`bench: ${s.title} ...\n`);
    const t0 = performance.now();
    let md: string;
    try {
      md = await s.run();
    } catch (e) {
      md = `not measured: ${(e as Error).message.split('\n')[0]}\n`;
    }
    process.stderr.write(`bench: ${s.title} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const when = new Date().toISOString().slice(0, 10);
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    blocks.set(s.id, `## ${s.title}\n\n${md.trim()}\n\n_Measured ${when}; the section took ${secs} s to run._\n\n`);
    process.stdout.write(`## ${s.title}\n\n${md.trim()}\n\n`);
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let out = `# Benchmark results\n\nWritten by \`npm run bench\` (bench/run.ts). Machine: ${cpus().length} × ${cpu}, Node ${process.version}.\n`;
  out += `Each section records the day it was last measured; timings are wall-clock on a shared machine, instruction counts are exact.\n\n`;
  for (const s of SECTIONS) {
    const b = blocks.get(s.id);
    if (b) out += `<!-- section:${s.id} -->\n${b}<!-- end:${s.id} -->\n`;
  }
  writeFileSync(RESULTS, out);
}

await main();
