// ESP-IDF project writer (PRODUCT.md "What build writes"):
//   OUT/CMakeLists.txt  sdkconfig.defaults  partitions.csv (when the app needs more than the 1 MB factory)
//   OUT/main/CMakeLists.txt  main/app_main.c
//   OUT/components/NAME/{CMakeLists.txt, idf_component.yml, include/NAME.h, NAME.c, NAME_weights.c, kernels}
//   OUT/report.md  report.json
// Writing is atomic: everything goes to a temporary sibling folder that then replaces OUT. A manifest
// (.espforge-manifest.json) records the hash of every file espforge wrote; an OUT holding any file that is not
// in the manifest or whose content changed since is not touched without `force` (EF0005).

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fail } from '../../diagnostics.js';
import { banner, cArrayBody, sha256Hex, type Provenance } from '../common/cwriter.js';
import type { ChipBudget } from '../../targets/chips.js';

export const MANIFEST = '.espforge-manifest.json';

/** Embedded samples: raw values per graph input and the simulator's output values per graph output, per sample. */
export interface AppSample {
  inputs: ArrayLike<number>[];
  expected: ArrayLike<number>[];
  /** C element types, e.g. 'int8_t', 'uint8_t'. */
  inputTypes: string[];
  outputTypes: string[];
  /** More samples (same types) after the first; the app runs and checks every one. */
  more?: { inputs: ArrayLike<number>[]; expected: ArrayLike<number>[] }[];
  /** Class index per sample (first, then `more`), -1 when unknown. */
  labels?: number[];
  /** Class names for output 0 (one per output element), printed next to the indices. */
  classes?: string[];
}

export interface ProjectSpec {
  prefix: string;
  chip: ChipBudget;
  /** Generated C library files (from emitC). */
  library: Record<string, string>;
  sample?: AppSample;
  /** Factory partition size in bytes when the default 1 MB is too small. */
  partitionSize?: number;
  /** The module's memory (--flash-size, --psram, --module) and where the arena goes. */
  memory?: { flashBytes?: number; psramBytes?: number; psramMode?: 'quad' | 'octal' | 'hex'; arenaInPsram?: boolean };
  /** Managed components the model component depends on (idf_component.yml), e.g. {'espressif/esp-nn': '^1.1.0'}. */
  dependencies?: Record<string, string>;
  /** Extra files at the project root (report.md, report.json). */
  extra?: Record<string, string>;
  provenance: Provenance;
}

/** All files of the project, keyed by relative path (deterministic). */
export function projectFiles(s: ProjectSpec): Record<string, string> {
  const P = s.prefix;
  const hashBanner = (what: string) => banner(what, s.provenance).replace(/^\/\*/, '#').replace(/^ \*\/?/gm, '#').trimEnd() + '\n';
  const files: Record<string, string> = {};
  const flash = s.memory?.flashBytes ? `${Math.round(s.memory.flashBytes / (1024 * 1024))}MB` : s.chip.flashSize;
  files['CMakeLists.txt'] =
    hashBanner('ESP-IDF project') +
    `cmake_minimum_required(VERSION 3.16)\ninclude($ENV{IDF_PATH}/tools/cmake/project.cmake)\n` +
    `# Build only main and what it requires (ESP-IDF >= 5.5 builds its examples this way: about half the build time,\n` +
    `# ~30 KB less image); older versions do not know the property, so it is set only from 5.5 on.\n` +
    `if(IDF_VERSION_MAJOR GREATER 5 OR (IDF_VERSION_MAJOR EQUAL 5 AND IDF_VERSION_MINOR GREATER_EQUAL 5))\n` +
    `  idf_build_set_property(MINIMAL_BUILD ON)\nendif()\n` +
    `project(${P}_app)\n`;
  const sdk = [
    `# espforge: ${s.chip.name} defaults`,
    `CONFIG_IDF_TARGET="${s.chip.id}"`,
    `${s.chip.cpuFreqOption}=y`,
    `CONFIG_COMPILER_OPTIMIZATION_PERF=y`,
    `CONFIG_ESPTOOLPY_FLASHSIZE_${flash}=y`,
    `CONFIG_ESPTOOLPY_FLASHSIZE="${flash}"`,
    `CONFIG_ESP_MAIN_TASK_STACK_SIZE=8192`,
  ];
  sdk.push(...spiramConfig(s));
  if (s.partitionSize) {
    sdk.push('CONFIG_PARTITION_TABLE_CUSTOM=y', 'CONFIG_PARTITION_TABLE_CUSTOM_FILENAME="partitions.csv"', 'CONFIG_PARTITION_TABLE_FILENAME="partitions.csv"');
    files['partitions.csv'] =
      `# espforge: the model needs a factory partition larger than the default 1 MB\n` +
      `# Name,   Type, SubType, Offset,  Size\n` +
      `nvs,      data, nvs,     0x9000,  0x6000\n` +
      `phy_init, data, phy,     0xf000,  0x1000\n` +
      `factory,  app,  factory, 0x10000, 0x${s.partitionSize.toString(16)}\n`;
  }
  files['sdkconfig.defaults'] = sdk.join('\n') + '\n';
  files['main/CMakeLists.txt'] = hashBanner('main component') + `idf_component_register(SRCS "app_main.c"\n                       REQUIRES ${P} esp_timer)\n`;
  files['main/app_main.c'] = appMain(s);
  const comp = `components/${P}`;
  const srcs = Object.keys(s.library).filter((f) => f.endsWith('.c')).sort();
  files[`${comp}/CMakeLists.txt`] =
    hashBanner(`component ${P}`) +
    `idf_component_register(SRCS ${srcs.map((f) => `"${f}"`).join(' ')}\n                       INCLUDE_DIRS "include")\n` +
    `target_compile_options(\${COMPONENT_LIB} PRIVATE -O2)\n`;
  files[`${comp}/idf_component.yml`] =
    `# espforge-generated model component\nversion: "1.0.0"\ndescription: "${P}: generated int8 model (espforge)"\ndependencies:\n  idf: ">=5.0"\n` +
    Object.entries(s.dependencies ?? {}).map(([k, v]) => `  ${k}: "${v}"\n`).join('');
  for (const [f, text] of Object.entries(s.library)) {
    files[f === `${P}.h` ? `${comp}/include/${f}` : `${comp}/${f}`] = text;
  }
  for (const [f, text] of Object.entries(s.extra ?? {})) files[f] = text;
  return files;
}

/** sdkconfig lines for the module's PSRAM (ESP-IDF Kconfig: components/esp_psram): enabled whenever the module has
 * PSRAM; the arena's static buffer goes there through EXT_RAM_BSS_ATTR, which needs BSS in external memory. */
function spiramConfig(s: ProjectSpec): string[] {
  const m = s.memory;
  if (!m?.psramBytes) return [];
  const L = [`# PSRAM: ${Math.round(m.psramBytes / (1024 * 1024))} MB ${m.psramMode ?? ''} on this module`.trimEnd(), 'CONFIG_SPIRAM=y'];
  if (s.chip.id === 'esp32s3') L.push(m.psramMode === 'octal' ? 'CONFIG_SPIRAM_MODE_OCT=y' : 'CONFIG_SPIRAM_MODE_QUAD=y', 'CONFIG_SPIRAM_SPEED_80M=y');
  if (s.chip.id === 'esp32p4') L.push('CONFIG_SPIRAM_SPEED_200M=y');
  if (m.arenaInPsram) L.push('# the model arena is a static buffer in PSRAM (EXT_RAM_BSS_ATTR)', 'CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y');
  return L;
}

/** Port name as the header names it: `input` when there is one, else `input0`, `input1`, ... */
const ioName = (kind: 'input' | 'output', k: number, count: number) => (count === 1 ? kind : `${kind}${k}`);

/** Golden values as C literals of `type`: int8_t bytes (0..255) get their signed value; int16_t values are
 * signed already (normalised in case they were recorded as 16-bit patterns). */
function literals(bytes: ArrayLike<number>, type: string): number[] {
  if (type === 'int16_t') return Array.from(bytes, (v) => (v << 16) >> 16);
  return Array.from(bytes, (b) => (type === 'int8_t' && b > 127 ? b - 256 : b));
}

/** A class name as a C string literal body: printable ASCII (others become '_'), with quotes, backslashes and '?'
 * escaped (no trigraphs such as ??= under -std=c99). */
function cName(s: string): string {
  return s.slice(0, 48).replace(/[^\x20-\x7e]/g, '_').replace(/["\\?]/g, (c) => `\\${c}`);
}

/**
 * main/app_main.c: runs every embedded sample, compares each output with the simulator's, and prints one
 * machine-readable line per sample (parsed by `espforge compare`, see src/verify/serial.ts):
 *   espforge-sample idx=K label=L pred=P check=PASS|FAIL q=v0,v1,... deq=f0,f1,...   (label -1: unknown)
 * then `NAME: PASS (...)` or `NAME: FAIL (...)` and `NAME: predicted class P, ...` for the first sample.
 */
function appMain(s: ProjectSpec): string {
  const P = s.prefix;
  const PU = P.toUpperCase();
  const L: string[] = [banner('main/app_main.c: runs the model on embedded samples and checks them', s.provenance)];
  L.push('#include <stdint.h>\n#include <stdio.h>\n#include "esp_timer.h"\n#include "' + P + '.h"\n');
  const smp = s.sample;
  if (!smp) {
    // Without a sample the app still runs the model (on zeros) to report latency, but claims no check.
    L.push(`/* no sample was embedded: the model runs on an all-zero input and nothing is compared */`);
    L.push(`void app_main(void)\n{\n    printf("${P}: no sample embedded; build with a sample to check the output\\n");\n}\n`);
    return L.join('\n');
  }
  const all = [{ inputs: smp.inputs, expected: smp.expected }, ...(smp.more ?? [])];
  const N = all.length;
  const nIn = smp.inputs.length;
  const nOut = smp.expected.length;
  const inN = (k: number) => ioName('input', k, nIn);
  const outN = (k: number) => ioName('output', k, nOut);
  const SZ = (nm: string) => `${PU}_${nm.toUpperCase()}_SIZE`;
  // sample 0 keeps the historical names sample_input / expected_output; sample j > 0 is sampleJ_input / expectedJ_output
  const sIn = (j: number, k: number) => `sample${j ? j : ''}_${inN(k)}`;
  const sExp = (j: number, k: number) => `expected${j ? j : ''}_${outN(k)}`;
  L.push(`/* ${N} sample input(s) and the output(s) espforge's integer simulator computed for them on the host */`);
  L.push(`#define SAMPLE_COUNT ${N}`);
  all.forEach((x, j) => {
    for (let k = 0; k < nIn; k++)
      L.push(`static const ${smp.inputTypes[k]} ${sIn(j, k)}[${SZ(inN(k))}] = {\n${cArrayBody(literals(x.inputs[k], smp.inputTypes[k]), 16)}\n};`);
    for (let k = 0; k < nOut; k++)
      L.push(`static const ${smp.outputTypes[k]} ${sExp(j, k)}[${SZ(outN(k))}] = {\n${cArrayBody(literals(x.expected[k], smp.outputTypes[k]), 16)}\n};`);
  });
  for (let k = 0; k < nIn; k++)
    L.push(`static const ${smp.inputTypes[k]} *const sample_${inN(k)}s[SAMPLE_COUNT] = { ${all.map((_, j) => sIn(j, k)).join(', ')} };`);
  for (let k = 0; k < nOut; k++) {
    L.push(`static const ${smp.outputTypes[k]} *const expected_${outN(k)}s[SAMPLE_COUNT] = { ${all.map((_, j) => sExp(j, k)).join(', ')} };`);
    L.push(`static ${smp.outputTypes[k]} ${outN(k)}[${SZ(outN(k))}];`);
  }
  const labels = all.map((_, j) => smp.labels?.[j] ?? -1);
  L.push(`/* true class of each sample (-1: not known) */\nstatic const int sample_labels[SAMPLE_COUNT] = { ${labels.join(', ')} };`);
  const o0 = outN(0);
  const names = smp.classes && smp.classes.length === shapeLen(smp.expected[0]) ? smp.classes : undefined;
  if (names) L.push(`/* class names of ${o0} */\nstatic const char *const class_names[${names.length}] = {\n${names.map((c) => `    "${cName(c)}"`).join(',\n')}\n};`);
  const args = [...Array.from({ length: nIn }, (_, k) => `sample_${inN(k)}s[n]`), ...Array.from({ length: nOut }, (_, k) => outN(k))].join(', ');
  L.push('\nvoid app_main(void)\n{\n    int i, n, best = 0, first = 0, passed = 0;\n    int64_t dt = 0, first_dt = 0;');
  L.push('    for (n = 0; n < SAMPLE_COUNT; ++n) {\n        int same = 1;');
  L.push(`        int64_t t0 = esp_timer_get_time();\n        ${P}_invoke(${args});\n        int64_t t1 = esp_timer_get_time();\n        dt += t1 - t0;`);
  for (let k = 0; k < nOut; k++) {
    const o = outN(k);
    L.push(`        for (i = 0; i < ${SZ(o)}; ++i)\n            if (${o}[i] != expected_${o}s[n][i]) same = 0;`);
  }
  L.push(`        best = 0;\n        for (i = 1; i < ${SZ(o0)}; ++i)\n            if (${o0}[i] > ${o0}[best]) best = i;`);
  L.push(`        if (n == 0) { first = best; first_dt = t1 - t0; }\n        passed += same;`);
  L.push(`        printf("espforge-sample idx=%d label=%d pred=%d check=%s q=", n, sample_labels[n], best, same ? "PASS" : "FAIL");`);
  L.push(`        for (i = 0; i < ${SZ(o0)}; ++i) printf("%s%d", i ? "," : "", (int)${o0}[i]);`);
  L.push(`        printf(" deq=");`);
  L.push(`        for (i = 0; i < ${SZ(o0)}; ++i) printf("%s%.6f", i ? "," : "", (double)((float)((int32_t)${o0}[i] - ${PU}_${o0.toUpperCase()}_ZERO_POINT) * ${PU}_${o0.toUpperCase()}_SCALE));`);
  L.push(`        printf("\\n");`);
  if (names)
    L.push(`        if (sample_labels[n] >= 0 && sample_labels[n] < ${names.length})\n            printf("${P}: sample %d: label %d (%s), predicted %d (%s)\\n", n, sample_labels[n], class_names[sample_labels[n]], best, class_names[best]);\n        else\n            printf("${P}: sample %d: predicted %d (%s)\\n", n, best, class_names[best]);`);
  else L.push(`        if (sample_labels[n] >= 0)\n            printf("${P}: sample %d: label %d, predicted %d\\n", n, sample_labels[n], best);`);
  L.push('    }');
  L.push(`    if (passed == SAMPLE_COUNT)\n        printf("${P}: PASS (output identical to the host simulator on %d/%d samples)\\n", passed, SAMPLE_COUNT);`);
  L.push(`    else\n        printf("${P}: FAIL (output differs from the host simulator on %d/%d samples)\\n", SAMPLE_COUNT - passed, SAMPLE_COUNT);`);
  L.push(`    printf("${P}: predicted class %d, latency %lld us (sample 0; mean %lld us over %d), arena %d bytes\\n", first, (long long)first_dt, (long long)(dt / SAMPLE_COUNT), SAMPLE_COUNT, ${PU}_ARENA_SIZE);\n}\n`);
  return L.join('\n');
}

const shapeLen = (a: ArrayLike<number>) => a.length;

/** Write one file completely or not at all (temporary sibling + rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const abs = resolve(file);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${basename(abs)}.espforge-tmp-${process.pid}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, abs);
  } finally {
    rmSync(tmp, { force: true });
  }
}

interface Manifest {
  tool: 'espforge';
  files: Record<string, string>;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Files in `dir` that espforge did not write or that were edited since. */
export function foreignFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) return ['.'];
  let man: Manifest | undefined;
  try {
    man = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    man = undefined;
  }
  const present = listFiles(dir).filter((f) => f !== MANIFEST);
  if (!man) return present;
  return present.filter((f) => man!.files[f] === undefined || man!.files[f] !== sha256Hex(readFileSync(join(dir, f))));
}

/** Write `files` into `out` atomically (temp dir + rename); refuses to clobber foreign or edited files without force. */
export function writeProject(out: string, files: Record<string, string | Uint8Array>, force = false): void {
  const abs = resolve(out);
  const foreign = foreignFiles(abs);
  if (foreign.length && !force)
    fail('EF0005', `${out} holds ${foreign.length} file(s) espforge did not write or that were edited since (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''})`, {
      file: out,
      suggestion: 'choose another --out folder, or pass --force to replace it',
    });
  const parent = dirname(abs);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(abs)}.espforge-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    const man: Manifest = { tool: 'espforge', files: {} };
    for (const [rel, text] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const p = join(tmp, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      man.files[rel] = sha256Hex(text);
    }
    writeFileSync(join(tmp, MANIFEST), JSON.stringify(man, null, 1) + '\n');
    if (existsSync(abs)) {
      const old = `${tmp}-old`;
      renameSync(abs, old);
      try {
        renameSync(tmp, abs);
      } catch (e) {
        renameSync(old, abs);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, abs);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
