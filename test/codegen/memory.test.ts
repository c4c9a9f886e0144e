// Memory: module presets, PSRAM placement of the arena, ESP32's largest contiguous block, and the fit advice texts.
// Budgets come from ../shared/docs/TARGETS.md (ESP32 largest free block ~113 KB at boot, module flash/PSRAM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProject } from '../../src/pipeline/build.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import { chip } from '../../src/targets/chips.js';
import { checkChip, fitDiagnostics, type FitInput } from '../../src/targets/fit.js';
import { MODULES, parseSize } from '../../src/targets/modules.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { shapeSize } from '../../src/ir/dtype.js';
import { mobileNetV2Int8 } from '../helpers/mobilenet.js';
import { wideConvModel } from './tiny-models.js';

const KB = 1024;
const MB = 1024 * 1024;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

test('MobileNetV2 1.0 224x224x3 int8 builds for an ESP32-S3 N8R8 (--module) with the arena in PSRAM and SPIRAM enabled', async () => {
  const g = await mobileNetV2Int8(1.0, 224);
  // one golden case instead of two: the simulator's 300 M MACs per case dominate the test time
  const one = [g.inputs.map((id) => new Array<number>(shapeSize(g.tensors[id].shape)).fill(0))];
  const b = buildProject(g, { target: '', module: 'esp32-s3-wroom-1-n8r8', name: 'mobilenet_v2_224', dryRun: true, inputs: one });
  assert.equal(b.ok, true, JSON.stringify(b.diagnostics.filter((d) => d.severity === 'error')));
  const rep = b.report!;
  assert.equal(rep.target, 'esp32s3');
  assert.equal(rep.kernels, 'esp-nn');
  assert.equal(rep.memory.module, 'esp32-s3-wroom-1-n8r8');
  assert.equal(rep.memory.arenaPlacement, 'psram');
  assert.ok(rep.arenaBytes > 1 * MB && rep.arenaBytes <= 8 * MB, `arena ${rep.arenaBytes}`);
  assert.match(rep.memory.why, /EXT_RAM_BSS_ATTR/);
  const sdk = b.files['sdkconfig.defaults'];
  for (const l of ['CONFIG_SPIRAM=y', 'CONFIG_SPIRAM_MODE_OCT=y', 'CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y', 'CONFIG_ESPTOOLPY_FLASHSIZE_8MB=y'])
    assert.ok(sdk.split('\n').includes(l), `${l} in sdkconfig.defaults`);
  // 3.5 MB of weights: a custom factory partition that still fits the 8 MB flash
  const part = /factory,\s*app,\s*factory,\s*0x10000,\s*0x([0-9a-f]+)/.exec(b.files['partitions.csv']);
  assert.ok(part && parseInt(part[1], 16) <= 8 * MB - 64 * KB);
  const c = b.files['components/mobilenet_v2_224/mobilenet_v2_224.c'];
  assert.match(c, /#define MOBILENET_V2_224_ARENA_ATTR EXT_RAM_BSS_ATTR/);
  assert.match(c, /^static MOBILENET_V2_224_ARENA_ATTR uint8_t arena\[MOBILENET_V2_224_ARENA_SIZE\]/m);
  assert.match(b.files['report.md'], /arena placement \| \*\*psram\*\*/);
  // the same arena on the bare chip is refused with the exact preset that fixes it
  const bare = fitDiagnostics('esp32s3', { weightBytes: rep.weightBytes, codeBytes: rep.codeBytesEstimate, arenaBytes: rep.arenaBytes, layers: [] });
  assert.match(bare.diagnostics.find((d) => d.code === 'EF4001')?.message ?? '', /ESP32-S3 internal DRAM.*--module esp32-s3-wroom-1-n8r8/);
});

test('ESP32: a 128x128x3 MobileNetV2-0.35 (192 KB arena) is over the ~113 KB largest block: refused without PSRAM, placed in PSRAM on a WROVER', async () => {
  // (at 96x96 its arena is 108 KB since layers may overlap their own input: it fits the block now)
  const g = await mobileNetV2Int8(0.35, 128);
  const bare = buildProject(g, { target: 'esp32', dryRun: true });
  assert.equal(bare.ok, false);
  const e = bare.diagnostics.find((d) => d.code === 'EF4001')!;
  assert.ok(e.message.includes('192.0 KB'), e.message);
  assert.match(e.message, /largest contiguous internal block of ESP32 \(113\.0 KB/);
  assert.match(e.message, /--module esp32-wrover/);
  // through the command line: --module alone picks the chip
  const tmp = mkdtempSync(join(tmpdir(), 'ef-mem-'));
  try {
    const model = join(tmp, 'mnv2_128.tflite');
    writeFileSync(model, exportTflite(g));
    const r = cli('build', model, '--module', 'esp32-wrover', '--out', join(tmp, 'p'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(readFileSync(join(tmp, 'p', 'report.json'), 'utf8'));
    assert.equal(rep.target, 'esp32');
    assert.equal(rep.memory.arenaPlacement, 'psram');
    const sdk = readFileSync(join(tmp, 'p', 'sdkconfig.defaults'), 'utf8');
    assert.match(sdk, /^CONFIG_SPIRAM=y$/m);
    assert.match(sdk, /^CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y$/m);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // --psram on the bare chip is the same placement
  const flag = buildProject(g, { target: 'esp32', psram: 4 * MB, dryRun: true });
  assert.equal(flag.report!.memory.arenaPlacement, 'psram');
  // a model that fits keeps its arena internal and PSRAM stays off unless the module has it
  const small = buildProject(wideConvModel(16, 16, 4), { target: 'esp32', dryRun: true });
  assert.equal(small.report!.memory.arenaPlacement, 'internal');
  assert.doesNotMatch(small.files['sdkconfig.defaults'], /SPIRAM/);
});

const base: FitInput = { weightBytes: 100 * KB, codeBytes: 20 * KB, arenaBytes: 10 * KB, layers: [] };

test('advice: an int8 model over RAM is never told "int8 instead of int16" nor pruning; int16 activations are told int8; presets are named exactly', () => {
  const big = { ...base, arenaBytes: 200 * KB };
  const p8 = checkChip(chip('esp32'), big).problems.join(' ');
  assert.match(p8, /RAM: .*200\.0 KB/);
  assert.doesNotMatch(p8, /int16|int8/);
  assert.doesNotMatch(p8, /prun/i, 'pruning does not shrink activations');
  assert.match(p8, /--module esp32-wrover/);
  const p16 = checkChip(chip('esp32'), { ...big, int16Activations: true }).problems.join(' ');
  assert.match(p16, /int8 activations \(--scheme int8 or mixed\) instead of int16/);
  // chips without PSRAM are not told to add it
  const c3 = checkChip(chip('esp32c3'), { ...base, arenaBytes: 600 * KB }).problems.join(' ');
  assert.doesNotMatch(c3, /PSRAM|--psram|--module/);
  // an arena larger than the module's PSRAM: says so, does not repeat the same preset
  const over = checkChip(chip('esp32'), { ...base, arenaBytes: 5 * MB, psramBytes: 4 * MB }).problems.join(' ');
  assert.match(over, /and the 4MB of PSRAM/);
});

test('advice: flash overflow names --flash-size / the preset and structured pruning, never int8 or the current chip', () => {
  const p = checkChip(chip('esp32s3'), { ...base, weightBytes: 6 * MB, flashBytes: 4 * MB }).problems.join(' ');
  assert.match(p, /flash: .* exceeds the 4MB flash of this ESP32-S3 module/);
  assert.match(p, /--flash-size 8MB or --module esp32-s3-wroom-1-n8r8/);
  assert.match(p, /structured pruning that removes whole filters or channels/);
  assert.doesNotMatch(p, /int8|int16/);
  const np = checkChip(chip('esp32s3'), { ...base, weightBytes: 6 * MB, flashBytes: 4 * MB, prunable: false }).problems.join(' ');
  assert.doesNotMatch(np, /prun/);
  const { diagnostics } = fitDiagnostics('esp32', { ...base, arenaBytes: 200 * KB });
  const err = diagnostics.find((d) => d.code === 'EF4001')!;
  assert.doesNotMatch(err.suggestion ?? '', /--target esp32(,|$)/, 'the current target is not suggested');
  assert.match(err.suggestion ?? '', /--target esp32s3/);
});

test('module presets and sizes: every preset names a known chip; sizes parse; bad values are coded errors', () => {
  for (const m of MODULES) assert.equal(chip(m.chip).id, m.chip);
  assert.deepEqual(['esp32-wroom-32', 'esp32-wrover', 'esp32-s3-wroom-1-n8r8', 'esp32-s3-wroom-1-n16r8', 'esp32-c3-4mb', 'esp32-c6-4mb', 'esp32-c6-8mb'].every((n) => MODULES.some((m) => m.name === n)), true);
  assert.equal(parseSize('8MB'), 8 * MB);
  assert.equal(parseSize('512KB'), 512 * KB);
  assert.equal(parseSize('4194304'), 4 * MB);
  assert.equal(parseSize('lots'), undefined);
  const g = wideConvModel(8, 8, 2);
  const c3 = buildProject(g, { target: 'esp32c3', psram: 2 * MB, dryRun: true });
  assert.equal(c3.ok, false);
  assert.match(c3.diagnostics[0].message, /EF0006|ESP32-C3 has no PSRAM/);
  const clash = buildProject(g, { target: 'esp32c3', module: 'esp32-wrover', dryRun: true });
  assert.equal(clash.diagnostics[0].code, 'EF0006');
  const unknown = buildProject(g, { target: '', module: 'esp32-wrover-e', dryRun: true });
  assert.equal(unknown.diagnostics[0].code, 'EF0006');
  assert.match(unknown.diagnostics[0].suggestion ?? '', /did you mean 'esp32-wrover'/);
  const r = cli('build', 'x.tflite', '--out', join(tmpdir(), 'nowhere'));
  assert.equal(r.status, 2, 'neither --target nor --module is a usage error');
});
