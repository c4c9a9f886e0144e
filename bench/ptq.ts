// Post-training quantization: float vs int8 accuracy and top-1 agreement on MNIST digits of the `mnist`
// package (test split), for the shared float ONNX models.
import { join } from 'node:path';
import { loadDataset } from '../src/data/index.js';
import { quantize } from '../src/api.js';
import type { Value } from '../src/ops/types.js';
import { evaluate } from '../src/quant/report.js';

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'models', 'onnx');

async function samples(split: 'train' | 'test', n: number, f: (x: number) => number): Promise<{ s: Value[][]; y: Int32Array }> {
  const ds = await loadDataset('builtin:mnist', { split, limit: n, inputShape: [28, 28, 1] });
  const s: Value[][] = [];
  for (let i = 0; i < n; i++) s.push([{ dtype: 'float32', shape: [1, 28, 28, 1], data: ds.x.slice(i * 784, (i + 1) * 784).map(f) }]);
  return { s, y: ds.y! };
}

export async function ptqBench(): Promise<string> {
  // pixel x in 0..1 → x · scale + offset
  const models: [string, string, number, number][] = [
    ['mnist-8', 'mnist-8/model.onnx', 255, 0],
    ['burn-mnist-cnn', 'burn-mnist-cnn/mnist.onnx', 1 / 0.3081, -0.1307 / 0.3081],
  ];
  const rows = ['| model | calibration images | test images | float top-1 | int8 top-1 | float↔int8 agreement |', '|---|---:|---:|---:|---:|---:|'];
  for (const [name, file, scale, offset] of models) {
    // calibration through the library, under the one rule (training split, CALIB_COUNT samples)
    const q = await quantize(join(SHARED, file), { calib: 'builtin:mnist', inputScale: String(scale), inputOffset: String(offset) });
    const test = await samples('test', 2000, (x) => x * scale + offset);
    const acc = await evaluate(q.floatGraph, q.graph, test.s, { labels: test.y });
    const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
    rows.push(`| ${name} | ${q.calibSamples.length} | 2000 | ${pct(acc.floatAccuracy)} | ${pct(acc.quantAccuracy)} | ${pct(acc.agreement)} |`);
  }
  return rows.join('\n') + '\n\nint8 minmax calibration; the test digits are the seeded test split of the `mnist` package (never used for calibration).\n';
}
