// A fixed, seeded sample of the fuzz campaign (scripts/fuzz/driver.ts) over every importer and input format:
// mutated copies of the shared models must give a graph or coded diagnostics — no internal error (EF9001), no
// hang (case CPU time over 5 s, or stopped at the 30 s cap), no case process over 1 GB, and no acceptance of a
// mutation known to make the file invalid. Long campaigns: `npm run fuzz -- --count N --seed S`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCampaign } from '../../scripts/fuzz/driver.js';
import { FORMATS } from '../../scripts/fuzz/mutate.js';
import { sharedPath } from '../helpers/shared.js';

const PER_FORMAT = 20;

test(`fuzz sample: ${PER_FORMAT} seeded mutations per format, zero internal errors, hangs, memory blow-ups or garbage acceptances`, async (t) => {
  const shared = sharedPath(t, '');
  if (!shared) return;
  process.env.ESPFORGE_H5_TIMEOUT_MS ??= '4000';
  const res = await runCampaign({ shared, count: PER_FORMAT, seed: 20261207 });
  for (const f of FORMATS) {
    const r = res[f];
    assert.equal(r.cases, PER_FORMAT, `${f}: seeds found`);
    t.diagnostic(`${f}: ${r.accepted} accepted, ${r.coded} coded ${JSON.stringify(r.codes)}, max ${r.maxCpuMs} ms CPU, ${r.maxRssMb} MB`);
    const why = JSON.stringify(r.failures, null, 1);
    assert.equal(r.internal, 0, `${f} internal errors: ${why}`);
    assert.equal(r.hangs, 0, `${f} hangs: ${why}`);
    assert.equal(r.overMemory, 0, `${f} over 1 GB: ${why}`);
    assert.equal(r.garbageAccepted, 0, `${f} garbage accepted: ${why}`);
    // the sample must exercise both outcomes, or the mutations are not reaching the importer
    assert.ok(r.coded > 0, `${f}: no mutation was refused`);
  }
});
