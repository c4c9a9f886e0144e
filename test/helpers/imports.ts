// Run-time imports between the modules under src/, read from the source text (no type checker): static
// `import ... from`, `export ... from` and dynamic `import('...')` with relative specifiers. Type-only imports
// (`import type`, `export type`, or every specifier marked `type`) are erased by the compiler and left out.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './shared.js';

export const SRC = join(REPO_ROOT, 'src');

export interface ImportEdge {
  /** Importing file, relative to src/ ('quant/ptq.ts'). */
  from: string;
  /** Imported file, relative to src/. */
  to: string;
  line: number;
  dynamic: boolean;
}

export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out.sort();
}

const STATIC = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*'([^']+)'/gm;
const SIDE_EFFECT = /^\s*import\s+'([^']+)'/gm;
const DYNAMIC = /\bimport\(\s*'([^']+)'\s*\)/g;

function typeOnlySpecifiers(clause: string): boolean {
  const m = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!m) return false;
  const specs = m[1].split(',').map((s) => s.trim()).filter(Boolean);
  return specs.length > 0 && specs.every((s) => s.startsWith('type '));
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Every run-time import edge between files under src/. */
export function runtimeImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    const from = relative(SRC, file);
    const add = (spec: string, index: number, dynamic: boolean) => {
      if (!spec.startsWith('.')) return;
      const to = relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.push({ from, to, line: lineOf(text, index), dynamic });
    };
    for (const m of text.matchAll(STATIC)) if (!m[2] && !typeOnlySpecifiers(m[3])) add(m[4], m.index!, false);
    for (const m of text.matchAll(SIDE_EFFECT)) add(m[1], m.index!, false);
    for (const m of text.matchAll(DYNAMIC)) add(m[1], m.index!, true);
  }
  return edges;
}
