// The example ladder: every spec parses and builds; the small ones train for an epoch on generated data.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';
import { initBackend } from '../../src/train/backend.js';
import { buildModel, parseSpec } from '../../src/train/spec.js';
import { trainModel } from '../../src/train/train.js';
import type { Dataset } from '../../src/data/index.js';

const DIR = join(REPO_ROOT, 'examples');

function gen(n: number, shape: number[], classes: number): Dataset {
  const per = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let j = 0; j < per; j++) x[i * per + j] = (y[i] + 0.5) / classes + 0.1 * Math.sin(i * 7 + j);
  }
  return { x, y, shape, classes: [], normalization: { scale: 1, offset: 0 }, source: 'generated' };
}

test('every example spec parses and builds; the small ones train one epoch', async () => {
  await initBackend();
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  assert.equal(files.length, 10);
  for (const f of files) {
    const json = JSON.parse(readFileSync(join(DIR, f), 'utf8'));
    if (f.startsWith('10')) {
      // names a Keras-applications weights file that is not shipped: without it the spec cannot build
      assert.throws(() => buildModel(parseSpec(structuredClone(json), f), { seed: 1 }), /EF5003/);
      delete json.base.weights;
    }
    const spec = parseSpec(json, f);
    const m = buildModel(spec, { seed: 1 });
    assert.deepEqual(m.inputs[0].shape.slice(1), spec.input, f);
    const out = m.outputs[0].shape;
    const k = out[out.length - 1]!;
    if (f.startsWith('08') || f.startsWith('10')) {
      assert.ok(m.countParams() > 400000, `${f}: ${m.countParams()} parameters`); // MobileNetV2-0.35 base + head
      continue;
    }
    const r = await trainModel(m, gen(f.startsWith('07') ? 8 : 40, spec.input, k === 1 ? 2 : k), { epochs: 1, batchSize: 8, seed: 1 });
    assert.ok(Number.isFinite(r.history[0].loss), f);
  }
});
