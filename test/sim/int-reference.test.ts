// Byte-exact agreement of the integer simulator with TensorFlow Lite Micro's reference kernels: every int8/uint8
// model of ../shared/reference/tflm, every case (a sweep case runs each row as its own invoke), plus a per-layer
// check on the stored intermediate tensors (matched by tensor name) that names the first diverging tensor, and
// the TFLite reference outputs shipped with tvm-kws-yes-no.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/import/index.js';
import { readNpy } from '../../src/io/npy.js';
import { shapeSize } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Value } from '../../src/ops/types.js';
import { prepareIntGraph, runInt } from '../../src/sim/int.js';
import { sharedPath, sharedRootOrSkip } from '../helpers/shared.js';

// copy into a fresh Uint8Array: a Node Buffer may be a view into a shared pool
const npy = (p: string): Value => readNpy(new Uint8Array(readFileSync(p)), p);

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

interface ModelEntry {
  model: string;
  dir: string;
  kind: string;
  intermediate: string | null;
}

const root = sharedRootOrSkip();
const index: { models: ModelEntry[] } = root
  ? JSON.parse(readFileSync(join(root, 'reference', 'tflm', 'index.json'), 'utf8'))
  : { models: [] };
const intModels = index.models.filter((m) => m.kind !== 'float');

const graphs = new Map<string, Promise<Graph>>();
function prepared(model: string): Promise<Graph> {
  let g = graphs.get(model);
  if (!g) {
    g = loadModel(join(root!, 'models', 'tflite', model)).then(prepareIntGraph);
    graphs.set(model, g);
  }
  return g;
}

test('the TFLM reference index lists int8 models', (t) => {
  if (!sharedPath(t, 'reference', 'tflm', 'index.json')) return;
  assert.ok(intModels.length >= 10, `only ${intModels.length} int models`);
});

for (const m of intModels) {
  test(`TFLM byte-exact: ${m.model}, all cases`, async (t) => {
    const dir = sharedPath(t, 'reference', m.dir);
    if (!dir) return;
    const g = await prepared(m.model);
    const inT = g.tensors[g.inputs[0]];
    const rowLen = shapeSize(inT.shape);
    const cases: { id: string }[] = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')).cases;
    const failures: string[] = [];
    for (const c of cases) {
      const inp = npy(join(dir, 'inputs', `${c.id}.npy`));
      const exp = npy(join(dir, 'outputs', `${c.id}.out0.npy`));
      const rows = inp.data.length / rowLen;
      const outLen = exp.data.length / rows;
      for (let r = 0; r < rows; r++) {
        const data = rows === 1 ? inp.data : inp.data.slice(r * rowLen, (r + 1) * rowLen);
        const out = runInt(g, [{ dtype: inp.dtype, shape: inT.shape, data }]).outputs[0];
        assert.equal(out.dtype, exp.dtype, `${c.id}: output dtype`);
        const want = rows === 1 ? exp.data : exp.data.subarray(r * outLen, (r + 1) * outLen);
        const d = firstDiff(out.data, want);
        if (d >= 0) {
          failures.push(`${c.id}${rows > 1 ? ` row ${r}` : ''}: first differing byte at index ${d} (got ${out.data[d]}, TFLM ${want[d]})`);
          break;
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length}/${cases.length} cases differ from TFLM`);
  });

  if (m.intermediate) {
    test(`TFLM per-layer: ${m.model} (${m.intermediate})`, async (t) => {
      const dir = sharedPath(t, 'reference', m.dir, 'intermediate');
      if (!dir || !existsSync(dir)) return;
      const idx: { tensors: { name: string; file: string; producer: { op_index: number } | string }[] } = JSON.parse(
        readFileSync(join(dir, 'index.json'), 'utf8'),
      );
      const g = await prepared(m.model);
      const byName = new Map(g.tensors.map((tt) => [tt.name, tt.id]));
      const inp = npy(join(dir, '..', 'inputs', `${m.intermediate}.npy`));
      const got = runInt(g, [{ dtype: inp.dtype, shape: g.tensors[g.inputs[0]].shape, data: inp.data }], { keepAll: true });
      const order = idx.tensors
        .slice()
        .sort((a, b) => (typeof a.producer === 'string' ? -1 : a.producer.op_index) - (typeof b.producer === 'string' ? -1 : b.producer.op_index));
      let compared = 0;
      for (const rec of order) {
        const id = byName.get(rec.name);
        if (id === undefined) continue; // fused away or renamed by the importer
        const v = got.values!.get(id) ?? (g.inputs.includes(id) ? { data: inp.data } : undefined);
        assert.ok(v, `no simulator value for tensor '${rec.name}'`);
        const want = npy(join(dir, rec.file));
        const d = firstDiff(v.data, want.data);
        assert.equal(d, -1, `first diverging tensor: '${rec.name}' (${rec.file}) at index ${d}: got ${v.data[d]}, TFLM ${want.data[d]}`);
        compared++;
      }
      // every stored tensor should be matched except the ones an importer legitimately fuses
      assert.ok(compared >= Math.ceil(idx.tensors.length / 2), `only ${compared}/${idx.tensors.length} tensors matched by name`);
    });
  }
}

test('tvm-kws-yes-no: outputs equal the TFLite reference outputs exactly', async (t) => {
  const dir = sharedPath(t, 'models', 'tflite', 'tvm-kws-yes-no');
  if (!dir) return;
  const g = await prepared('tvm-kws-yes-no/yes_no.tflite');
  const names = readdirSync(join(dir, 'expected')).filter((f) => f.endsWith('.npy'));
  assert.equal(names.length, 4);
  for (const f of names) {
    const inp = npy(join(dir, 'inputs', f));
    const exp = npy(join(dir, 'expected', f));
    const out = runInt(g, [inp]).outputs[0];
    assert.deepEqual(Array.from(out.data), Array.from(exp.data), f);
  }
});
