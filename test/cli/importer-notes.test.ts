// Importer notes ("symbolic dimension 'N' taken as 1", "only subgraph 0 is imported") reach the user: every
// command that loads a model shows them as EF2014 warnings, on stderr and in --json.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { model } from '../helpers/onnx-model.js';
import { writeNpy, writeNpz } from '../../src/io/npy.js';

const NOTE = /warning EF2014: .*relu\.onnx: input 'x': symbolic dimension 'batch' taken as 1/;

test('importer notes are EF2014 warnings in inspect, run, eval, quantize and build (text and --json)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'espforge-notes-'));
  try {
    const m = join(dir, 'relu.onnx');
    writeFileSync(m, model({ opset: 13, nodes: [{ op: 'Relu', ins: ['x'], outs: ['y'] }], inputs: [{ name: 'x', dims: ['batch', 4] }], outputs: ['y'] }));
    const n = 20;
    const data = join(dir, 'd.npz');
    writeFileSync(data, writeNpz({
      x: { dtype: 'float32', shape: [n, 4], data: new Float32Array(n * 4).map((_, i) => ((i * 7) % 11) / 5 - 1) },
      y: { dtype: 'int32', shape: [n], data: new Int32Array(n).map((_, i) => i % 4) },
    }));
    const x = join(dir, 'x.npy');
    writeFileSync(x, writeNpy({ dtype: 'float32', shape: [1, 4], data: Float32Array.from([-1, 0.5, 2, -0.25]) }));
    const runs = {
      inspect: ['inspect', m],
      run: ['run', m, '--input', x],
      eval: ['eval', m, '--data', data],
      quantize: ['quantize', m, '--calib', data, '--out', join(dir, 'q.tflite')],
      build: ['build', m, '--calib', data, '--target', 'esp32c3', '--out', join(dir, 'p')],
    };
    const text = await Promise.all(Object.values(runs).map((a) => runCli(a)));
    Object.keys(runs).forEach((k, i) => {
      assert.equal(text[i].code, 0, `${k}: ${text[i].stderr}`);
      assert.match(text[i].stderr, NOTE, `${k} does not show the importer note`);
    });
    const json = await Promise.all(
      Object.entries(runs).map(([k, a]) => runCli([...a.map((s) => s.replace(/q\.tflite$/, 'q2.tflite').replace(/\/p$/, '/p2')), '--json']).then((r) => [k, r] as const)),
    );
    for (const [k, r] of json) {
      assert.equal(r.code, 0, `${k}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      const d = (j.diagnostics ?? []).find((x: { code: string }) => x.code === 'EF2014');
      assert.ok(d, `${k} --json has no EF2014 diagnostic`);
      assert.equal(d.severity, 'warning');
      assert.match(d.message, /symbolic dimension 'batch' taken as 1/);
      assert.equal(r.stderr.includes('EF2014'), false, `${k} --json also printed the warning as text`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
