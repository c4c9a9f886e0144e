// Per-layer profile of the generated C on rv32imc: one QEMU run of the first TFLM reference case with the
// generated code's per-layer hook (-DESPFORGE_PROFILE), the same measurement as `espforge verify DIR --profile`.
// Instructions per layer and per MAC, for person_detect and the ResNet-class models, and a 16x8 (int16 activation)
// MobileNet quantized by espforge (no TFLM reference for it: its C is compared with the simulator). Section for
// bench/sections.ts (`{ id: 'profile', ... }`); also runs alone: npx tsx bench/profile.ts

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph } from '../src/sim/int.js';
import { emitC } from '../src/codegen/c/emit.js';
import { harnessSpec, graphMacs, simulate } from '../src/pipeline/build.js';
import { readNpy, readNpz } from '../src/io/npy.js';
import { runRv32, type GoldenCase } from '../src/verify/host.js';
import { quantize } from '../src/api.js';
import { quantizeInput } from '../src/quant/report.js';
import { shapeSize } from '../src/ir/dtype.js';
import type { Graph } from '../src/ir/graph.js';
import type { Value } from '../src/ops/types.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const MODELS: [string, string][] = [
  ['tflm-person-detect/person_detect', 'tflm-person-detect/person_detect.tflite'],
  ['tinymaix/mnist_resnet_q', 'tinymaix/mnist_resnet_q.tflite'],
  ['tinymaix/cifar10_q', 'tinymaix/cifar10_q.tflite'],
];

function shapeOf(g: ReturnType<typeof prepareIntGraph>, id: number): string {
  return g.tensors[id].shape.slice(1).join('×');
}

/** One model's per-layer table: a plain rv32 run (whole-invoke count) and a profiled one (per layer) of case gc. */
function profileTable(title: string, g: Graph, e: ReturnType<typeof emitC>, gc: GoldenCase): { lines: string[]; sum: number; total: number; instret: number; outputs: ArrayLike<number>[] } {
  const spec = harnessSpec(g, e.prefix);
  const plain = runRv32(e.files, spec, [gc]);
  const per = runRv32(e.files, spec, [gc], { profile: true }).cases[0].layers ?? [];
  const macs = graphMacs(g);
  const total = macs.reduce((a, b) => a + b, 0);
  const sum = per.reduce((a, b) => a + (b ?? 0), 0);
  const lines = [`### ${title}\n`, '| # | op | kernel | input → output | MACs | rv32 instr | instr / MAC | share |', '|---:|---|---|---|---:|---:|---:|---:|'];
  e.layers.forEach((l, i) => {
    const n = g.nodes[i];
    const ins = per[i] ?? 0;
    lines.push(
      `| ${i} | ${l.op} | ${l.kernel} | ${n ? `${shapeOf(g, n.inputs[0])} → ${shapeOf(g, n.outputs[0])}` : ''} | ${macs[i].toLocaleString('en-US')} | ${ins.toLocaleString('en-US')} | ${macs[i] > 0 ? (ins / macs[i]).toFixed(2) : '-'} | ${sum > 0 ? ((100 * ins) / sum).toFixed(1) : '-'}% |`,
    );
  });
  return { lines, sum, total, instret: plain.cases[0].instret ?? 0, outputs: plain.cases[0].outputs };
}

const perMac = (r: { sum: number; total: number; instret: number }) =>
  `Sum of layers ${r.sum.toLocaleString('en-US')} instructions (${(r.sum / r.total).toFixed(2)}/MAC); whole invoke without the hook ${r.instret.toLocaleString('en-US')} (${(r.instret / r.total).toFixed(2)}/MAC; input/output copies and calls make the difference); ${r.total.toLocaleString('en-US')} MACs.`;

export async function profileBench(): Promise<string> {
  const out: string[] = [];
  for (const [ref, file] of MODELS) {
    const refDir = join(SHARED, 'reference', 'tflm', ref);
    const meta = JSON.parse(readFileSync(join(refDir, 'cases.json'), 'utf8'));
    const g = prepareIntGraph(await loadModel(join(SHARED, 'models', 'tflite', file)));
    const e = emitC(g, { name: ref.split('/')[1] });
    const c = meta.cases[0];
    const inSize = shapeSize(g.tensors[g.inputs[0]].shape);
    const x = readNpy(new Uint8Array(readFileSync(join(refDir, c.input_file))));
    const y = readNpy(new Uint8Array(readFileSync(join(refDir, c.output_file))));
    const gc = { name: c.id, inputs: [Array.from(x.data.subarray(0, inSize) as ArrayLike<number>)], expected: [Array.from(y.data as ArrayLike<number>, (v) => v & 0xff)] };
    const r = profileTable(ref.split('/')[1], g, e, gc);
    const exact = Array.from(r.outputs[0]).join() === gc.expected[0].slice(0, r.outputs[0].length).join();
    out.push(...r.lines, `\n${perMac(r)} Output bytes = TFLM reference: ${exact ? 'yes' : '**NO**'} (case ${c.id}).\n`);
  }
  out.push(await profile16());
  return (
    out.join('\n') +
    '\nrv32imc, `riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O2`, `qemu-system-riscv32 -machine virt -icount shift=0`, portable kernels; per-layer counts from `-DESPFORGE_PROFILE` (rdinstret around each layer call, a few hook instructions each), the first reference case of ../shared/reference/tflm.\n'
  );
}

/** vww96_f (TinyMaix's float VWW MobileNet) quantized 16x8 by espforge on its six sample images (input 1/255),
 * profiled on the first image (quantized as `run --input-kind real` would); expected bytes from the integer
 * simulator (a consistency check, not TFLM). */
async function profile16(): Promise<string> {
  const samples = join(SHARED, 'models', 'tflite', 'tinymaix', 'samples', 'vww96_samples.npz');
  const q = await quantize(join(SHARED, 'models', 'tflite', 'tinymaix', 'vww96_f.tflite'), { calib: samples, scheme: 'int16', inputScale: String(1 / 255) } as Parameters<typeof quantize>[1]);
  const g = q.graph;
  const e = emitC(g, { name: 'vww96_i16' });
  const xt = g.tensors[g.inputs[0]];
  const img = readNpz(new Uint8Array(readFileSync(samples))).get('x')!;
  const n = shapeSize(xt.shape);
  const real: Value = { dtype: 'float32', shape: xt.shape.slice(), data: Float32Array.from({ length: n }, (_, i) => (img.data as ArrayLike<number>)[i] / 255) };
  const input = Array.from(quantizeInput(real, xt, 'real').data as ArrayLike<number>);
  const gc = { name: 'pic_person1', inputs: [input], expected: simulate(g, [input]) };
  const r = profileTable('vww96_f, 16x8 (int16 activations, int8 weights), quantized by espforge', g, e, gc);
  const same = r.outputs.every((o, j) => Array.from(o).join() === Array.from(gc.expected[j]).join());
  r.lines.push(`\n${perMac(r)} Calibrated on the 6 sample images of ../shared/models/tflite/tinymaix/samples/vww96_samples.npz, profiled on pic_person1; output = the integer simulator's: ${same ? 'yes' : '**NO**'} (a consistency check of our own two implementations; the 16x8 kernels' independent check is the TFLM int16 corpus, test/verify/tflm-random).\n`);
  return r.lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await profileBench());
}
