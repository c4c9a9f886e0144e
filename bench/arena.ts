// Arena bytes next to TensorFlow Lite Micro: the planner's arena for the portable kernels and for ESP-NN on
// ESP32-S3 (whose scratch blocks count), the live lower bound (largest sum of tensors live at one step, all apart),
// the lower bound once outputs may overlap their own input as far as their kernels' memory walks allow
// (src/plan/overlap.ts; portable kernels only), and TFLM's arena_used_bytes on rv32
// from ../shared/reference/tflm. MobileNetV2 1.0 224 is the repo's int8 builder (test/helpers/mobilenet.ts);
// its TFLM figure is the one quoted in issue #12, not measured here. Section for bench/sections.ts; also runs
// alone: npx tsx bench/arena.ts

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../src/ir/graph.js';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph } from '../src/sim/int.js';
import { emitC } from '../src/codegen/c/emit.js';
import { espnnBackend } from '../src/codegen/espnn/lower.js';
import { mobileNetV2Int8 } from '../test/helpers/mobilenet.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const MODELS = ['tflm-person-detect/person_detect', 'tinymaix/vww96_q', 'tinymaix/mnist_resnet_q', 'tinymaix/cifar10_q'];

export async function arenaBench(): Promise<string> {
  const rows = [
    '| model | live lower bound B | lower bound with overlaps B | arena B (portable) | arena B (ESP-NN, esp32s3) | TFLM arena B | portable / TFLM | ESP-NN / TFLM |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const row = (name: string, g: Graph, tflm: number, note = '') => {
    const p = emitC(g, { name: 'm' }).plan;
    const s3 = emitC(g, { name: 'm', backend: espnnBackend(g, 'esp32s3') }).plan;
    rows.push(`| ${name} | ${p.disjointLowerBound} | ${p.lowerBound} | ${p.arenaSize} | ${s3.arenaSize} | ${tflm}${note} | ${(p.arenaSize / tflm).toFixed(2)}× | ${(s3.arenaSize / tflm).toFixed(2)}× |`);
  };
  for (const rel of MODELS) {
    const meta = JSON.parse(readFileSync(join(SHARED, 'reference', 'tflm', rel, 'cases.json'), 'utf8'));
    row(rel.split('/')[1], prepareIntGraph(await loadModel(join(SHARED, 'models', 'tflite', meta.model))), meta.rv32_arena_used_bytes);
  }
  row('MobileNetV2 1.0 224 (int8, repo builder)', prepareIntGraph(await mobileNetV2Int8(1, 224)), 2600604, ' (issue #12)');
  return (
    rows.join('\n') +
    '\n\nArena = one static buffer; offsets from src/plan/planner.ts (several placement orders with first and best fit, then a seeded swap search; the smallest wins). A portable conv / depthwise / 1x1 / Add / Mul layer may write its output over its own dying input as far as the declared memory walk of its kernel allows (d = out - in offset within the range of src/plan/overlap.ts; the 1x1 then runs pixel-major, ef_gemmr_s8); ESP-NN layers never overlap. Target of issue #12: ≤ 0.6× TFLM.\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await arenaBench());
}
