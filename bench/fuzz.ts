// Fuzz campaign section: `npm run bench fuzz` runs scripts/fuzz/driver.ts over every format (FUZZ_COUNT cases per
// format, default 4000; FUZZ_SEED, default 15) and renders the table. Long: hours on a shared 2-core machine.
import { join } from 'node:path';
import { runCampaign, type FormatTally } from '../scripts/fuzz/driver.js';

export function fuzzTable(seed: number, res: Record<string, FormatTally>): string {
  const rows = [
    '| format | cases | accepted | coded errors | internal errors | hangs (CPU > 5 s or stopped at 30 s) | cases > 1 GB RSS | known garbage accepted | mean wall ms | max CPU ms | max RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [f, t] of Object.entries(res))
    rows.push(
      `| ${f} | ${t.cases} | ${t.accepted} | ${t.coded} | ${t.internal} | ${t.hangs} | ${t.overMemory} | ${t.garbageAccepted} | ${Math.round(t.totalMs / Math.max(1, t.cases))} | ${t.maxCpuMs} | ${t.maxRssMb} |`,
    );
  return `Seed ${seed}. Mutations: truncation, bit flips, byte insertions, zeroed ranges, interesting 32-bit values, and structure-aware ones (TFLite scales and zero points, ONNX outputs / initializers / dims / nodes, JSON type confusion in TF.js model.json and Keras config.json, repeated and mis-sized TF.js shards, .npy header rewrites, zip bombs). Each case runs \`inspect\`'s path (import, validate, quantize a float model, plan, emit C, simulate) or the array readers, in a separate process.\n\n${rows.join('\n')}\n`;
}

export async function fuzzBench(): Promise<string> {
  const seed = Number(process.env.FUZZ_SEED ?? 15);
  const count = Number(process.env.FUZZ_COUNT ?? 4000);
  process.env.ESPFORGE_H5_TIMEOUT_MS ??= '4000';
  const res = await runCampaign({ shared: join(import.meta.dirname, '..', '..', 'shared'), count, seed });
  return fuzzTable(seed, res);
}
