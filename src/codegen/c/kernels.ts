// The portable C kernels live in kernels/kernels.c as named sections (`/*@@ section NAME deps=a,b */`). The
// emitter copies only the sections a model uses (plus their dependencies) and renames the `ef_` prefix to the
// model's symbol prefix, so two models can be linked into one firmware.

import { readFileSync } from 'node:fs';

interface Section {
  name: string;
  deps: string[];
  body: string;
}

let cache: Map<string, Section> | undefined;

function sections(): Map<string, Section> {
  if (cache) return cache;
  const text = readFileSync(new URL('./kernels/kernels.c', import.meta.url), 'utf8');
  const m = new Map<string, Section>();
  const parts = text.split(/^\/\*@@ section /m).slice(1);
  for (const p of parts) {
    const nl = p.indexOf('\n');
    const head = p.slice(0, nl).replace(/\*\/\s*$/, '').trim();
    const [name, ...rest] = head.split(/\s+/);
    const depsTok = rest.find((r) => r.startsWith('deps='));
    m.set(name, { name, deps: depsTok ? depsTok.slice(5).split(',') : [], body: p.slice(nl + 1).trimEnd() + '\n' });
  }
  cache = m;
  return m;
}

export const KERNEL_NAMES = (): string[] => [...sections().keys()];

/** Sections in file order, closed under dependencies. */
function closure(used: Iterable<string>): Section[] {
  const all = sections();
  const need = new Set<string>();
  const visit = (n: string) => {
    if (need.has(n)) return;
    const s = all.get(n);
    if (!s) throw new Error(`unknown kernel section ${n}`);
    need.add(n);
    s.deps.forEach(visit);
  };
  for (const u of used) visit(u);
  return [...all.values()].filter((s) => need.has(s.name));
}

const rename = (s: string, prefix: string) => s.replace(/\bef_/g, `${prefix}_`);

/** Public (non-static) function prototypes of the chosen sections. */
function prototypes(secs: Section[]): string[] {
  const out: string[] = [];
  for (const s of secs) {
    const re = /^(void|int32_t|int)\s+(ef_[a-z0-9_]+)\(([^)]*)\)\s*\n\{/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s.body))) out.push(`${m[1]} ${m[2]}(${m[3].replace(/\s+/g, ' ')});`);
  }
  return out;
}

export function kernelFiles(used: Iterable<string>, prefix: string, bannerText: string): { header: string; source: string } {
  const secs = closure(used);
  const guard = `${prefix.toUpperCase()}_ESPFORGE_KERNELS_H`;
  const header =
    bannerText +
    `#ifndef ${guard}\n#define ${guard}\n\n#include <stddef.h>\n#include <stdint.h>\n\n` +
    prototypes(secs).map((p) => rename(p, prefix)).join('\n') +
    `\n\n#endif /* ${guard} */\n`;
  const source =
    bannerText +
    `/* Portable C99 int8 kernels, bit-exact with TensorFlow Lite Micro's reference kernels. */\n` +
    `#include "espforge_kernels.h"\n\n` +
    `/* The multiply-accumulate tiles below are written in the order they should execute, with every accumulator in a\n` +
    ` * register. GCC's scheduling pass before register allocation hoists their filter loads and then spills\n` +
    ` * accumulators on RISC-V (measured on rv32imc -O2: about 20% more instructions), so it is off for this file. */\n` +
    `#if defined(__GNUC__) && !defined(__clang__) && defined(__riscv)\n#pragma GCC optimize("no-schedule-insns")\n#endif\n\n` +
    secs.map((s) => rename(s.body, prefix)).join('\n');
  return { header, source };
}
