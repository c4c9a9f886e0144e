// "One op, one place": what an op supports is declared on its registry entry (src/ops/), not in lists kept by hand
// elsewhere. This test scans src/ outside src/ops/ and the importers (whose tables map source-format ops onto
// registry ops: that is their job) for
//   - literal lists of two or more registry op names: `new Set([...])` / array literals, and object literals
//     keyed by two or more op names (a per-op table);
//   - comparisons of a node's op with a name that is not a registry op (a dead name such as 'Flatten').
// Exceptions are listed with a reason; an exception that no longer matches anything fails the test too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { OP_NAMES } from '../../src/ops/index.js';
import { SRC, sourceFiles } from '../helpers/imports.js';

const OPS = new Set(OP_NAMES);

/** Files (relative to src/) allowed to hold op lists, with the reason. */
const ALLOWED: Record<string, string> = {
  'codegen/espdl/quantize.ts': "ESP-DL export: the ops ESP-DL's quantizer handles per class (its own arithmetic); outside this change",
  'sim/espdl/index.ts': "ESP-DL's own kernel table (a different arithmetic with its own op coverage, keyed by the ops it runs)",
  'train/from-ir/cut.ts': 'training: the ops walked back over when cutting a classifier head (TAIL) and the activations between a 1x1 conv and the pool (ACTS) are model-surgery choices, not op properties',
  'train/from-ir/lower.ts': "training: the IR → tfjs-layers table, keyed by the ops TF.js has a layer for (a back end's own coverage, like ESP-DL's kernel table)",
};

interface Hit {
  file: string;
  line: number;
  what: string;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Strip comments (keeping offsets) so that op names in prose do not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/[^\n]*/g, (m, p: string) => p + ' '.repeat(m.length - p.length));
}

function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
    else if (c === "'" || c === '"' || c === '`') {
      const j = text.indexOf(c, i + 1);
      if (j < 0) return text.length;
      i = j;
    }
  }
  return text.length;
}

export function scan(file: string, raw: string): Hit[] {
  const text = code(raw);
  const hits: Hit[] = [];
  // array literals (and so new Set([...])) holding two or more op names
  for (const m of text.matchAll(/\[([^[\]]*)\]/g)) {
    const names = [...m[1].matchAll(/'([A-Za-z_]+)'/g)].map((x) => x[1]).filter((s) => OPS.has(s));
    if (names.length >= 2) hits.push({ file, line: lineOf(text, m.index!), what: `list [${names.join(', ')}]` });
  }
  // object literals keyed by two or more op names
  for (const m of text.matchAll(/=\s*\{/g)) {
    const open = m.index! + m[0].length - 1;
    const body = text.slice(open + 1, closing(text, open));
    let depth = 0;
    const keys: string[] = [];
    for (const k of body.matchAll(/[{}]|(?:^|[,{\n])\s*([A-Za-z_]+)\s*:/g)) {
      if (k[0] === '{') depth++;
      else if (k[0] === '}') depth--;
      else if (depth === 0 && k[1] && OPS.has(k[1])) keys.push(k[1]);
    }
    if (keys.length >= 2) hits.push({ file, line: lineOf(text, m.index!), what: `table keyed by {${keys.join(', ')}}` });
  }
  // a node's op compared with a name that is no registry op
  for (const m of text.matchAll(/(?<!typeof [\w.()\s]*)\bop\s*[!=]==\s*'([A-Za-z_]+)'/g))
    if (!OPS.has(m[1])) hits.push({ file, line: lineOf(text, m.index!), what: `comparison with '${m[1]}', which is not a registry op` });
  return hits;
}

test('no hand-kept op lists outside the registry (src/ops) and the importers', () => {
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const path of sourceFiles()) {
    const file = relative(SRC, path);
    if (file.startsWith('ops/') || file.startsWith('import/')) continue;
    const h = scan(file, readFileSync(path, 'utf8'));
    if (h.length) seen.add(file);
    if (!ALLOWED[file]) hits.push(...h);
  }
  assert.deepEqual(hits.map((h) => `${h.file}:${h.line} ${h.what}`), []);
  const stale = Object.keys(ALLOWED).filter((f) => !seen.has(f));
  assert.deepEqual(stale, [], 'allowed files that no longer hold an op list (remove them from ALLOWED)');
});

test('the scanner finds the list shapes it looks for, and ignores prose', () => {
  const src = [
    "const A = new Set(['Conv', 'Add']);",
    "const B: Record<string, number> = { Conv: 1, Relu: 2 };",
    "if (n.op === 'Flatten') return;",
    "// ['Conv', 'Add'] in a comment",
    "const C = ['int8', 'Conv'];",
  ].join('\n');
  const hits = scan('x.ts', src).map((h) => `${h.line} ${h.what}`);
  assert.deepEqual(hits, ['1 list [Conv, Add]', '2 table keyed by {Conv, Relu}', "3 comparison with 'Flatten', which is not a registry op"]);
});
