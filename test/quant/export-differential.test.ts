// Differential: what `espforge quantize --out x.tflite` writes must be what the in-memory quantized graph is. The
// file (written by the real CLI) is re-imported with the TFLite importer and compared with the graph quantized in
// this process from the same model and calibration data: every quantized tensor (dtype, shape, scales, zero
// points, axis, constant data), every node's prepared integer parameters, and the simulated output bytes on the
// calibration inputs. Both sides are espforge: this is a consistency check of export/import, not a check against
// TFLM (test/cli/run-reference.test.ts does that on converter-made files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedRootOrSkip } from '../helpers/shared.js';
import { deadChannelOnnx } from '../helpers/dead-channels.js';
import { loadModel } from '../../src/import/index.js';
import { loadSamples } from '../../src/cli/commands/quantize.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { quantizeModel, type QuantScheme } from '../../src/quant/ptq.js';
import { quantizeInput } from '../../src/quant/report.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { runCli } from '../helpers/cli.js';

interface Case {
  label: string;
  model: string;
  /** Calibration .npy (float samples with a leading N axis). */
  calib: string;
  scheme: QuantScheme;
}

/** Stack the stored float inputs of a TFLM reference model into one calibration array. */
function calibFrom(refDir: string, out: string): string {
  const c = JSON.parse(readFileSync(join(refDir, 'cases.json'), 'utf8')) as { cases: { input_file: string }[] };
  const vs = c.cases.map((k) => readNpy(readFileSync(join(refDir, k.input_file))));
  const one = vs.reduce((a, b) => (b.data.length < a.data.length ? b : a));
  const per = one.data.length;
  const data = new Float32Array(vs.reduce((n, v) => n + v.data.length, 0));
  let at = 0;
  for (const v of vs) {
    data.set(v.data as Float32Array, at);
    at += v.data.length;
  }
  writeFileSync(out, writeNpy({ dtype: 'float32', shape: [data.length / per, ...one.shape.slice(1)], data }));
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const arr = (d: ArrayLike<number | bigint> | undefined) => (d ? Array.from(d as ArrayLike<number>, (x) => String(x)) : undefined);

/** Differences between the in-memory quantized graph and the re-imported file. */
function diffGraphs(mem: Graph, file: Graph): string[] {
  const out: string[] = [];
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  for (const t of mem.tensors) {
    if (!t.quant && !t.data) continue;
    const f = byName.get(t.name);
    if (!f) {
      out.push(`tensor '${t.name}' is not in the file`);
      continue;
    }
    if (f.dtype !== t.dtype || !same(f.shape, t.shape)) out.push(`'${t.name}': ${f.dtype}[${f.shape}] in the file, ${t.dtype}[${t.shape}] in memory`);
    if (!same(f.quant?.scale, t.quant?.scale) || !same(f.quant?.zeroPoint, t.quant?.zeroPoint) || (t.quant && t.quant.scale.length > 1 && f.quant?.axis !== t.quant.axis))
      out.push(`'${t.name}': quantization differs`);
    if (t.data && !same(arr(f.data), arr(t.data))) out.push(`'${t.name}': constant data differs`);
  }
  const pm = prepareIntGraph(mem);
  const pf = prepareIntGraph(file);
  if (!same(pm.nodes.map((n) => n.op), pf.nodes.map((n) => n.op))) out.push(`ops differ: ${pm.nodes.map((n) => n.op)} vs ${pf.nodes.map((n) => n.op)}`);
  else pm.nodes.forEach((n, k) => !same(n.qparams, pf.nodes[k].qparams) && out.push(`node ${n.name} (${n.op}): prepared integer parameters differ`));
  return out;
}

test('quantize --out x.tflite carries the in-memory quantized graph and simulates to the same bytes', async (t) => {
  const shared = sharedRootOrSkip();
  if (!shared) return t.skip('../shared not present');
  const dir = mkdtempSync(join(tmpdir(), 'espforge-qdiff-'));
  const ref = (p: string) => join(shared, 'reference', 'tflm', p);
  const models = (p: string) => join(shared, 'models', p);
  const dead = join(dir, 'dead.onnx');
  writeFileSync(dead, deadChannelOnnx());
  const deadCalib = join(dir, 'dead_calib.npy');
  writeFileSync(deadCalib, writeNpy({ dtype: 'float32', shape: [16, 8, 8, 3], data: Float32Array.from({ length: 16 * 192 }, (_, i) => Math.sin(i * 0.37) * 2) }));
  const hw = calibFrom(ref('tflm-hello-world/hello_world_float'), join(dir, 'hw.npy'));
  const mv = calibFrom(ref('tinymaix/mnist_valid_f'), join(dir, 'mv.npy'));
  const mr = calibFrom(ref('tinymaix/mnist_resnet_f'), join(dir, 'mr.npy'));
  const md = calibFrom(ref('tinymaix/mnist_dw_f'), join(dir, 'md.npy'));
  const cf = calibFrom(ref('tinymaix/cifar10_f'), join(dir, 'cf.npy'));
  const cases: Case[] = [
    { label: 'hello_world_float int8', model: models('tflite/tflm-hello-world/hello_world_float.tflite'), calib: hw, scheme: 'int8' },
    { label: 'hello_world_float int16', model: models('tflite/tflm-hello-world/hello_world_float.tflite'), calib: hw, scheme: 'int16' },
    { label: 'mnist_valid_f int8', model: models('tflite/tinymaix/mnist_valid_f.tflite'), calib: mv, scheme: 'int8' },
    { label: 'mnist_resnet_f int16', model: models('tflite/tinymaix/mnist_resnet_f.tflite'), calib: mr, scheme: 'int16' },
    { label: 'mnist_dw.h5 (Keras) int8', model: models('keras/tinymaix/mnist_dw.h5'), calib: md, scheme: 'int8' },
    { label: 'cifar10_f int8', model: models('tflite/tinymaix/cifar10_f.tflite'), calib: cf, scheme: 'int8' },
    { label: 'dead-channel ONNX int8', model: dead, calib: deadCalib, scheme: 'int8' },
  ];
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const k = next++;
      const c = cases[k];
      const file = join(dir, `q${k}.tflite`);
      // the CLI writes the file (its own process) while this process quantizes the same model in memory
      const [cli, g] = await Promise.all([runCli(['quantize', c.model, '--calib', c.calib, '--scheme', c.scheme, '--out', file, '--json']), loadModel(c.model)]);
      if (cli.code !== 0) {
        problems.push(`${c.label}: quantize exit ${cli.code}: ${cli.stdout.slice(0, 300)}${cli.stderr.slice(0, 300)}`);
        continue;
      }
      const data = await loadSamples(g, c.calib, { split: 'train', limit: 300 });
      const mem = (await quantizeModel(g, data.samples, { scheme: c.scheme })).graph;
      const back = await loadModel(file);
      problems.push(...diffGraphs(mem, back).map((d) => `${c.label}: ${d}`));
      // simulate both on every calibration input (real values, quantized by the one input rule)
      const x = readNpy(readFileSync(c.calib));
      const n = x.shape[0];
      const per = x.data.length / n;
      const pm = prepareIntGraph(mem);
      const pf = prepareIntGraph(back);
      for (let i = 0; i < n; i++) {
        const v: Value = { dtype: 'float32', shape: [1, ...x.shape.slice(1)], data: (x.data as Float32Array).subarray(i * per, (i + 1) * per) };
        const a = runInt(pm, [quantizeInput(v, pm.tensors[pm.inputs[0]])]).outputs[0];
        const b = runInt(pf, [quantizeInput(v, pf.tensors[pf.inputs[0]])]).outputs[0];
        if (!same(arr(a.data), arr(b.data))) {
          problems.push(`${c.label}: sample ${i} simulates differently from its exported file`);
          break;
        }
      }
    }
  };
  await Promise.all([worker(), worker()]);
  assert.deepEqual(problems, []);
});
