// Float interpreter throughput on real MNIST-class ONNX models (images per second, batch 1).
import { join } from 'node:path';
import { loadModel } from '../src/import/index.js';
import { prepareFloat, runFloat } from '../src/sim/float.js';
import { inspectGraph } from '../src/inspect.js';
import { shapeSize } from '../src/ir/dtype.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared');

export async function floatBench(): Promise<string> {
  const models = [
    ['mnist-8', join(SHARED, 'models/onnx/mnist-8/model.onnx')],
    ['burn-mnist-cnn', join(SHARED, 'models/onnx/burn-mnist-cnn/mnist.onnx')],
    ['onnx2c-atmega-mnist', join(SHARED, 'models/onnx/onnx2c-atmega-mnist/mnist.simplified.onnx')],
  ];
  const rows = ['| model | MACs / image | images / s | µs / image | MMAC/s |', '|---|---:|---:|---:|---:|'];
  for (const [name, path] of models) {
    const g = await loadModel(path);
    const macs = inspectGraph(g).totals.macs;
    const p = prepareFloat(g);
    const t = g.tensors[g.inputs[0]];
    const shape = t.shape.map((d) => (d < 0 ? 1 : d));
    const x = new Float32Array(shapeSize(shape));
    let seed = 1;
    for (let i = 0; i < x.length; i++) x[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) % 256) / 255;
    const input = [{ dtype: 'float32' as const, shape, data: x }];
    for (let i = 0; i < 20; i++) runFloat(p, input);
    const n = 500;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) runFloat(p, input);
    const dt = (performance.now() - t0) / 1000;
    rows.push(`| ${name} | ${macs.toLocaleString('en-US')} | ${(n / dt).toFixed(0)} | ${((dt / n) * 1e6).toFixed(0)} | ${((macs * n) / dt / 1e6).toFixed(0)} |`);
  }
  return rows.join('\n') + '\n';
}
