// The benchmark sections, in the order they appear in bench/results.md. Each returns a Markdown block.
import { floatBench } from './float.js';
import { intBench } from './int.js';
import { ptqBench } from './ptq.js';
import { codegenBench } from './codegen.js';
import { profileBench } from './profile.js';
import { toolBench } from './tool.js';
import { flashBench } from './flash.js';
import { arenaBench } from './arena.js';
import { trainBench } from './train.js';
import { espdlBench } from './espdl.js';
import { fuzzBench } from './fuzz.js';

export interface Section {
  id: string;
  title: string;
  run: () => Promise<string>;
  /** Run only when named (`npm run bench fuzz`): too long for the default run. */
  onlyWhenNamed?: boolean;
}

export const SECTIONS: Section[] = [
  { id: 'float', title: 'Float reference interpreter throughput', run: floatBench },
  { id: 'ptq', title: 'Post-training quantization: accuracy and agreement', run: ptqBench },
  { id: 'codegen', title: 'Generated C on rv32imc (ESP32-C3 ISA): instructions, arena, size, byte-exactness', run: codegenBench },
  { id: 'profile', title: 'Per-layer profile on rv32imc: instructions per layer and per MAC', run: profileBench },
  { id: 'arena', title: 'Arena next to TensorFlow Lite Micro', run: arenaBench },
  { id: 'flash', title: 'Model flash on rv32imc next to TensorFlow Lite Micro', run: flashBench },
  { id: 'int', title: 'Integer simulator: speed and byte-exact agreement with TensorFlow Lite Micro', run: intBench },
  { id: 'tool', title: 'Tool speed: build --verify host, inspect fit, calibration', run: toolBench },
  { id: 'train', title: 'Training (TF.js wasm backend)', run: trainBench },
  { id: 'espdl', title: 'ESP-DL interoperability: arithmetic, pretrained .espdl base', run: espdlBench },
  { id: 'fuzz', title: 'Fuzz campaign: hostile input over every format', run: fuzzBench, onlyWhenNamed: true },
];
