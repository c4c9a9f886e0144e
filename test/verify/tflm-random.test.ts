// Differential harness over ../shared/reference/tflm-random: 307 random int8 and 16x8 TFLite models (random zero
// points over the whole range, odd scales, broadcasts, padding, strides, dilations, fused activations), 1228
// cases, whose expected outputs were computed by TensorFlow Lite Micro's reference kernels (an independent
// oracle: see that folder's README.md). Inputs are raw integers fed as they are; the output bytes must be equal.
//
//   1. integer simulator vs TFLM, every case; and the same after exporting each model with the TFLite writer and
//      importing the bytes again;
//   2. generated C on the host (gcc -O2 -Werror, many models linked into one program) vs TFLM, every case;
//      models ending in DEQUANTIZE (float32 output) go through the library's NAME_dequantize_output wrapper;
//   3. a deterministic sample (greedy, in corpus order) covering every (scheme, operator) pair that the C library
//      builds, on rv32imc under QEMU and under ASan/UBSan on the host, vs TFLM.
//
// A model espforge refuses is a coded skip (the diagnostic code), counted and listed; the sets of skipped cases
// per executor must equal the explicit lists below, so a silent pass, a new skip or a newly working case that is
// still listed all fail the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../helpers/shared.js';
import { EspforgeError } from '../../src/diagnostics.js';
import { loadModel } from '../../src/import/index.js';
import { importTflite } from '../../src/import/tflite/index.js';
import { exportTflite } from '../../src/import/tflite/writer.js';
import type { Graph } from '../../src/ir/graph.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { emitC } from '../../src/codegen/c/emit.js';
import { harnessSpec, integerIO } from '../../src/pipeline/build.js';
import { readNpy } from '../../src/io/npy.js';
import type { Value } from '../../src/ops/types.js';
import { hasTool } from '../../src/verify/toolchain.js';
import { QEMU_RV32, RV32_GCC } from '../../src/verify/host.js';
import { runMany, type HarnessModel, type MultiOutputs, type MultiTarget } from '../../src/verify/multi.js';

/** Cases the simulator refuses (model → diagnostic code). Goal: empty. */
const EXPECTED_SIM_SKIPS: Record<string, string> = {};

/** Cases the C library refuses with a coded diagnostic (model → code). Goal, and state: empty — every int16 op of the
 * corpus has a C kernel. A new refusal fails the test. */
const EXPECTED_C_SKIPS: Record<string, string> = {};

/** Models per host compile (one program each). */
const BATCH = 40;

interface Case {
  id: string;
  inputs: Value[];
  /** Expected output bytes (int8/uint8/float32) or values (int16), from TFLM. */
  want: Uint8Array | Int16Array;
}

interface Model {
  dir: string;
  kind: string;
  ops: string[];
  graph?: Graph;
  cases: Case[];
}

function bytesOfValue(v: { dtype: string; data: ArrayLike<number> }): Uint8Array | Int16Array {
  const d = v.data as unknown as { buffer: ArrayBuffer; byteOffset: number; byteLength: number };
  if (v.dtype === 'int16') return Int16Array.from(v.data);
  if (v.dtype === 'float32') return new Uint8Array(Float32Array.from(v.data).buffer);
  if (v.dtype === 'int8' || v.dtype === 'uint8') return Uint8Array.from(v.data, (x) => x & 0xff);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `element ${i}: got ${a[i]}, TFLM ${b[i]}`;
  return undefined;
}

function codeOf(e: unknown): string {
  if (e instanceof EspforgeError) return e.diagnostics[0]?.code ?? 'EF????';
  throw e;
}

function loadCorpus(root: string): Model[] {
  const idx = JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')) as { models: { model: string; dir: string; kind: string; ops: Record<string, number> }[] };
  return idx.models.map((m) => {
    const cj = JSON.parse(readFileSync(join(root, m.dir, 'cases.json'), 'utf8')) as { cases: { id: string }[] };
    const npy = (rel: string) => readNpy(new Uint8Array(readFileSync(join(root, m.dir, rel))), rel);
    const cases = cj.cases.map((c) => {
      const inputs = [npy(`inputs/${c.id}.npy`)];
      if (existsSync(join(root, m.dir, 'inputs', `${c.id}.in1.npy`))) inputs.push(npy(`inputs/${c.id}.in1.npy`));
      return { id: c.id, inputs, want: bytesOfValue(npy(`outputs/${c.id}.out0.npy`)) };
    });
    return { dir: m.dir, kind: m.kind, ops: Object.keys(m.ops).sort(), cases };
  });
}

/** Greedy cover: models (in corpus order) until every (scheme, operator) pair among `pool` appears. */
function coverSample(pool: Model[], perPair = 1): Model[] {
  const need = new Map<string, number>();
  for (const m of pool) for (const op of m.ops) need.set(`${m.kind}:${op}`, perPair);
  const out: Model[] = [];
  for (const m of pool) {
    const keys = m.ops.map((op) => `${m.kind}:${op}`);
    if (!keys.some((k) => (need.get(k) ?? 0) > 0)) continue;
    out.push(m);
    for (const k of keys) need.set(k, (need.get(k) ?? 0) - 1);
  }
  return out;
}

function toolsOrSkip(t: { skip(m: string): void; diagnostic(m: string): void }, tools: string[]): boolean {
  const missing = tools.filter((x) => !hasTool(x));
  if (!missing.length) return true;
  if (process.env.CI === 'true') throw new Error(`${missing.join(', ')} missing under CI`);
  t.skip(`${missing.join(', ')} not found (EF4002)`);
  return false;
}

test('tflm-random: integer simulator and generated C (host, rv32 sample, sanitizer sample) equal TFLM byte for byte', async (t) => {
  const root = sharedPath(t, 'reference', 'tflm-random');
  if (!root) return;
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + ' s';
  const models = loadCorpus(root);
  assert.equal(models.length, 307, 'models in the corpus');
  assert.equal(models.reduce((s, m) => s + m.cases.length, 0), 1228, 'cases in the corpus');

  // ---- 1. simulator
  await t.test('integer simulator vs TFLM, every case', async (st) => {
    const simSkips: Record<string, string> = {};
    const simFails: string[] = [];
    let simPass = 0;
    for (const m of models) {
      try {
        m.graph = prepareIntGraph(await loadModel(join(root, 'models', `${m.dir}.tflite`)));
      } catch (e) {
        simSkips[m.dir] = codeOf(e);
        continue;
      }
      for (const c of m.cases) {
        let got: Uint8Array | Int16Array;
        try {
          got = bytesOfValue(runInt(m.graph, c.inputs).outputs[0]);
        } catch (e) {
          simSkips[m.dir] = codeOf(e);
          break;
        }
        const d = firstDiff(got, c.want);
        if (d) simFails.push(`${m.dir}/${c.id}: ${d}`);
        else simPass++;
      }
    }
    const simSkipCases = Object.keys(simSkips).reduce((s, k) => s + models.find((m) => m.dir === k)!.cases.length, 0);
    st.diagnostic(`simulator: ${simPass} cases identical to TFLM, ${simFails.length} differ, ${simSkipCases} skipped ${JSON.stringify(simSkips)} (${secs()})`);
    assert.deepEqual(simFails, [], 'simulator vs TFLM');
    assert.deepEqual(simSkips, EXPECTED_SIM_SKIPS, 'models the simulator skips (diagnostic codes)');
  });

  // ---- 1b. the TFLite writer: every model exported again, re-imported from the bytes, simulates to TFLM's bytes
  await t.test('export to .tflite, re-import, simulate: equals TFLM, every case', async (st) => {
    const fails: string[] = [];
    let pass = 0;
    for (const m of models) {
      if (!m.graph) continue;
      let g2: Graph;
      try {
        g2 = prepareIntGraph(importTflite(exportTflite(m.graph), `${m.dir} (re-exported)`));
      } catch (e) {
        fails.push(`${m.dir}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      for (const c of m.cases) {
        const d = firstDiff(bytesOfValue(runInt(g2, c.inputs).outputs[0]), c.want);
        if (d) fails.push(`${m.dir}/${c.id}: ${d}`);
        else pass++;
      }
    }
    st.diagnostic(`re-exported models: ${pass} cases identical to TFLM (${secs()})`);
    assert.deepEqual(fails, [], 'exported → re-imported → simulated vs TFLM');
  });

  // ---- 2. generated C, host
  if (!toolsOrSkip(t, ['gcc'])) return;
  const cSkips: Record<string, string> = {};
  const cWhy: string[] = [];
  const built: { m: Model; hm: HarnessModel }[] = [];
  models.forEach((m, mi) => {
    if (!m.graph) return;
    try {
      const g = integerIO(m.graph);
      const e = emitC(g, { name: `r${mi}`, modelFile: `${m.dir}.tflite` });
      const spec = harnessSpec(g, e.prefix);
      const dequantize = g.outputs.map((id, j) => id !== m.graph!.outputs[j]);
      const cases = m.cases.map((c) => ({ name: c.id, inputs: c.inputs.map((v) => v.data as ArrayLike<number>) }));
      built.push({ m, hm: { dir: `m${mi}`, files: e.files, spec, cases, dequantize } });
    } catch (e) {
      cSkips[m.dir] = codeOf(e);
      cWhy.push(`${m.dir}: ${(e as Error).message.split('\n')[0]}`);
    }
  });
  const check = (label: string, set: { m: Model; hm: HarnessModel }[], outs: MultiOutputs, fails: string[]) => {
    let pass = 0;
    set.forEach(({ m }, k) =>
      m.cases.forEach((c, ci) => {
        const d = firstDiff(outs[k][ci][0] ?? [], c.want);
        if (d) fails.push(`${label} ${m.dir}/${c.id}: ${d}`);
        else pass++;
      }),
    );
    return pass;
  };
  /** Batches of `batch` models, two programs built and run at a time (two cores). */
  const run = async (target: MultiTarget, set: { m: Model; hm: HarnessModel }[], batch: number, fails: string[]) => {
    const parts: { m: Model; hm: HarnessModel }[][] = [];
    for (let i = 0; i < set.length; i += batch) parts.push(set.slice(i, i + batch));
    let pass = 0;
    let next = 0;
    const worker = async () => {
      while (next < parts.length) {
        const part = parts[next++];
        let outs: MultiOutputs;
        try {
          outs = await runMany(part.map((b) => b.hm), target);
        } catch (e) {
          // a failed compile or run: the diagnostic's notes hold the compiler's or sanitizer's words
          if (e instanceof EspforgeError) throw new Error(e.diagnostics.map((d) => `${d.code}: ${d.message}\n${(d.notes ?? []).join('\n')}`).join('\n'));
          throw e;
        }
        pass += check(target, part, outs, fails);
      }
    };
    await Promise.all([worker(), worker()]);
    return pass;
  };
  await t.test('generated C on the host (gcc -O2) vs TFLM, every case', async (st) => {
    const cFails: string[] = [];
    const hostPass = await run('host', built, BATCH, cFails);
    const cSkipCases = Object.keys(cSkips).reduce((s, k) => s + models.find((m) => m.dir === k)!.cases.length, 0);
    for (const w of cWhy) st.diagnostic(`C skip ${w}`);
    st.diagnostic(`host C: ${hostPass} cases identical to TFLM, ${cFails.length} differ, ${cSkipCases} skipped (${secs()}) ${JSON.stringify(cSkips)}`);
    assert.deepEqual(cFails, [], 'generated C on the host vs TFLM');
    assert.deepEqual(cSkips, EXPECTED_C_SKIPS, 'models the C library skips (diagnostic codes)');
  });

  // ---- 3. samples: ASan/UBSan and rv32imc under QEMU, every (scheme, operator) pair the C library builds
  const sample = coverSample(built.map((b) => b.m));
  const pick = (ms: Model[]) => built.filter((b) => ms.includes(b.m));
  await t.test('generated C under ASan/UBSan vs TFLM, sample', async (st) => {
    const sanSample = sample;
    const sanFails: string[] = [];
    const sanPass = await run('host-sanitize', pick(sanSample), 12, sanFails);
    st.diagnostic(`host C under ASan/UBSan: ${sanPass} cases of ${sanSample.length} models identical to TFLM (${secs()})`);
    assert.deepEqual(sanFails, [], 'generated C under ASan/UBSan vs TFLM');
  });

  await t.test('generated C on rv32imc under QEMU vs TFLM, sample', async (st) => {
    if (!toolsOrSkip(st, [RV32_GCC, QEMU_RV32])) return;
    const rvSample = sample;
    const rvFails: string[] = [];
    const rvPass = await run('rv32', pick(rvSample), 12, rvFails);
    const pairs = new Set(rvSample.flatMap((m) => m.ops.map((op) => `${m.kind}:${op}`)));
    const all = new Set(models.flatMap((m) => m.ops.map((op) => `${m.kind}:${op}`)));
    st.diagnostic(`(scheme, operator) pairs not on rv32 (only in models the C library skips): ${[...all].filter((p) => !pairs.has(p)).sort().join(' ') || 'none'}`);
    st.diagnostic(`rv32 C: ${rvPass} cases of ${rvSample.length} models identical to TFLM, covering ${pairs.size} (scheme, operator) pairs (${secs()})`);
    assert.deepEqual(rvFails, [], 'generated C on rv32 vs TFLM');
  });
});
