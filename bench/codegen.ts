// Generated C on rv32imc (gcc -O2, picolibc, QEMU virt -icount shift=0): exact retired instructions of one
// inference per shared int8 TFLite model, next to TensorFlow Lite Micro's reference kernels on the same setup
// (instret recorded in ../shared/reference/tflm/*/cases.json), arena bytes next to TFLM's arena, and a
// byte-exact check of every output against the TFLM reference outputs. Section for bench/sections.ts
// (`{ id: 'codegen', title: ..., run: codegenBench }`); also runs alone: npx tsx bench/codegen.ts

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph } from '../src/sim/int.js';
import { emitC } from '../src/codegen/c/emit.js';
import { harnessSpec, graphMacs } from '../src/pipeline/build.js';
import { readNpy } from '../src/io/npy.js';
import { runRv32 } from '../src/verify/host.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const MODELS = [
  'tflm-hello-world/hello_world_int8',
  'tflm-micro-speech/micro_speech_quantized',
  'tvm-kws-yes-no/yes_no',
  'tvm-mnist-quant/mnist_model_quant',
  'tflm-person-detect/person_detect',
  'tinymaix/mnist_valid_q',
  'tinymaix/mnist_dw_q',
  'tinymaix/mnist_resnet_q',
  'tinymaix/cifar10_q',
  'tinymaix/vww96_q',
];

function modelPath(rel: string): string {
  const [dir, stem] = rel.split('/');
  const direct = join(SHARED, 'models', 'tflite', dir, `${stem}.tflite`);
  if (existsSync(direct)) return direct;
  const walk = (d: string): string | undefined => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        const r = walk(p);
        if (r) return r;
      } else if (e.name === `${stem}.tflite`) return p;
    }
  };
  return walk(join(SHARED, 'models', 'tflite', dir)) ?? direct;
}

export async function codegenBench(): Promise<string> {
  if (!existsSync(SHARED)) return 'not measured: ../shared is absent\n';
  const rows = [
    '| model | MACs | espforge rv32 instr | per MAC | TFLM ref instr | per MAC | speed-up | espforge arena B | TFLM arena B | text+rodata B | data B | bss B | bytes = TFLM |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const rel of MODELS) {
    const refDir = join(SHARED, 'reference', 'tflm', rel);
    const meta = JSON.parse(readFileSync(join(refDir, 'cases.json'), 'utf8'));
    const g = prepareIntGraph(await loadModel(modelPath(rel)));
    const e = emitC(g, { name: rel.split('/')[1] });
    const inSize = g.tensors[g.inputs[0]].shape.reduce((a, b) => a * b, 1);
    const cases: { name: string; inputs: number[][]; expected: number[][]; tflm: number }[] = [];
    for (const c of meta.cases.slice(0, 3)) {
      const x = readNpy(new Uint8Array(readFileSync(join(refDir, c.input_file))));
      const y = readNpy(new Uint8Array(readFileSync(join(refDir, c.output_file))));
      cases.push({ name: c.id, inputs: [Array.from(x.data.subarray(0, inSize) as ArrayLike<number>)], expected: [Array.from(y.data as ArrayLike<number>, (v) => v & 0xff)], tflm: c.rv32_instret as number });
    }
    const run = runRv32(e.files, harnessSpec(g, e.prefix), cases);
    const outSize = cases[0].expected[0].length;
    const exact = run.cases.every((c, k) => [...c.outputs[0]].join() === cases[k].expected[0].slice(0, outSize).join());
    const macs = graphMacs(g).reduce((a, b) => a + b, 0);
    const mine = run.cases[0].instret!;
    const ref = cases[0].tflm;
    rows.push(
      `| ${rel.split('/')[1]} | ${macs} | ${mine} | ${(mine / macs).toFixed(2)} | ${ref ?? '-'} | ${ref ? (ref / macs).toFixed(2) : '-'} | ${ref ? (ref / mine).toFixed(2) + '×' : '-'} | ${e.plan.arenaSize} | ${meta.rv32_arena_used_bytes ?? '-'} | ${run.sizes?.text ?? '-'} | ${run.sizes?.data ?? '-'} | ${run.sizes?.bss ?? '-'} | ${exact ? 'yes' : '**NO**'} (${cases.length} cases) |`,
    );
  }
  return (
    rows.join('\n') +
    '\n\nrv32imc, `riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O2`, picolibc, `qemu-system-riscv32 -machine virt -icount shift=0`, ' +
    'instructions = rdinstret delta around `NAME_invoke` (input/output copies included) for the first case. Sizes are the model library\'s own objects (`riscv64-unknown-elf-size`; text includes the const weights). TFLM figures: reference kernels, same ' +
    'toolchain, from ../shared/reference/tflm (ESP-NN generic-optimized on person_detect: 58.7 M, 8.2/MAC per INT8-ARITHMETIC.md).\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await codegenBench());
}
