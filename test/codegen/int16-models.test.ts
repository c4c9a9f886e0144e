// `--scheme int16` (TFLite's 16x8: int16 activations, int8 weights) on every shared float model: each model under
// ../shared/models that imports and has float inputs is quantized int16; if quantize accepts it, build must accept
// it too and the generated C must equal the integer simulator (a consistency check: C vs simulator) on the host.
// Models quantize refuses must be refused with a coded diagnostic, never half-way. The list is found by walking
// the folder, not written here, so a model added to ../shared is covered. Two models go through the CLI
// (`quantize --scheme int16 --out` then `build --verify host`, and `build --calib --scheme int16`), the boundary
// users touch.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { harnessSpec, pseudoRandomInput, simulate } from '../../src/pipeline/build.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { loadModel } from '../../src/import/index.js';
import { shapeSize } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeModel } from '../../src/quant/ptq.js';
import { runHost } from '../../src/verify/host.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';
import { rng } from '../helpers/rng.js';

const MODEL_EXT = /\.(onnx|h5|tflite)$|(^|\/)(model|mnist)\.json$/;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (MODEL_EXT.test(p)) out.push(p);
  }
  return out;
}

/** Calibration: values in [0, 1) (every shared float model takes normalised or raw non-negative input; the check
 * here is build acceptance and C == simulator, for which any calibration range serves). */
function calibration(g: Graph, n: number): Value[][] {
  const R = rng(1616);
  return Array.from({ length: n }, () =>
    g.inputs.map((id) => {
      const shape = g.tensors[id].shape.map((d) => (d < 0 ? 1 : d));
      return { dtype: 'float32' as const, shape, data: Float32Array.from({ length: shapeSize(shape) }, () => R()) };
    }),
  );
}

test('--scheme int16: every shared float model that quantizes also builds, and its C equals the simulator', async (t) => {
  const root = sharedPath(t, 'models');
  if (!root) return;
  const gcc = hasTool('gcc');
  if (!gcc && process.env.CI === 'true') throw new Error('gcc missing under CI');
  const built: string[] = [];
  const refused: string[] = [];
  const skipped: string[] = [];
  for (const path of walk(root)) {
    const name = relative(root, path);
    let g: Graph;
    try {
      g = await loadModel(path);
    } catch (e) {
      if (!(e instanceof EspforgeError)) throw e;
      skipped.push(`${name} (import ${e.diagnostics[0].code})`);
      continue;
    }
    if (!g.inputs.every((id) => g.tensors[id].dtype === 'float32')) {
      skipped.push(`${name} (already integer)`);
      continue;
    }
    let G: Graph;
    try {
      G = (await quantizeModel(g, calibration(g, 6), { scheme: 'int16' })).graph;
    } catch (e) {
      if (!(e instanceof EspforgeError)) throw e;
      refused.push(`${name} (${e.diagnostics[0].code}: ${e.diagnostics[0].message.slice(0, 80)})`);
      continue;
    }
    assert.ok(G.nodes.some((n) => G.tensors[n.outputs[0]].dtype === 'int16'), `${name}: no int16 layer under --scheme int16`);
    let e;
    try {
      e = emitC(G, { name: 'm16' });
    } catch (err) {
      if (err instanceof EspforgeError) assert.fail(`${name}: quantize --scheme int16 succeeded but build refuses: ${err.message}`);
      throw err;
    }
    built.push(name);
    if (!gcc) continue;
    const cs = [0, 1].map((k) => {
      const inputs = G.inputs.map((id, j) => pseudoRandomInput(shapeSize(G.tensors[id].shape), G.tensors[id].dtype, 1600 + 13 * k + j));
      return { name: `c${k}`, inputs, expected: simulate(G, inputs) };
    });
    const run = runHost(e.files, harnessSpec(G, e.prefix), cs, false);
    run.cases.forEach((c, k) =>
      c.outputs.forEach((o, j) => assert.deepEqual(Array.from(o), cs[k].expected[j], `${name}: C vs simulator, case ${k} output ${j}`)),
    );
  }
  t.diagnostic(`int16 built, C == simulator: ${built.length}: ${built.join(', ')}`);
  t.diagnostic(`quantize refused up front (coded): ${refused.join('; ') || 'none'}`);
  t.diagnostic(`not float models or not importable (coded): ${skipped.join('; ')}`);
  assert.ok(built.length >= 15, `only ${built.length} shared float models built at int16`);
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'espforge.js'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });
}

test('CLI: quantize --scheme int16 --out m16.tflite, then build m16.tflite --verify host; and build --calib --scheme int16', (t) => {
  const digits = sharedPath(t, 'models', 'keras', 'tensorspace', 'samples', 'mnist_digits.npz');
  if (!digits) return;
  if (!hasTool('gcc')) {
    if (process.env.CI === 'true') throw new Error('gcc missing under CI');
    t.skip('gcc not found (EF4002)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ef-int16-'));
  try {
    // Keras CNN with BatchNorm, global average pool and a softmax head: every layer int16
    const m16 = join(dir, 'm16.tflite');
    const q = cli('quantize', sharedPath(t, 'models', 'keras', 'tinymaix', 'mnist_valid.h5')!, '--calib', digits, '--scheme', 'int16', '--out', m16, '--json');
    assert.equal(q.status, 0, q.stderr + q.stdout);
    const qj = JSON.parse(q.stdout);
    assert.equal(qj.buildable, true, JSON.stringify(qj.diagnostics));
    assert.ok(qj.layers.layers.some((l: { op: string; dtype: string }) => l.op === 'Softmax' && l.dtype === 'int16'), 'softmax is int16');
    const b = cli('build', m16, '--target', 'esp32c3', '--out', join(dir, 'p1'), '--verify', 'host');
    assert.equal(b.status, 0, b.stderr + b.stdout);
    assert.match(b.stdout, /verify host: identical to the integer simulator/);
    assert.match(b.stdout, /verify host-sanitize: identical to the integer simulator/);
    // ONNX CNN ending in LogSoftmax (int8-only in TFLM): quantized int16 with an int8 island, built in one command
    const b2 = cli('build', sharedPath(t, 'models', 'onnx', 'burn-mnist-cnn', 'mnist.onnx')!, '--calib', digits, '--scheme', 'int16', '--target', 'esp32c3', '--out', join(dir, 'p2'), '--verify', 'host');
    assert.equal(b2.status, 0, b2.stderr + b2.stdout);
    assert.match(b2.stdout, /verify host: identical to the integer simulator/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
