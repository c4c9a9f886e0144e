// Post-training quantization: float vs int8 accuracy and top-1 agreement on MNIST digits of the `mnist`
// package (test split), for the shared float ONNX models.
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { loadModel } from '../src/import/index.js';
import type { Value } from '../src/ops/types.js';
import { quantizeModel } from '../src/quant/ptq.js';
import { evaluate } from '../src/quant/report.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'models', 'onnx');

async function samples(split: 'train' | 'test', n: number, f: (x: number) => number): Promise<{ s: Value[][]; y: Int32Array }> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  const s: Value[][] = [];
  for (let i = 0; i < n; i++) s.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map(f) }]);
  return { s, y: ds.y! };
}

export async function ptqBench(): Promise<string> {
  const models: [string, string, (x: number) => number][] = [
    ['mnist-8', 'mnist-8/model.onnx', (x) => x * 255],
    ['burn-mnist-cnn', 'burn-mnist-cnn/mnist.onnx', (x) => (x - 0.1307) / 0.3081],
  ];
  const rows = ['| model | calibration images | test images | float top-1 | int8 top-1 | float↔int8 agreement |', '|---|---:|---:|---:|---:|---:|'];
  for (const [name, file, f] of models) {
    const g = await loadModel(join(SHARED, file));
    const calib = await samples('train', 300, f);
    const q = await quantizeModel(g, calib.s);
    const test = await samples('test', 2000, f);
    const acc = await evaluate(q.floatGraph, q.graph, test.s, { labels: test.y });
    const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
    rows.push(`| ${name} | 300 | 2000 | ${pct(acc.floatAccuracy)} | ${pct(acc.quantAccuracy)} | ${pct(acc.agreement)} |`);
  }
  return rows.join('\n') + '\n\nint8 minmax calibration; the test digits are the seeded test split of the `mnist` package (never used for calibration).\n';
}
