// Arena bytes next to TensorFlow Lite Micro: the planner's arena for the portable kernels and for ESP-NN on
// ESP32-S3 (whose scratch blocks count), the live lower bound (largest sum of tensors live at one step, all apart),
// the lower bound once outputs may overlap their own input as far as their kernels' memory walks allow
// (src/plan/overlap.ts; portable kernels only), and TFLM's arena_used_bytes on rv32
// from ../shared/reference/tflm. MobileNetV2 1.0 224 is the repo's int8 builder (test/helpers/mobilenet.ts);
// its TFLM figure is the one quoted in issue #12, not measured here. With row bands (build --row-bands,
// src/codegen/c/row-bands.ts): the arena, the layer pairs taken, and rv32 instructions with and without (QEMU
// -icount, first TFLM reference case). Section for bench/sections.ts; also runs alone: npx tsx bench/arena.ts

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../src/ir/graph.js';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph } from '../src/sim/int.js';
import { emitC } from '../src/codegen/c/emit.js';
import { espnnBackend } from '../src/codegen/espnn/lower.js';
import { harnessSpec, simulate } from '../src/pipeline/build.js';
import { readNpy } from '../src/io/npy.js';
import { tensorBytes } from '../src/plan/planner.js';
import { hasTool } from '../src/verify/toolchain.js';
import { QEMU_RV32, RV32_GCC, runRv32 } from '../src/verify/host.js';
import { mobileNetV2Int8 } from '../test/helpers/mobilenet.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const MODELS = ['tflm-person-detect/person_detect', 'tinymaix/vww96_q', 'tinymaix/mnist_resnet_q', 'tinymaix/cifar10_q'];
/** Shared models whose row-band figures are listed (besides MODELS): the ones where a pair is taken. */
const BAND_MODELS = ['tvm-mnist-quant/mnist_model_quant'];

export async function arenaBench(): Promise<string> {
  const rows = [
    '| model | live lower bound B | lower bound with overlaps B | arena B (portable) | arena B (portable, --row-bands) | arena B (ESP-NN, esp32s3) | TFLM arena B | portable / TFLM | --row-bands / TFLM | ESP-NN / TFLM |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const bands = [
    '| model | pairs in row bands (band B / whole tensor B) | arena B without | arena B with | gain B | rv32 instructions without | with | cost |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const rv32 = hasTool(RV32_GCC) && hasTool(QEMU_RV32);
  const bandRow = (name: string, g: Graph, plain: ReturnType<typeof emitC>, banded: ReturnType<typeof emitC>, input?: number[]) => {
    const rb = banded.plan.rowBands!;
    if (!rb.used.length) return;
    const pairs = rb.used.map((u) => `${u.producer}+${u.producer + 1} (${u.bandBytes} / ${tensorBytes(g, g.nodes[u.producer].outputs[0])})`).join(', ');
    let instr = '| - | - | - |';
    if (rv32 && input) {
      const cases = [{ name: 'c0', inputs: [input], expected: simulate(g, [input]) }];
      const a = runRv32(plain.files, harnessSpec(g, plain.prefix), cases).cases[0];
      const b = runRv32(banded.files, harnessSpec(g, banded.prefix), cases).cases[0];
      const same = Array.from(a.outputs[0]).join() === Array.from(b.outputs[0]).join();
      const d = b.instret! - a.instret!;
      instr = `| ${a.instret} | ${b.instret}${same ? '' : ' (OUTPUT DIFFERS)'} | ${d >= 0 ? '+' : ''}${d} (${d >= 0 ? '+' : ''}${((100 * d) / a.instret!).toFixed(2)}%) |`;
    }
    bands.push(`| ${name} | ${pairs} | ${rb.arenaWithout} | ${banded.plan.arenaSize} | ${rb.arenaWithout - banded.plan.arenaSize} ${instr}`);
  };
  const row = (name: string, g: Graph, tflm: number, note = '', input?: number[]) => {
    const plain = emitC(g, { name: 'm' });
    const p = plain.plan;
    const banded = emitC(g, { name: 'm', rowBands: true });
    const b = banded.plan;
    const s3 = emitC(g, { name: 'm', backend: espnnBackend(g, 'esp32s3') }).plan;
    if (tflm > 0) rows.push(`| ${name} | ${p.disjointLowerBound} | ${p.lowerBound} | ${p.arenaSize} | ${b.arenaSize} | ${s3.arenaSize} | ${tflm}${note} | ${(p.arenaSize / tflm).toFixed(2)}× | ${(b.arenaSize / tflm).toFixed(2)}× | ${(s3.arenaSize / tflm).toFixed(2)}× |`);
    bandRow(name, g, plain, banded, input);
  };
  const shared = async (rel: string, table: boolean) => {
    const dir = join(SHARED, 'reference', 'tflm', rel);
    const meta = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
    const g = prepareIntGraph(await loadModel(join(SHARED, 'models', 'tflite', meta.model)));
    const inSize = g.tensors[g.inputs[0]].shape.reduce((a, b) => a * b, 1);
    const first = readdirSync(join(dir, 'inputs')).sort()[0];
    const x = readNpy(new Uint8Array(readFileSync(join(dir, 'inputs', first))));
    row(rel.split('/')[1], g, table ? meta.rv32_arena_used_bytes : 0, '', Array.from(x.data.subarray(0, inSize) as ArrayLike<number>));
  };
  for (const rel of MODELS) await shared(rel, true);
  for (const rel of BAND_MODELS) await shared(rel, false);
  row('MobileNetV2 1.0 224 (int8, repo builder)', prepareIntGraph(await mobileNetV2Int8(1, 224)), 2600604, ' (issue #12)');
  return (
    rows.join('\n') +
    '\n\nRow bands (`build --row-bands`, src/codegen/c/row-bands.ts): a layer whose output only the next conv / depthwise / pool reads runs interleaved with it, one output row of the next at a time, its output held as a band of the rows one window reads (each row computed once; the band slides by the consumer\'s stride, section bandslide); the planner takes a pair only when the arena shrinks by at least 1% (ROW_BAND_MIN_GAIN: person_detect and vww96_q have one candidate, layers 2+3, that would save 16 B for about 3.5% more instructions, so they take none). Instructions: rdinstret around NAME_invoke on rv32imc under QEMU, first TFLM reference case (MobileNetV2: not run), outputs of both builds identical. Fewer instructions with bands where no window reads an output row (mnist_model_quant: row 10 of layer 3\'s 11 is never computed, as the 2x2 pool after it reads rows 0-9); cifar10_q pays the slide (10,752 B a run).\n\n' +
    bands.join('\n') +
    '\n\nArena = one static buffer; offsets from src/plan/planner.ts (several placement orders with first and best fit, then a seeded swap search; the smallest wins). A portable conv / depthwise / 1x1 / Add / Mul layer may write its output over its own dying input as far as the declared memory walk of its kernel allows (d = out - in offset within the range of src/plan/overlap.ts; the 1x1 then runs pixel-major, ef_gemmr_s8); ESP-NN layers never overlap. Target of issue #12: ≤ 0.6× TFLM.\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await arenaBench());
}
