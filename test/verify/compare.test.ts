// build --samples + compare: the generated app embeds real labelled MNIST test digits, and `espforge compare` reads a
// realistic `idf.py monitor` capture of that app (test/fixtures/serial/idf-monitor-digits.log: CRLF line endings,
// ROM/bootloader/ESP_LOG noise with ANSI colours, idf.py --timestamps prefixes, a capture that starts mid-run with
// cut-off lines, then a reset and a full run) into the board-vs-host report (markdown, JSON, CSV).
// What is compared: the device lines in the fixture were written from a run of this project's app (host stand-in,
// same C); the report must find every sample, call them identical to report.json's simulator outputs (a consistency
// check), and flag an edited value as a difference (exit 1, EF4013).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { parseSerialLog } from '../../src/verify/serial.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'serial', 'idf-monitor-digits.log');

test('parseSerialLog: ANSI codes, timestamps, CRLF, cut-off lines and a reset', () => {
  const p = parseSerialLog(readFileSync(FIXTURE, 'latin1'), 10);
  assert.deepEqual([...p.samples.keys()].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(p.partialLines, [3], 'the cut-off sample line of the earlier run is skipped, not misread');
  assert.equal(p.samples.get(4)!.q[9], 44);
  assert.equal(p.samples.get(4)!.deq[0], 0.199219);
  assert.equal(p.latencyUs, 412);
  assert.equal(p.verdict?.pass, true);
  // a later complete line of the same sample (board reset and ran again) wins over an earlier one
  const twice = parseSerialLog('\x1b[0;32mespforge-sample idx=0 label=1 pred=0 check=FAIL q=5,1 deq=5,1\x1b[0m\nfoo espforge-sample idx=0 label=1 pred=1 check=PASS q=1,7 deq=1.0,7.0\r\n', 2);
  assert.equal(twice.samples.get(0)!.pred, 1);
  assert.equal(twice.runs, 2);
});

test('build --samples embeds real labelled digits; compare reads an idf.py monitor log into md/json/csv', async (t) => {
  const model = sharedPath(t, 'models', 'tflite', 'tinymaix', 'mnist_valid_q.tflite');
  if (!model) return;
  const tmp = mkdtempSync(join(tmpdir(), 'ef-compare-'));
  try {
    const proj = join(tmp, 'proj');
    const b = cli('build', model, '--target', 'esp32s3', '--samples', 'builtin:mnist:5', '--out', proj, '--name', 'digits', '--zip', join(tmp, 'digits.zip'), '--kernels', 'portable');
    assert.equal(b.status, 0, b.stderr);
    // the zip's library with portable kernels is plain C99: its sources compile on their own (no ESP-IDF or ESP-NN
    // headers) with -Werror
    const { hasTool } = await import('../../src/verify/toolchain.js');
    if (hasTool('gcc')) {
      const z = unzipSync(readFileSync(join(tmp, 'digits.zip')));
      const src = join(tmp, 'lib');
      mkdirSync(src);
      const cs: string[] = [];
      for (const [f, data] of Object.entries(z))
        if (f.startsWith('digits/library/digits/src/')) {
          writeFileSync(join(src, f.split('/').pop()!), data);
          if (f.endsWith('.c')) cs.push(join(src, f.split('/').pop()!));
        }
      assert.ok(cs.length >= 3, cs.join(' '));
      const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-c', ...cs], { cwd: src, encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
    }
    assert.match(b.stdout, /embedded 5 real sample\(s\) from builtin:mnist \(test\)/);
    const rep = JSON.parse(readFileSync(join(proj, 'report.json'), 'utf8'));
    const labels = rep.samples.cases.map((c: { label: number }) => c.label);
    assert.equal(labels.length, 5);
    // property: real digits with their true labels — TinyMaix's MNIST model (~98 % accurate) predicts the label of
    // at least 4 of 5 (pseudo-random inputs would match labels 1 time in 10)
    const argmax = (a: number[]) => a.reduce((b, v, i, x) => (((v << 24) >> 24) > ((x[b] << 24) >> 24) ? i : b), 0);
    const hits = rep.golden.filter((g: { expected: number[][] }, k: number) => argmax(g.expected[0]) === labels[k]).length;
    assert.ok(hits >= 4, `${hits}/5 simulated predictions equal the labels`);
    const app = readFileSync(join(proj, 'main', 'app_main.c'), 'utf8');
    assert.match(app, /#define SAMPLE_COUNT 5/);
    assert.match(app, new RegExp(`sample_labels\\[SAMPLE_COUNT\\] = \\{ ${labels.join(', ')} \\}`));

    const out = join(tmp, 'cmp');
    const r = cli('compare', proj, '--log', FIXTURE, '--out', out);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /samples: 5\/5 found in the log \(1 partial line\(s\) skipped\)/);
    const j = JSON.parse(readFileSync(join(out, 'board-vs-host.json'), 'utf8'));
    assert.equal(j.summary.identical, 5);
    assert.equal(j.summary.maxIntDiff, 0);
    assert.equal(j.summary.latencyUs, 412);
    assert.deepEqual(j.rows.map((x: { label: number }) => x.label), labels);
    assert.deepEqual(j.rows.map((x: { devicePred: number }) => x.devicePred), [1, 1, 3, 7, 9]);
    // the device's dequantized scores are printed with 6 decimals: error vs the simulator is below 5e-7
    assert.ok(j.summary.maxAbsError < 5e-7, String(j.summary.maxAbsError));
    const csv = readFileSync(join(out, 'board-vs-host.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 6);
    assert.equal(csv[0].split(',').length, 9 + 4 * 10);
    assert.match(readFileSync(join(out, 'board-vs-host.md'), 'utf8'), /\| device output identical to the integer simulator \| 5 \/ 5/);

    // one device value edited: a difference, exit 1, EF4013 naming the count
    const bad = join(tmp, 'bad.log');
    writeFileSync(bad, readFileSync(FIXTURE, 'latin1').replace('q=-77,-128,-128,-127', 'q=-76,-128,-128,-127'), 'latin1');
    const rb = cli('compare', proj, '--log', bad, '--out', out, '--json');
    assert.equal(rb.status, 1);
    const jb = JSON.parse(rb.stdout);
    assert.equal(jb.summary.identical, 4);
    assert.equal(jb.summary.maxIntDiff, 1);
    assert.match(jb.diagnostics[0].message, /differs from the integer simulator on 1 of 5/);

    // a log of another program: no sample lines → EF4013, exit 1
    const none = join(tmp, 'none.log');
    writeFileSync(none, 'I (31) boot: ESP-IDF v5.1.2 2nd stage bootloader\nhello world\n');
    const rn = cli('compare', proj, '--log', none, '--out', out);
    assert.equal(rn.status, 1);
    assert.match(rn.stderr, /EF4013/);
    const rm = cli('compare', proj, '--log', join(tmp, 'missing.log'));
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /EF0001/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
