// Model flash next to TensorFlow Lite Micro: the generated library's objects compiled for rv32imc (-O2, as the
// component's CMakeLists compiles them), sections summed from `size -A` — code (.text), const data (.rodata:
// weights, requantization and other parameter tables), initialised data — against TFLM's flash for the same
// model: the .tflite flatbuffer (size from ../shared/reference/tflm) plus TFLM's runtime code on rv32, which
// issue #12 puts at 35–60 KB (not measured here: the ratio is given against both ends). Section for
// bench/sections.ts; also runs alone: npx tsx bench/flash.ts

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { prepareIntGraph } from '../src/sim/int.js';
import { emitC } from '../src/codegen/c/emit.js';
import { RV32_GCC } from '../src/verify/host.js';
import { run } from '../src/verify/toolchain.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const MODELS = [
  'tflm-hello-world/hello_world_int8',
  'tflm-micro-speech/micro_speech_quantized',
  'tvm-mnist-quant/mnist_model_quant',
  'tflm-person-detect/person_detect',
  'tinymaix/mnist_resnet_q',
  'tinymaix/cifar10_q',
  'tinymaix/vww96_q',
];
const TFLM_RUNTIME = [35 * 1024, 60 * 1024];

interface Sections {
  text: number;
  rodata: number;
  data: number;
}

function sectionsOf(files: Record<string, string>): Sections {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-bench-flash-'));
  try {
    for (const [f, s] of Object.entries(files)) writeFileSync(join(dir, f), s);
    const r: Sections = { text: 0, rodata: 0, data: 0 };
    for (const src of Object.keys(files).filter((f) => f.endsWith('.c'))) {
      const obj = src.replace(/\.c$/, '.o');
      const c = run(RV32_GCC, ['-march=rv32imc', '-mabi=ilp32', '-O2', '-std=c99', '--specs=picolibc.specs', '-I.', '-c', src, '-o', obj], { cwd: dir, timeoutMs: 300_000 });
      if (c.status !== 0) throw new Error(`${src}: ${c.stderr.slice(0, 300)}`);
      const sz = run('riscv64-unknown-elf-size', ['-A', obj], { cwd: dir });
      for (const line of sz.stdout.split('\n')) {
        const m = /^(\S+)\s+(\d+)\s+\d+/.exec(line.trim());
        if (!m) continue;
        if (m[1].startsWith('.text')) r.text += Number(m[2]);
        else if (m[1].startsWith('.rodata') || m[1].startsWith('.srodata')) r.rodata += Number(m[2]);
        else if (m[1].startsWith('.data') || m[1].startsWith('.sdata')) r.data += Number(m[2]);
      }
    }
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function flashBench(): Promise<string> {
  const rows = [
    '| model | weights B | tables B | code B (.text) | const data B (.rodata) | data B | espforge flash B | .tflite B | TFLM flash B (35–60 KB runtime) | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const rel of MODELS) {
    const meta = JSON.parse(readFileSync(join(SHARED, 'reference', 'tflm', rel, 'cases.json'), 'utf8'));
    const g = prepareIntGraph(await loadModel(join(SHARED, 'models', 'tflite', meta.model)));
    const e = emitC(g, { name: rel.split('/')[1] });
    const s = sectionsOf(e.files);
    const mine = s.text + s.rodata + s.data;
    const fb = meta.model_bytes as number;
    const [lo, hi] = TFLM_RUNTIME.map((r) => fb + r);
    rows.push(
      `| ${rel.split('/')[1]} | ${e.weightBytes} | ${e.tableBytes} | ${s.text} | ${s.rodata} | ${s.data} | ${mine} | ${fb} | ${lo}–${hi} | ${(mine / lo).toFixed(2)}–${(mine / hi).toFixed(2)}× |`,
    );
  }
  return (
    rows.join('\n') +
    '\n\nespforge flash = .text + .rodata + .data of the library objects (NAME.c, NAME_weights.c, espforge_kernels.c), `riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O2`, before linking (no --gc-sections: every emitted kernel counted). "weights" and "tables" are the exact bytes of the generated arrays (part of .rodata): weights = filters and int32 biases (NAME_weights.c), tables = the static parameter tables of NAME.c, for these models the per-channel requantization tables (5 B per output channel: 2M as int32, a shift code as uint8). TFLM flash = the .tflite flatbuffer (compiled in as a const array) + 35–60 KB of TFLM runtime code on rv32 as stated in issue #12 (not measured here); the ratio is espforge / TFLM at the 35 KB and 60 KB ends. Target of the issue: ≤ 0.7×.\n'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(await flashBench());
}
