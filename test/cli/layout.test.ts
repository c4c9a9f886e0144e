// The one data-layout rule, through the CLI, on PyTorch-style ONNX models generated here: channels-first data
// (NCHW images, NCL Conv1d audio frames) is accepted and transposed by every command that reads data (run --input,
// eval --data, quantize --calib, build --calib), channels-last data is accepted as it is, a shape both readings fit
// (C == H == W) is refused unless --layout says which, and an int8 .tflite (channels-last) refuses channels-first
// data unless --layout nchw.
//
// The models select one channel per class (1×1-in-effect conv weights δ(k, c), global average pool), and each
// sample's class is the channel it raises: labels are predictable only when the channel axis is read correctly,
// so accuracy is the reference (100% right layout; about chance when scrambled). Expected values come from the
// construction of the data, never from espforge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';
import { onnxModel } from '../helpers/onnx.js';
import { writeNpy, writeNpz } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, `stack trace on stderr:\n${r.stderr}`);
  return r;
}

/** Conv (kernel k along each spatial axis, 'same' padding, weight δ(out, in) at every tap) → Relu → GlobalAveragePool → Flatten. */
function selectorModel(inShape: (number | string)[], classes: number, kernel: number): Uint8Array {
  const cin = inShape[1] as number;
  const spatial = inShape.length - 2;
  const kshape = [classes, cin, ...Array(spatial).fill(kernel)];
  const per = kshape.slice(2).reduce((a, b) => a * b, 1);
  const w = new Float32Array(classes * cin * per);
  for (let o = 0; o < classes; o++) for (let j = 0; j < per; j++) w[(o * cin + o) * per + j] = 1 / per;
  const pad = (kernel - 1) / 2;
  return onnxModel({
    nodes: [
      { op: 'Conv', name: 'conv', ins: ['x', 'w', 'b'], outs: ['c'], attrs: [{ name: 'kernel_shape', ints: Array(spatial).fill(kernel) }, { name: 'pads', ints: Array(2 * spatial).fill(pad) }] },
      { op: 'Relu', name: 'relu', ins: ['c'], outs: ['r'] },
      { op: 'GlobalAveragePool', name: 'gap', ins: ['r'], outs: ['p'] },
      { op: 'Flatten', name: 'flat', ins: ['p'], outs: ['y'] },
    ],
    inits: [
      { name: 'w', v: { dtype: 'float32', shape: kshape, data: w } },
      { name: 'b', v: { dtype: 'float32', shape: [classes], data: new Float32Array(classes) } },
    ],
    inputs: [{ name: 'x', dims: inShape }],
    outputs: [{ name: 'y', dims: ['N', classes] }],
  });
}

/** n samples, channels-first [n, C, ...spatial]: noise in [0, 0.5) everywhere, class channel raised by 1. */
function channelsFirstData(n: number, c: number, spatial: number[], classes: number, seed: number): { x: Value; y: Value } {
  const r = rng(seed);
  const per = spatial.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * c * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let ch = 0; ch < c; ch++) for (let j = 0; j < per; j++) x[(i * c + ch) * per + j] = 0.5 * r() + (ch === y[i] ? 1 : 0);
  }
  return { x: { dtype: 'float32', shape: [n, c, ...spatial], data: x }, y: { dtype: 'int32', shape: [n], data: y } };
}

/** Channels-first → channels-last per sample ([n, C, ...S] → [n, ...S, C]). */
function toLast(v: Value): Value {
  const [n, c, ...s] = v.shape;
  const per = s.reduce((a, b) => a * b, 1);
  const out = new Float32Array(v.data.length);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let j = 0; j < per; j++) out[(i * per + j) * c + ch] = v.data[(i * c + ch) * per + j];
  return { dtype: 'float32', shape: [n, ...s, c], data: out };
}

/** eval --json: float accuracy, or the integer simulator's for an already quantized model. */
function accuracy(r: ReturnType<typeof cli>): number {
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const a = j.accuracy?.floatAccuracy ?? j.accuracy?.quantAccuracy;
  assert.equal(typeof a, 'number', `no accuracy in ${r.stdout.slice(0, 400)}`);
  return a;
}

const noCommandLine = (s: string) => s.replace(/^ \* command: .*$/m, '');

const dir = mkdtempSync(join(tmpdir(), 'espforge-layout-'));

test('Conv1d over 40-channel NCL data: eval, quantize --calib and build --calib read it channels-first', () => {
  const m = join(dir, 'kws.onnx');
  writeFileSync(m, selectorModel(['N', 40, 16], 10, 3));
  const d = channelsFirstData(200, 40, [16], 10, 1);
  writeFileSync(join(dir, 'ncl.npz'), writeNpz({ x: d.x, y: d.y }));
  writeFileSync(join(dir, 'nlc.npz'), writeNpz({ x: toLast(d.x), y: d.y }));
  // float accuracy: 100% by construction in either layout (was 9%: NCL read as NLC)
  assert.equal(accuracy(cli('eval', m, '--data', join(dir, 'ncl.npz'), '--json')), 1);
  // forcing the wrong reading scrambles the channels: the property the test relies on
  assert.ok(accuracy(cli('--layout', 'nhwc', 'eval', m, '--data', join(dir, 'ncl.npz'), '--json')) < 0.5);
  // calibration: the same samples in either layout give the same int8 model, byte for byte
  const q1 = cli('quantize', m, '--calib', join(dir, 'ncl.npz'), '--out', join(dir, 'a.tflite'), '--json');
  assert.equal(q1.status, 0, q1.stderr);
  const q2 = cli('quantize', m, '--calib', join(dir, 'nlc.npz'), '--out', join(dir, 'b.tflite'), '--json');
  assert.equal(q2.status, 0, q2.stderr);
  assert.deepEqual(readFileSync(join(dir, 'a.tflite')), readFileSync(join(dir, 'b.tflite')));
  // the int8 .tflite is channels-last: NCL data is refused (not reshaped), accepted with --layout nchw
  const refused = cli('eval', join(dir, 'a.tflite'), '--data', join(dir, 'ncl.npz'), '--json');
  assert.equal(refused.status, 1);
  assert.match(refused.stdout + refused.stderr, /EF1004/);
  assert.match(refused.stdout + refused.stderr, /--layout nchw/);
  assert.equal(accuracy(cli('eval', join(dir, 'a.tflite'), '--data', join(dir, 'ncl.npz'), '--layout', 'nchw', '--json')), 1);
  // build --calib reads NCL too and writes the same project as from NLC data
  const b1 = cli('build', m, '--calib', join(dir, 'ncl.npz'), '--target', 'esp32s3', '--out', join(dir, 'p1'), '--json');
  assert.equal(b1.status, 0, b1.stderr);
  const b2 = cli('build', m, '--calib', join(dir, 'nlc.npz'), '--target', 'esp32s3', '--out', join(dir, 'p2'), '--json');
  assert.equal(b2.status, 0, b2.stderr);
  for (const f of ['components/kws/kws_weights.c', 'components/kws/kws.c', 'main/app_main.c'])
    assert.equal(noCommandLine(readFileSync(join(dir, 'p1', f), 'utf8')), noCommandLine(readFileSync(join(dir, 'p2', f), 'utf8')), f);
});

test('image CNN: NCHW calibration data is accepted (was "cannot convert 32 channels to 3"); run --input reads NCHW for ONNX and refuses it for the int8 .tflite', () => {
  const m = join(dir, 'cnn.onnx');
  writeFileSync(m, selectorModel(['N', 3, 12, 12], 3, 3));
  const d = channelsFirstData(60, 3, [12, 12], 3, 2);
  writeFileSync(join(dir, 'nchw.npz'), writeNpz({ x: d.x, y: d.y }));
  assert.equal(accuracy(cli('eval', m, '--data', join(dir, 'nchw.npz'), '--json')), 1);
  const q = cli('quantize', m, '--calib', join(dir, 'nchw.npz'), '--out', join(dir, 'cnn.tflite'), '--json');
  assert.equal(q.status, 0, q.stderr);
  const one: Value = { dtype: 'float32', shape: [1, 3, 12, 12], data: d.x.data.slice(2 * 432, 3 * 432) }; // sample 2: class 2
  writeFileSync(join(dir, 'one.npy'), writeNpy(one));
  const onnxRun = cli('run', m, '--input', join(dir, 'one.npy'), '--json');
  assert.equal(onnxRun.status, 0, onnxRun.stderr);
  assert.match(onnxRun.stdout, /"argmax":\s*2|argmax: 2/);
  const t = cli('run', join(dir, 'cnn.tflite'), '--input', join(dir, 'one.npy'));
  assert.equal(t.status, 1, 'channels-first data for a channels-last .tflite must be refused, not reshaped');
  assert.match(t.stderr, /EF1004.*\[1,3,12,12\].*NCHW/s);
  assert.match(t.stderr, /\[1,12,12,3\]/);
  const tl = cli('--layout', 'nchw', 'run', join(dir, 'cnn.tflite'), '--input', join(dir, 'one.npy'));
  assert.equal(tl.status, 0, tl.stderr);
  assert.match(tl.stdout, /argmax: 2/);
});

test('square shapes (C == H == W) are ambiguous: EF1013 naming both layouts, unless --layout; unfitting shapes name both expected shapes', () => {
  const m = join(dir, 'sq.onnx');
  writeFileSync(m, selectorModel(['N', 6, 6, 6], 6, 1));
  const d = channelsFirstData(24, 6, [6, 6], 6, 3);
  writeFileSync(join(dir, 'sq.npz'), writeNpz({ x: d.x, y: d.y }));
  const amb = cli('eval', m, '--data', join(dir, 'sq.npz'));
  assert.equal(amb.status, 1);
  assert.match(amb.stderr, /EF1013/);
  assert.match(amb.stderr, /channels-first NCHW/);
  assert.match(amb.stderr, /channels-last NHWC/);
  assert.match(amb.stderr, /--layout nchw or --layout nhwc/);
  assert.equal(accuracy(cli('eval', m, '--data', join(dir, 'sq.npz'), '--layout', 'nchw', '--json')), 1);
  assert.ok(accuracy(cli('eval', m, '--data', join(dir, 'sq.npz'), '--layout', 'nhwc', '--json')) < 0.6);
  // a shape that fits neither reading
  writeFileSync(join(dir, 'bad.npz'), writeNpz({ x: { dtype: 'float32', shape: [24, 36, 6], data: d.x.data }, y: d.y }));
  const bad = cli('eval', m, '--data', join(dir, 'bad.npz'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /EF1004.*fits neither \[1,6,6,6\] \(channels-last NHWC\) nor \[1,6,6,6\]/s);
  assert.equal(cli('--layout', 'sideways', 'eval', m, '--data', join(dir, 'sq.npz')).status, 2);
});
