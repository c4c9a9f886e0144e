// `build --format espdl`: quantize for ESP-DL (quantize.ts), simulate the embedded test input with the ESP-DL
// arithmetic mode, write the .espdl (writer.ts) and an ESP-IDF project that depends on the espressif/esp-dl
// component, embeds the model in flash rodata 16-byte aligned (esp-dl's target_add_aligned_binary_data), and on
// boot runs model->test() — which compares ESP-DL's output for the embedded input with the simulated one — then
// one timed inference.
//
//   OUT/CMakeLists.txt  sdkconfig.defaults  partitions.csv  README.md
//   OUT/main/CMakeLists.txt  main/idf_component.yml  main/app_main.cpp  main/models/model.espdl

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import type { Value } from '../../ops/types.js';
import { espdlTestVectors } from '../../import/espdl/index.js';
import { isEspdlGraph, quantizeEspdlInput } from '../../sim/espdl/index.js';
import { chip as chipBudget } from '../../targets/chips.js';
import { banner, sanitizeName, type Provenance } from '../common/cwriter.js';
import { writeProject } from '../espidf/project.js';
import { quantizeEspdl } from './quantize.js';
import { writeEspdl } from './writer.js';

export interface EspdlBuildOptions {
  target: string;
  out?: string;
  name?: string;
  force?: boolean;
  /** Calibration samples (graph-input layout, float) for a float model. */
  samples?: Value[][];
  modelFile?: string;
  commandLine?: string;
}

export interface EspdlBuildResult {
  name: string;
  target: string;
  /** The ESP-DL-mode graph that was written (and simulated). */
  graph: Graph;
  espdl: Uint8Array;
  testInput: Value[];
  testOutput: Value[];
  nodes: number;
  parameters: number;
  notes: string[];
  files: string[];
  /** Float model vs the ESP-DL int8 simulation on calibration samples (float models only). */
  agreement?: { samples: number; agree: number; sqnrDb: number };
}

/** Float vs ESP-DL int8 outputs (dequantized, graph output 0) on samples: argmax agreement and SQNR. */
async function compareWithFloat(g: Graph, qg: Graph, samples: Value[][]): Promise<{ samples: number; agree: number; sqnrDb: number }> {
  const { runPasses } = await import('../../passes/index.js');
  const { runFloat } = await import('../../sim/float.js');
  const { prepareIntGraph, runInt } = await import('../../sim/int.js');
  const fg = runPasses(g);
  const pq = prepareIntGraph(qg);
  const prod = new Map(fg.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  // the export leaves a final Softmax out: compare the logits
  const last = prod.get(fg.outputs[0]);
  const want = last && (last.op === 'Softmax' || last.op === 'LogSoftmax') ? last.inputs[0] : fg.outputs[0];
  const e = Math.log2(pq.tensors[pq.outputs[0]].quant?.scale[0] ?? 1);
  let agree = 0;
  let sig = 0;
  let err = 0;
  for (const s of samples) {
    const fv = runFloat(fg, s, { keepAll: true }).values!.get(want)!.data;
    const qv = runInt(pq, s.map((v, k) => quantizeEspdlInput(v, pq, pq.inputs[k]))).outputs[0].data;
    let fa = 0;
    let qa = 0;
    for (let i = 0; i < fv.length; i++) {
      const q = Number(qv[i]) * 2 ** e;
      sig += fv[i] ** 2;
      err += (q - fv[i]) ** 2;
      if (fv[i] > fv[fa]) fa = i;
      if (Number(qv[i]) > Number(qv[qa])) qa = i;
    }
    if (fa === qa) agree++;
  }
  return { samples: samples.length, agree, sqnrDb: 10 * Math.log10(sig / Math.max(err, 1e-30)) };
}

/** The esp-dl component version the project asks for (v3 .espdl format, ESP32-S3 and ESP32-P4 support). */
export const ESP_DL_VERSION = '^3.1.0';

export async function buildEspdl(g: Graph, o: EspdlBuildOptions): Promise<EspdlBuildResult> {
  const notes: string[] = [];
  let agreement: EspdlBuildResult['agreement'];
  let qg: Graph;
  let testIn: Value[];
  if (isEspdlGraph(g)) {
    if (g.meta.info?.chip !== o.target) notes.push(`the model was imported for ${g.meta.info?.chip}; written for ${o.target}`);
    qg = { ...g, meta: { ...g.meta, info: { ...g.meta.info, chip: o.target } } };
    const tv = espdlTestVectors(g);
    testIn = tv ? tv.inputs : g.inputs.map((id) => ({ dtype: g.tensors[id].dtype, shape: g.tensors[id].shape, data: new Int8Array(g.tensors[id].shape.reduce((a, b) => a * b, 1)) }));
  } else {
    if (!o.samples?.length)
      fail('EF3001', 'a float model needs calibration data to be quantized for ESP-DL', { suggestion: 'give --calib DATA' });
    const r = await quantizeEspdl(g, o.samples, o.target);
    qg = r.graph;
    notes.push(...r.notes);
    testIn = o.samples[0].map((v, k) => quantizeEspdlInput(v, qg, qg.inputs[k]));
    agreement = await compareWithFloat(g, qg, o.samples.slice(0, 16));
    notes.push(`ESP-DL int8 vs the float model on ${agreement.samples} calibration sample(s): argmax agrees on ${agreement.agree}, output SQNR ${agreement.sqnrDb.toFixed(1)} dB`);
  }
  const { prepareIntGraph, runInt } = await import('../../sim/int.js');
  const testOut = runInt(prepareIntGraph(qg), testIn).outputs;
  const espdl = writeEspdl(qg, { test: { inputs: testIn, outputs: testOut } });
  const name = sanitizeName(o.name ?? (o.modelFile ? basename(o.modelFile).replace(/\.[^.]*$/, '') : 'model'));
  const prov: Provenance = {
    commandLine: o.commandLine,
    modelFile: o.modelFile ? basename(o.modelFile) : undefined,
    modelSha256: o.modelFile ? createHash('sha256').update(readFileSync(o.modelFile)).digest('hex') : undefined,
  };
  const files = projectFiles(name, o.target, espdl, qg, prov);
  if (o.out) writeProject(o.out, files, o.force);
  let parameters = 0;
  for (const t of qg.tensors) if (t.data) parameters += t.data.length;
  return { name, target: o.target, graph: qg, espdl, testInput: testIn, testOutput: testOut, nodes: qg.nodes.length, parameters, notes, files: Object.keys(files).sort(), agreement };
}

function projectFiles(name: string, target: string, espdl: Uint8Array, g: Graph, prov: Provenance): Record<string, string | Uint8Array> {
  const chip = chipBudget(target);
  const hash = (what: string) => banner(what, prov).replace(/^\/\*/, '#').replace(/^ \*\/?/gm, '#').trimEnd() + '\n';
  // the app image holds the model in rodata: 1 MB for code and libraries plus the model, in 64 KB steps
  const factory = Math.ceil((0x100000 + espdl.length) / 0x10000) * 0x10000;
  const files: Record<string, string | Uint8Array> = {};
  files['CMakeLists.txt'] = hash('ESP-IDF project (ESP-DL)') + `cmake_minimum_required(VERSION 3.16)\ninclude($ENV{IDF_PATH}/tools/cmake/project.cmake)\nproject(${name}_espdl)\n`;
  files['sdkconfig.defaults'] = [
    `# espforge: ${chip.name} defaults for an ESP-DL model`,
    `CONFIG_IDF_TARGET="${chip.id}"`,
    `${chip.cpuFreqOption}=y`,
    'CONFIG_COMPILER_OPTIMIZATION_PERF=y',
    `CONFIG_ESPTOOLPY_FLASHSIZE_${chip.flashSize}=y`,
    `CONFIG_ESPTOOLPY_FLASHSIZE="${chip.flashSize}"`,
    'CONFIG_ESP_MAIN_TASK_STACK_SIZE=16384',
    'CONFIG_PARTITION_TABLE_CUSTOM=y',
    'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="partitions.csv"',
    'CONFIG_PARTITION_TABLE_FILENAME="partitions.csv"',
    '',
  ].join('\n');
  files['partitions.csv'] =
    `# espforge: factory partition sized for the app plus the ${espdl.length}-byte model in rodata\n` +
    `# Name,   Type, SubType, Offset,  Size\n` +
    `nvs,      data, nvs,     0x9000,  0x6000\n` +
    `phy_init, data, phy,     0xf000,  0x1000\n` +
    `factory,  app,  factory, 0x10000, 0x${factory.toString(16)}\n`;
  files['main/idf_component.yml'] = `# espforge: the ESP-DL runtime that loads and runs main/models/model.espdl\ndependencies:\n  idf: ">=5.3"\n  espressif/esp-dl: "${ESP_DL_VERSION}"\n`;
  files['main/CMakeLists.txt'] =
    hash('main component: app + the .espdl model in flash rodata') +
    [
      'idf_build_get_property(component_targets __COMPONENT_TARGETS)',
      'if("___idf_espressif__esp-dl" IN_LIST component_targets)',
      '  idf_component_get_property(espdl_dir espressif__esp-dl COMPONENT_DIR)',
      'elseif("___idf_esp-dl" IN_LIST component_targets)',
      '  idf_component_get_property(espdl_dir esp-dl COMPONENT_DIR)',
      'endif()',
      '# target_add_aligned_binary_data: embeds the model 16-byte aligned, so ESP-DL can use it in place',
      'include(${espdl_dir}/fbs_loader/cmake/utilities.cmake)',
      '',
      'idf_component_register(SRCS "app_main.cpp"',
      '                       REQUIRES esp-dl esp_timer)',
      '',
      'target_add_aligned_binary_data(${COMPONENT_LIB} "models/model.espdl" BINARY)',
      '',
    ].join('\n');
  files['main/models/model.espdl'] = espdl;
  const ins = g.inputs.map((id) => g.tensors[id]);
  const outs = g.outputs.map((id) => g.tensors[id]);
  const desc = (t: (typeof ins)[number]) => `${t.name}: ${t.dtype}[${t.shape.join(',')}] exponent ${Math.log2(t.quant!.scale[0])}`;
  files['main/app_main.cpp'] =
    banner(`${name}: load the ESP-DL model from flash rodata, check it with model->test(), time one inference`, prov) +
    `// inputs:  ${ins.map(desc).join('; ')}\n// outputs: ${outs.map(desc).join('; ')}\n` +
    `#include "dl_model_base.hpp"\n#include "esp_log.h"\n#include "esp_timer.h"\n\n` +
    `extern const uint8_t model_espdl[] asm("_binary_model_espdl_start");\n\nstatic const char *TAG = "${name}";\n\n` +
    `extern "C" void app_main(void)\n{\n` +
    `    // parameters stay in flash (param_copy = false): no PSRAM needed\n` +
    `    dl::Model *model = new dl::Model((const char *)model_espdl, fbs::MODEL_LOCATION_IN_FLASH_RODATA, 0,\n` +
    `                                     dl::MEMORY_MANAGER_GREEDY, nullptr, false);\n` +
    `    // the file embeds a test input and the output espforge's simulator computed for it (ESP-DL arithmetic for ${target});\n` +
    `    // test() runs the input and compares byte for byte (int16: within 1)\n` +
    `    esp_err_t err = model->test();\n` +
    `    ESP_LOGI(TAG, "model->test(): %s", err == ESP_OK ? "PASS (matches the espforge simulator)" : "FAIL");\n` +
    `    int64_t t0 = esp_timer_get_time();\n    model->run();\n    int64_t t1 = esp_timer_get_time();\n` +
    `    ESP_LOGI(TAG, "inference: %lld us", (long long)(t1 - t0));\n` +
    `    model->profile_memory();\n    delete model;\n}\n`;
  files['README.md'] =
    `# ${name} on ESP-DL (${chip.name})\n\nGenerated by espforge. \`main/models/model.espdl\` is an ESP-DL v3 model (EDL2, power-of-two int8) for ${target};\n` +
    `it embeds a test input and the output espforge's bit-exact simulator of ESP-DL's arithmetic computed for it.\n\n` +
    `    idf.py set-target ${target}\n    idf.py build flash monitor\n\n` +
    `On boot the app runs \`model->test()\` (PASS means the chip computed exactly what espforge simulated) and times one\n` +
    `inference. The project fetches the \`espressif/esp-dl\` component (${ESP_DL_VERSION}) from the component registry; ESP-IDF >= 5.3.\n\n` +
    `Inputs are NHWC int8: Q = clamp(round(x / 2^exponent)); ${ins.map(desc).join('; ')}.\n`;
  return files;
}
