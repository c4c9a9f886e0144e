// `espforge demo` end to end (in-process, a short run: 1 epoch on 1,500 digits): the generated app embeds 10 real
// MNIST test digits with their labels, its host run (the ESP-IDF stand-in) is the serial log, and the board-vs-host
// report and report.html are written next to the project.
// Expected values: the labels in app_main.c are the labels of the digits whose pixels are embedded (checked against
// the mnist package's own files, independently of espforge's loader: each embedded input, dequantized, equals one
// digit of the labelled class); the report must find all 10 samples identical to the simulator (consistency).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { runDemo, DEMO_SAMPLES } from '../../src/train/demo.js';

test('demo: real MNIST digits in the app, board-vs-host report from the host run, report.html', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ef-demo-'));
  try {
    const r = await runDemo({ out, epochs: 1, trainLimit: 1500, evalLimit: 200, seed: 3 });
    assert.equal(r.stoppedAt, undefined, JSON.stringify(r.stoppedAt?.diagnostics));
    assert.equal(r.verified, true);
    assert.equal(r.sampleLabels?.length, DEMO_SAMPLES);
    const app = readFileSync(join(out, 'project', 'main', 'app_main.c'), 'utf8');
    assert.match(app, new RegExp(`sample_labels\\[SAMPLE_COUNT\\] = \\{ ${r.sampleLabels!.join(', ')} \\}`));
    // each embedded input is a real digit of its label: compare with the mnist package's JSON (pixel/255 values)
    const rep = JSON.parse(readFileSync(join(out, 'project', 'report.json'), 'utf8'));
    const hdr = readFileSync(join(out, 'project', 'components', 'demo_cnn', 'include', 'demo_cnn.h'), 'utf8');
    const scale = Number(/DEMO_CNN_INPUT_SCALE ([-0-9.e+]+)f?/.exec(hdr)![1]);
    const zp = Number(/DEMO_CNN_INPUT_ZERO_POINT (-?\d+)/.exec(hdr)![1]);
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
    rep.golden.forEach((gc: { inputs: number[][] }, k: number) => {
      const label = r.sampleLabels![k];
      const digits = JSON.parse(readFileSync(join(dir, `${label}.json`), 'utf8')).data as number[];
      const x = gc.inputs[0].map((q) => (q - zp) * scale);
      let found = false;
      for (let d = 0; d < digits.length / 784 && !found; d++) {
        let ok = true;
        for (let i = 0; i < 784 && ok; i++) ok = Math.abs(digits[d * 784 + i] - x[i]) <= scale / 2 + 1e-6;
        found = ok;
      }
      assert.ok(found, `embedded sample ${k} is a digit ${label} of the mnist package`);
    });
    const cmp = JSON.parse(readFileSync(join(out, 'board-vs-host.json'), 'utf8'));
    assert.equal(cmp.summary.samples, DEMO_SAMPLES);
    assert.equal(cmp.summary.identical, DEMO_SAMPLES);
    assert.equal(cmp.reference, 'float');
    assert.deepEqual(cmp.rows.map((x: { label: number }) => x.label), r.sampleLabels);
    assert.match(readFileSync(join(out, 'serial-host.log'), 'utf8'), /^espforge-sample idx=9 /m);
    for (const f of ['board-vs-host.md', 'board-vs-host.csv', 'report.html', 'project/report.html']) assert.ok(existsSync(join(out, f)), f);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /data-charts="5"/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
