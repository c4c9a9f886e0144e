// ESP-IDF project writer (PRODUCT.md "What build writes"):
//   OUT/CMakeLists.txt  sdkconfig.defaults  partitions.csv (when the app needs more than the 1 MB factory)
//   OUT/main/CMakeLists.txt  main/app_main.c
//   OUT/components/NAME/{CMakeLists.txt, idf_component.yml, include/NAME.h, NAME.c, NAME_weights.c, kernels}
//   OUT/report.md  report.json
// A manifest (.espforge-manifest.json) records the hash of every file espforge wrote. Regenerating updates only
// those files and leaves everything else in OUT alone (ESP-IDF's build/, sdkconfig, dependencies.lock,
// managed_components/, the user's own files). A file espforge would overwrite that the user edited, or that
// espforge did not write, needs `force` (EF0005). Nothing is ever deleted except unchanged files espforge wrote
// before and no longer writes. OUT must be a folder; no write may hit an input file, leave OUT through a
// symbolic link, or (with force) land in the working folder or one of its parents (EF0007). The write is
// all-or-nothing: new files are staged inside OUT, then renamed into place, and rolled back on failure.

import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, renameSync, rmdirSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
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

export interface WriteOptions {
  /** Overwrite files espforge writes even when they were edited or not written by espforge. */
  force?: boolean;
  /** Input files of the command (model, data): never written, whatever `force` says. */
  inputs?: string[];
}

const lstatOrUndef = (p: string): Stats | undefined => {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return undefined;
    throw e;
  }
};

/** The real path of `p` when it exists, else the real path of its nearest existing ancestor joined with the rest. */
function realish(p: string): string {
  const abs = resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const up = dirname(head);
      if (up === head) return abs;
      tail.unshift(head.slice(up.length).replace(/^[\\/]+/, ''));
      head = up;
    }
  }
}

const isWithin = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/** Hash of a regular file's bytes read with a size cap (a FIFO or device is never read). */
function fileHash(p: string, st: Stats): string | undefined {
  if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined;
  const fd = openSync(p, 'r');
  try {
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n <= 0) break;
      off += n;
    }
    return sha256Hex(buf.subarray(0, off));
  } finally {
    closeSync(fd);
  }
}

function readManifest(dir: string): Manifest | undefined {
  const p = join(dir, MANIFEST);
  const st = lstatOrUndef(p);
  if (!st || !st.isFile() || st.size > 16 * 1024 * 1024) return undefined;
  try {
    const m = JSON.parse(fileText(p, st)) as unknown;
    if (!m || typeof m !== 'object' || (m as Manifest).tool !== 'espforge') return undefined;
    const files = (m as Manifest).files;
    if (!files || typeof files !== 'object' || Array.isArray(files)) return undefined;
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(files)) if (typeof v === 'string' && safeRel(k)) clean[k] = v;
    return { tool: 'espforge', files: clean };
  } catch {
    return undefined;
  }
}

function fileText(p: string, st: Stats): string {
  const fd = openSync(p, 'r');
  try {
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A manifest or generated path must stay inside OUT: relative, no '..', no empty parts. */
const safeRel = (rel: string) => rel.length > 0 && !rel.startsWith('/') && !rel.includes('\\') && rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');

function unsafe(out: string, message: string, suggestion: string): never {
  fail('EF0007', message, { file: out, suggestion });
}

/**
 * Check the output folder before any long work (EF0005 / EF0007), without the generated file list: OUT must be a
 * folder (or not exist yet), must not be an input, and with `force` must not be the working folder or a parent of
 * it. Without a manifest a non-empty OUT needs `force`; with one, edited espforge files need `force`.
 */
export function checkOutput(out: string, opts: WriteOptions = {}): void {
  plan(out, undefined, opts);
}

interface Plan {
  abs: string;
  exists: boolean;
  manifest?: Manifest;
  /** Files espforge wrote before, unchanged, that the new file set no longer has: removed after the write. */
  stale: string[];
}

function plan(out: string, files: Record<string, string | Uint8Array> | undefined, opts: WriteOptions): Plan {
  const abs = realish(out);
  const inputs = (opts.inputs ?? []).map(realish);
  if (inputs.some((i) => i === abs))
    unsafe(out, `--out ${out} is an input of this command; espforge will not overwrite or remove it`, 'choose a new folder for --out');
  const st = lstatOrUndef(abs);
  if (st && !st.isDirectory())
    unsafe(out, `--out ${out} exists and is not a folder; espforge will not replace it`, 'choose a folder (new or written by espforge before) for --out');
  if (opts.force && isWithin(realish(process.cwd()), abs))
    unsafe(out, `--out ${out} is the working folder or a parent of it; --force is refused there`, 'write to a new subfolder instead');
  if (!st) return { abs, exists: false, stale: [] };

  const manifest = readManifest(abs);
  const conflicts: string[] = [];
  const hashOf = (rel: string): { kind: 'none' | 'file' | 'other'; hash?: string } => {
    // every folder on the way must be a real folder inside OUT (no symbolic link leading elsewhere)
    const parts = rel.split('/');
    let p = abs;
    for (let k = 0; k < parts.length - 1; k++) {
      p = join(p, parts[k]);
      const s = lstatOrUndef(p);
      if (!s) return { kind: 'none' };
      if (!s.isDirectory())
        unsafe(out, `${relative(process.cwd(), p) || p} is not a plain folder (a file or a symbolic link), so writing ${rel} would leave --out`, 'remove or rename it, or choose another --out');
    }
    const full = join(abs, rel);
    if (inputs.includes(realish(full))) unsafe(out, `writing ${rel} into ${out} would overwrite an input of this command`, 'choose another --out');
    const s = lstatOrUndef(full);
    if (!s) return { kind: 'none' };
    if (!s.isFile()) return { kind: 'other' };
    return { kind: 'file', hash: fileHash(full, s) };
  };

  const stale: string[] = [];
  if (manifest) {
    for (const [rel, h] of Object.entries(manifest.files)) {
      const cur = hashOf(rel);
      if (cur.kind === 'none') continue;
      const same = cur.kind === 'file' && cur.hash === h;
      if (files && !(rel in files)) {
        if (same) stale.push(rel); // ours and unchanged: safe to remove; an edited one is the user's now, kept
        continue;
      }
      if (!same) conflicts.push(rel);
    }
  } else {
    // no manifest: a folder espforge did not write; anything in it makes it the user's
    const entries = listTop(abs);
    if (entries.length && !opts.force)
      fail('EF0005', `${out} is not empty and was not written by espforge (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''})`, {
        file: out,
        suggestion: 'choose another --out folder, or pass --force to write espforge\'s files into it (other files are kept)',
      });
  }
  if (files)
    for (const rel of Object.keys(files)) {
      if (manifest && rel in manifest.files) continue;
      if (hashOf(rel).kind !== 'none') conflicts.push(rel);
    }
  if (conflicts.length && !opts.force)
    fail('EF0005', `${out} holds ${conflicts.length} file(s) espforge would overwrite that it did not write or that were edited since (${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ', ...' : ''})`, {
      file: out,
      suggestion: 'choose another --out folder, or pass --force to overwrite those files (other files are kept)',
    });
  return { abs, exists: true, manifest, stale };
}

function listTop(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** Create `dir` and missing parents one level at a time (Node's recursive mkdir can spin on /proc and similar). */
function mkdirp(dir: string): string[] {
  const made: string[] = [];
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    const s = lstatOrUndef(p);
    if (s) {
      if (!s.isDirectory() && !(s.isSymbolicLink() && safeIsDir(p))) fail('EF0007', `${p} is not a folder`, { file: dir, suggestion: 'choose another --out' });
      break;
    }
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing) {
    mkdirSync(m);
    made.push(m);
  }
  return made;
}

function safeIsDir(p: string): boolean {
  try {
    return realpathSync(p) !== '' && lstatSync(realpathSync(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Write `files` into `out`: only espforge's own files change (see the header comment); all-or-nothing; refuses
 * (EF0005) to overwrite edited or foreign files without `force`, and (EF0007) any write outside `out` or onto an
 * input.
 */
export function writeProject(out: string, files: Record<string, string | Uint8Array>, opts: WriteOptions | boolean = {}): void {
  const o: WriteOptions = typeof opts === 'boolean' ? { force: opts } : opts;
  for (const rel of Object.keys(files)) if (!safeRel(rel) || rel === MANIFEST) fail('EF9001', `internal error: generated path '${rel}' is not a plain relative path`);
  const p = plan(out, files, o);
  const created = p.exists ? [] : mkdirp(p.abs);
  const stage = join(p.abs, `.espforge-staging-${process.pid}`);
  const backup = `${stage}-old`;
  const moved: { rel: string; hadOld: boolean }[] = [];
  const madeDirs: string[] = [];
  try {
    rmSync(stage, { recursive: true, force: true });
    rmSync(backup, { recursive: true, force: true });
    mkdirSync(stage);
    mkdirSync(backup);
    const man: Manifest = { tool: 'espforge', files: {} };
    const all = Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1));
    all.forEach(([rel, text], k) => {
      writeFileSync(join(stage, String(k)), text);
      man.files[rel] = sha256Hex(text);
    });
    writeFileSync(join(stage, 'manifest'), JSON.stringify(man, null, 1) + '\n');
    // swap in: old version to the backup folder, new version into place; undone on any failure
    const place = (rel: string, from: string) => {
      const dest = join(p.abs, rel);
      madeDirs.push(...mkdirp(dirname(dest)));
      const had = lstatOrUndef(dest) !== undefined;
      if (had) renameSync(dest, join(backup, String(moved.length)));
      moved.push({ rel, hadOld: had });
      renameSync(from, dest);
    };
    all.forEach(([rel], k) => place(rel, join(stage, String(k))));
    place(MANIFEST, join(stage, 'manifest'));
  } catch (e) {
    for (let k = moved.length - 1; k >= 0; k--) {
      const dest = join(p.abs, moved[k].rel);
      try {
        rmSync(dest, { force: true });
        if (moved[k].hadOld) renameSync(join(backup, String(k)), dest);
      } catch {
        /* best effort: the backup folder is left for the user if even this fails */
      }
    }
    for (const d of madeDirs.reverse()) tryRmdir(d);
    rmSync(stage, { recursive: true, force: true });
    rmSync(backup, { recursive: true, force: true });
    for (const d of created.reverse()) tryRmdir(d);
    throw e;
  }
  rmSync(stage, { recursive: true, force: true });
  rmSync(backup, { recursive: true, force: true });
  for (const rel of p.stale) {
    rmSync(join(p.abs, rel), { force: true });
    // drop folders the stale file leaves empty, up to OUT
    for (let d = dirname(join(p.abs, rel)); isWithin(d, p.abs) && d !== p.abs; d = dirname(d)) if (!tryRmdir(d)) break;
  }
}

function tryRmdir(d: string): boolean {
  try {
    rmdirSync(d);
    return true;
  } catch {
    return false;
  }
}
