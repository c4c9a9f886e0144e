// ESP-DL v3 (.espdl) interoperability: every shared .espdl file imports; the ESP-DL arithmetic mode of the
// integer simulator reproduces, byte for byte, the test outputs esp-ppq embedded in the tutorial files (the
// values ESP-DL's model->test() checks on the device) for the S3 and the P4 variant, through the CLI; the
// chip-specific weight layouts unpack to the float weights of the ONNX model they were quantized from; malformed
// files give coded diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { attempt } from '../../src/diagnostics.js';
import { loadModel } from '../../src/import/index.js';
import { importEspdl } from '../../src/import/espdl/index.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

const chipOf = (f: string) => (f.includes('_p4') ? 'esp32p4' : 'esp32s3');

test('every shared .espdl file imports, from its content, into a quantized graph with ESP-DL arithmetic', async (t) => {
  const dir = sharedPath(t, 'models/espdl');
  if (!dir) return;
  const files = readdirSync(dir).filter((f) => f.endsWith('.espdl')).sort();
  assert.equal(files.length, 9);
  for (const f of files) {
    const g = await loadModel(join(dir, f), { espdlChip: chipOf(f) });
    assert.equal(g.meta.format, 'espdl', f);
    assert.equal(g.meta.info?.arithmetic, 'espdl');
    assert.ok(g.nodes.length > 2, f);
    for (const id of g.inputs) assert.ok(Number.isInteger(Math.log2(g.tensors[id].quant!.scale[0])), `${f}: power-of-two input scale`);
  }
  // the ImageNet MobileNetV2: 1000 classes from a 224x224x3 int8 input
  const g = await loadModel(join(dir, 'imagenet_cls_mobilenetv2_s8_v1.espdl'));
  assert.deepEqual(g.tensors[g.inputs[0]].shape, [1, 224, 224, 3]);
  assert.deepEqual(g.tensors[g.outputs[0]].shape, [1, 1000]);
});

test('run --test reproduces the embedded ESP-DL test outputs byte for byte (S3 and P4 variants), through the CLI', (t) => {
  const dir = sharedPath(t, 'models/espdl');
  if (!dir) return;
  const tutorials = readdirSync(dir).filter((f) => f.startsWith('tutorial_') && f.endsWith('.espdl') && !f.includes('streaming'));
  assert.deepEqual(tutorials.sort(), ['tutorial_audio_cnn_p4.espdl', 'tutorial_audio_cnn_s3.espdl', 'tutorial_gemm3_p4.espdl', 'tutorial_gemm3_s3.espdl']);
  for (const f of tutorials) {
    const r = cli('--espdl-chip', chipOf(f), 'run', join(dir, f), '--test', '--json');
    assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.test.pass, true, f);
    assert.equal(j.test.outputs[0].mismatches, 0);
  }
  // the rounding mode matters: the P4 file under S3 (half-up) rounding misses its oracle, and the test says so
  const wrong = cli('--espdl-chip', 'esp32s3', 'run', join(dir, 'tutorial_audio_cnn_p4.espdl'), '--test');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stdout, /test: FAIL/);
  // a file without test values is a coded error
  const none = cli('run', join(dir, 'tutorial_audio_cnn_streaming_s3.espdl'), '--test');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /EF1009/);
});

test('S3/P4 blocked weight layouts unpack to the float ONNX weights they were quantized from (within half a step)', async (t) => {
  const dir = sharedPath(t, 'models/espdl');
  if (!dir) return;
  for (const v of ['s3', 'p4']) {
    const q = await loadModel(join(dir, `tutorial_audio_cnn_${v}.espdl`));
    const f = await loadModel(join(dir, `tutorial_audio_cnn_${v}.onnx`));
    let checked = 0;
    for (const n of q.nodes.filter((n) => n.op === 'Conv')) {
      const w = q.tensors[n.inputs[1]];
      const fw = f.tensors.find((x) => x.name === `${w.name}_ohwi` && x.data);
      if (!fw) continue;
      assert.deepEqual(fw.shape, w.shape, w.name);
      const s = w.quant!.scale[0];
      for (let i = 0; i < w.data!.length; i++) {
        const want = Math.max(-128 * s, Math.min(127 * s, fw.data![i]));
        assert.ok(Math.abs(w.data![i] * s - want) <= s / 2 + 1e-9, `${v} ${w.name}[${i}]: ${w.data![i] * s} vs ${fw.data![i]}`);
      }
      checked++;
    }
    assert.ok(checked >= 5, `${v}: compared ${checked} conv weights (incl. depthwise)`);
  }
});

test('malformed .espdl files (truncated, bit-flipped, wrong header) give coded diagnostics, never a crash', (t) => {
  const dir = sharedPath(t, 'models/espdl');
  if (!dir) return;
  const tally: Record<string, number> = {};
  const check = (bytes: Uint8Array, what: string) => {
    const r = attempt(() => importEspdl(bytes, what), { file: what });
    const key = r.ok ? 'ok' : r.diagnostics[0].code;
    if (!r.ok) for (const d of r.diagnostics) assert.notEqual(d.code, 'EF9001', `${what}: ${d.message}`);
    tally[key] = (tally[key] ?? 0) + 1;
  };
  const rand = rng(14);
  for (const f of ['tutorial_gemm3_s3.espdl', 'tutorial_audio_cnn_p4.espdl', 'human_face_detect_msr_s8_v1.espdl']) {
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const n = bytes.length;
    for (const c of [0, 3, 15, 16, 20, 64, n >> 3, n >> 1, n - 16, n - 1]) check(bytes.slice(0, c), `${f} cut at ${c}`);
    for (let k = 0; k < 60; k++) {
      const b = bytes.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < flips; j++) {
        // bias toward the FlatBuffer's structure (root, vtables, offsets) in the first and last kilobytes
        const pos = rand() < 0.5 ? 16 + Math.floor(rand() * Math.min(1024, n - 16)) : Math.floor(rand() * n);
        b[pos] ^= 1 << Math.floor(rand() * 8);
      }
      check(b, `${f} flip ${k}`);
    }
  }
  const hdr = new Uint8Array(readFileSync(join(dir, 'tutorial_gemm3_s3.espdl')));
  const enc = hdr.slice();
  enc[4] = 1;
  check(enc, 'encrypted');
  const big = hdr.slice();
  big[11] = 0x7f;
  check(big, 'oversized payload');
  t.diagnostic(JSON.stringify(tally));
  assert.ok((tally.EF2001 ?? 0) >= 10, 'truncation is reported as a malformed file');
});

test('ESP-DL shift_and_round: half-up on S3/C chips, half-to-even on P4 (values worked by hand from dl_tool.cpp)', async () => {
  const { shiftRound, chipRounding, roundHalfEvenF } = await import('../../src/sim/espdl/arith.js');
  assert.equal(chipRounding('esp32s3'), 'half_up');
  assert.equal(chipRounding('esp32c3'), 'half_up');
  assert.equal(chipRounding('esp32p4'), 'half_even');
  // (v + 2^(s-1)) >> s, arithmetic shift
  const up: [number, number, number][] = [[5, 1, 3], [-5, 1, -2], [-3, 1, -1], [6, 2, 2], [-6, 2, -1], [7, 0, 7], [3, -2, 12]];
  for (const [v, s, want] of up) assert.equal(shiftRound(v, s, 'half_up'), want, `half_up ${v} >> ${s}`);
  // floor, then +1 above half or at half with an odd quotient
  const even: [number, number, number][] = [[5, 1, 2], [7, 1, 4], [-5, 1, -2], [-3, 1, -2], [6, 2, 2], [10, 2, 2], [-10, 2, -2], [-6, 2, -2], [3, -2, 12]];
  for (const [v, s, want] of even) assert.equal(shiftRound(v, s, 'half_even'), want, `half_even ${v} >> ${s}`);
  // the float round_half_even of the average pools: ties to even, 1e-6 window
  assert.deepEqual([2.5, 3.5, -2.5, 2.4, -3.6].map(roundHalfEvenF), [2, 4, -2, 2, -4]);
});
