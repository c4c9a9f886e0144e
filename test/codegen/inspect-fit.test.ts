// `inspect`'s per-chip fit comes from planning and emitting only (src/inspect.ts fitSummary), not from a build.
// Its figures must be the ones a build reports for the same model (buildProject, dry run, portable kernels, the
// esp32p4 nominal target): arena, weights, and every chip's flash need, partition, RAM cap and verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedPath } from '../helpers/shared.js';
import { loadModel } from '../../src/import/index.js';
import { fitSummary } from '../../src/inspect.js';
import { buildProject } from '../../src/pipeline/build.js';

test('inspect fit (plan + emit only) equals the fit a build reports', async (t) => {
  for (const name of ['mnist_resnet_q', 'vww96_q']) {
    const file = sharedPath(t, 'models', 'tflite', 'tinymaix', `${name}.tflite`);
    if (!file) return;
    const g = await loadModel(file);
    const f = await fitSummary(g);
    const r = buildProject(g, { target: 'esp32p4', dryRun: true, kernels: 'portable' });
    assert.ok(r.report, r.diagnostics.map((d) => d.message).join('; '));
    assert.equal(f.arenaBytes, r.report.arenaBytes, `${name} arena`);
    assert.equal(f.weightBytes, r.report.weightBytes, `${name} weights`);
    assert.deepEqual(
      f.chips,
      r.report.fit.map((c) => ({
        chip: c.chip,
        fits: c.fits,
        flashNeed: c.flash.need,
        partition: c.flash.partitionSize,
        customPartition: c.flash.needsCustomPartition,
        ramCap: c.ram.maxStaticBuffer,
        problems: c.problems,
      })),
      `${name}: per-chip fit`,
    );
  }
});
