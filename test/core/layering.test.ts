// Layering of src/: a module may import (at run time) only modules of its own layer or a lower one. Type-only
// imports are free (erased by the compiler). The layers, lowest first:
//
//   0 base        diagnostics.ts, version.ts
//   1 ir          src/ir/            the graph; imports nothing above it
//   2 arith       src/arith/         fixed-point arithmetic (TFLite/gemmlowp helpers)
//   3 ops         src/ops/, src/sim/int/   the registry, its op definitions and their integer kernels (an op's
//                                    integer kernel is attached to its registry entry, so the two are one layer)
//   4 engines     src/sim/ (interpreters), src/passes/, src/plan/, src/targets/
//   5 quant       src/quant/         calibration and PTQ
//   6 back end    src/codegen/, src/verify/, src/report/
//   7 pipeline    importers, io, data, training, conformance, run/inspect/docs, cli
//
// Exceptions are listed with a reason; the test also fails when an exception is no longer needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeImports, type ImportEdge } from '../helpers/imports.js';

const LAYERS: [prefix: string, layer: number][] = [
  ['diagnostics.ts', 0],
  ['version.ts', 0],
  ['ir/', 1],
  ['arith/', 2],
  ['ops/', 3],
  ['sim/int/', 3],
  ['sim/', 4],
  ['passes/', 4],
  ['plan/', 4],
  ['targets/', 4],
  ['quant/', 5],
  ['codegen/', 6],
  ['verify/', 6],
  ['report/', 6],
];

function layerOf(file: string): number {
  for (const [p, l] of LAYERS) if (file === p || file.startsWith(p)) return l;
  return 7;
}

/** from → to (file prefixes) allowed to go up, each with the reason. */
const EXCEPTIONS: { from: string; to: string; reason: string }[] = [
  {
    from: 'quant/ptq.ts',
    to: 'import/validate.ts',
    reason: 'nonFiniteWeight is a pure IR check kept with the loader validation; it can move to src/ir',
  },
  {
    from: 'codegen/',
    to: 'import/',
    reason: 'the .tflite export reuses the TFLite importer schema/writer; outside this change (codegen is being split)',
  },
];

function excepted(e: ImportEdge): boolean {
  return EXCEPTIONS.some((x) => e.from.startsWith(x.from) && e.to.startsWith(x.to));
}

test('src/ imports go down the layers (ir ← arith ← ops ← sim/passes ← quant ← codegen ← pipeline)', () => {
  const edges = runtimeImports();
  assert.ok(edges.length > 200, `only ${edges.length} imports found: the scanner is broken`);
  const up = edges.filter((e) => layerOf(e.to) > layerOf(e.from) && !excepted(e));
  assert.deepEqual(
    up.map((e) => `${e.from}:${e.line} imports ${e.to} (layer ${layerOf(e.from)} → ${layerOf(e.to)})`),
    [],
  );
  const unused = EXCEPTIONS.filter((x) => !edges.some((e) => e.from.startsWith(x.from) && e.to.startsWith(x.to) && layerOf(e.to) > layerOf(e.from)));
  assert.deepEqual(unused.map((x) => `${x.from} → ${x.to}`), [], 'exceptions no longer needed');
});

test('the IR imports nothing but diagnostics at run time, and quant and the simulator do not import each other both ways', () => {
  const edges = runtimeImports();
  assert.deepEqual(
    edges.filter((e) => e.from.startsWith('ir/') && !e.to.startsWith('ir/') && e.to !== 'diagnostics.ts').map((e) => `${e.from} → ${e.to}`),
    [],
  );
  assert.deepEqual(edges.filter((e) => e.from.startsWith('sim/') && e.to.startsWith('quant/')).map((e) => `${e.from} → ${e.to}`), []);
});

test('the scanner sees run-time imports and skips type-only ones', () => {
  const edges = runtimeImports();
  // ptq.ts imports prepareIntGraph at run time; ir/layout.ts imports only a type from src/ops
  assert.ok(edges.some((e) => e.from === 'quant/ptq.ts' && e.to === 'sim/int.ts'));
  assert.ok(!edges.some((e) => e.from === 'ir/layout.ts' && e.to.startsWith('ops/')));
  assert.ok(edges.some((e) => e.dynamic));
});
