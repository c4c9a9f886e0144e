// The C back ends keep no op lists of their own: what they support is what their lowering tables declare, and the
// tables, the emitter and the registry agree (issue #10, "one op, one place").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { emitC } from '../../src/codegen/c/emit.js';
import { KERNEL_NAMES } from '../../src/codegen/c/kernels.js';
import { ROW_BAND_KERNELS } from '../../src/codegen/c/row-bands.js';
import { C_LOWERINGS } from '../../src/codegen/c/ops/index.js';
import { ESPNN_LOWERINGS } from '../../src/codegen/espnn/ops/index.js';
import { EspforgeError } from '../../src/diagnostics.js';
import type { DType } from '../../src/ir/dtype.js';
import type { Graph } from '../../src/ir/graph.js';
import { hasOp, OPS } from '../../src/ops/index.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** One node of `op` from an int tensor to an int tensor: past the float-island check, so emitC judges the op itself. */
function oneNode(op: string, dtype: DType): Graph {
  return {
    tensors: [
      { id: 0, name: 'x', dtype, shape: [1, 4] },
      { id: 1, name: 'y', dtype, shape: [1, 4] },
    ],
    nodes: [{ op, name: `the_${op}`, inputs: [0], outputs: [1], attrs: {} }],
    inputs: [0],
    outputs: [1],
    meta: { format: 'espforge' },
  };
}

/** The diagnostics f throws. With `validationOnly`, other errors count as none: the one-node graphs lack the
 * weights and integer parameters a lowering reads, so past validation emission may fail in any way. */
function codes(f: () => unknown, validationOnly = false): { code: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof EspforgeError) return e.diagnostics.map((d) => ({ code: d.code, message: d.message }));
    if (validationOnly) return [];
    throw e;
  }
  return [];
}

test('every C and ESP-NN lowering lowers a registry op', () => {
  assert.deepEqual([...C_LOWERINGS.keys()].filter((op) => !hasOp(op)), []);
  assert.deepEqual([...ESPNN_LOWERINGS.keys()].filter((op) => !hasOp(op)), []);
  // ESP-NN only ever replaces a portable kernel: a layer it declines falls back to the C lowering
  assert.deepEqual([...ESPNN_LOWERINGS.keys()].filter((op) => !C_LOWERINGS.has(op)), []);
});

test('every registry op without a C lowering is refused by the emitter with EF3002 naming it', () => {
  const without = OPS.map((d) => d.name).filter((op) => !C_LOWERINGS.has(op));
  assert.ok(without.length > 0, 'some registry ops have no C kernel (MatMul, Div, ...)');
  for (const op of without) {
    const ds = codes(() => emitC(oneNode(op, 'int8'), { name: 'm' }));
    assert.ok(
      ds.some((d) => d.code === 'EF3002' && d.message.includes(`${op} has no C kernel`)),
      `${op}: ${JSON.stringify(ds)}`,
    );
  }
});

test('an op whose lowering does not declare int16 is refused on int16 tensors; one that does is not refused for the dtype', () => {
  for (const [op, low] of C_LOWERINGS) {
    if (low.ownDtypes) continue; // checks its tensors itself (Lstm: int8 with an int16 cell; test/codegen/lstm-c.test.ts)
    const ds = codes(() => emitC(oneNode(op, 'int16'), { name: 'm' }), true).filter((d) => d.code === 'EF3002' && d.message.includes('int8/uint8'));
    if (low.int16) assert.deepEqual(ds, [], op);
    else assert.ok(ds.length > 0 && ds.every((d) => d.message.includes('(int8/uint8 only)')), `${op}: ${JSON.stringify(ds)}`);
  }
});

test('every kernel section a lowering declares exists, and every section serves some lowering', () => {
  const sections = new Set(KERNEL_NAMES());
  for (const low of C_LOWERINGS.values()) assert.deepEqual(low.kernels.filter((k) => !sections.has(k)), [], low.op);
  // sections no lowering names directly must be helpers another section depends on (or the always-used copy), or
  // sections the row-band loop names (src/codegen/c/row-bands.ts)
  const named = new Set([...C_LOWERINGS.values()].flatMap((l) => l.kernels).concat(ROW_BAND_KERNELS));
  const text = readdirSync(join(REPO_ROOT, 'src/codegen/c/kernels'))
    .map((f) => readFileSync(join(REPO_ROOT, 'src/codegen/c/kernels', f), 'utf8'))
    .join('\n');
  const deps = new Set([...text.matchAll(/^\/\*@@ section \S+ deps=(\S+)/gm)].flatMap((m) => m[1].split(',')));
  assert.deepEqual([...sections].filter((s) => !named.has(s) && !deps.has(s)), []);
});

test('the C and ESP-NN back ends hold no hand-written op lists (switches over op names, sets or arrays of op names)', () => {
  const names = new Set<string>(OPS.map((d) => d.name));
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
  const found: string[] = [];
  for (const dir of ['src/codegen/c', 'src/codegen/espnn'])
    for (const f of walk(join(REPO_ROOT, dir))) {
      const t = readFileSync(f, 'utf8');
      const cases = [...t.matchAll(/case '([A-Za-z]+)':/g)].map((m) => m[1]).filter((x) => names.has(x));
      if (cases.length) found.push(`${f}: switch over ${cases.join(', ')}`);
      for (const m of t.matchAll(/\[([^\]]*)\]/g)) {
        const lits = [...m[1].matchAll(/'([A-Za-z]+)'/g)].map((x) => x[1]).filter((x) => names.has(x));
        if (lits.length >= 2) found.push(`${f}: list ${lits.join(', ')}`);
      }
    }
  assert.deepEqual(found, []);
});
