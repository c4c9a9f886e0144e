// The portable C kernels live in kernels/*.c, one file per op family (int16 twins in *_s16.c), as named sections
// (`/*@@ section NAME deps=a,b */`). The emitter copies only the sections a model uses (plus their dependencies)
// in SECTION_ORDER and renames the `ef_` prefix to the model's symbol prefix, so two models can be linked into
// one firmware.

import { readdirSync, readFileSync } from 'node:fs';

interface Section {
  name: string;
  deps: string[];
  body: string;
}

/**
 * The order sections are written to espforge_kernels.c, whichever files they live in: helpers before their users
 * (C needs a static defined before it is called), and fixed so the emitted file does not depend on how the
 * sources are split (the goldens compare it byte for byte). These are the sections that existed when kernels.c was
 * split; a section added since follows them (file-name order, then order within its file), so a new op's kernel
 * needs no entry here — it may call the helpers above, which always come first.
 */
const SECTION_ORDER = [
  'common', 'fixedpoint', 'recip', 'taps', 'rq', 'conv', 'convb', 'gemm', 'dwconv', 'avgpool', 'maxpool', 'dense4', 'add', 'mul', 'mean',
  'softmax', 'logsoftmax', 'logistic', 'tanh', 'leakyrelu', 'prelu', 'hardswish', 'transpose', 'minmax',
  'conv16', 'convb16', 'dwconv16', 'requant16', 'add16', 'mul16', 'maxpool16', 'avgpool16', 'mean16', 'softmax16', 'logistic16',
  'tanh16', 'leakyrelu16', 'clamp16', 'pad16', 'minmax16', 'strided16', 'reducemax16',
  'rqclamp', 'requant', 'clamp', 'pad', 'copy', 'strided', 'gather', 'reducemax', 'resizenn',
];

let cache: Map<string, Section> | undefined;

function sections(): Map<string, Section> {
  if (cache) return cache;
  const dir = new URL('./kernels/', import.meta.url);
  const found = new Map<string, Section>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.c')).sort()) {
    const parts = readFileSync(new URL(f, dir), 'utf8').split(/^\/\*@@ section /m).slice(1);
    for (const p of parts) {
      const nl = p.indexOf('\n');
      const head = p.slice(0, nl).replace(/\*\/\s*$/, '').trim();
      const [name, ...rest] = head.split(/\s+/);
      const depsTok = rest.find((r) => r.startsWith('deps='));
      if (found.has(name)) throw new Error(`kernel section ${name} is defined twice (kernels/${f})`);
      found.set(name, { name, deps: depsTok ? depsTok.slice(5).split(',') : [], body: p.slice(nl + 1).trimEnd() + '\n' });
    }
  }
  const missing = SECTION_ORDER.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`kernel sections in SECTION_ORDER that no kernels/*.c file defines: ${missing.join(',')}`);
  const m = new Map<string, Section>();
  for (const n of SECTION_ORDER) m.set(n, found.get(n)!);
  // sections added since the split follow in file-name order, then in their order within the file
  for (const [n, s] of found) if (!m.has(n)) m.set(n, s);
  cache = m;
  return m;
}

export const KERNEL_NAMES = (): string[] => [...sections().keys()];

/** Sections in SECTION_ORDER, closed under dependencies. */
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

/**
 * Drop the static helpers no kept code calls. A section shares helpers among the kernels that need them (e.g.
 * fixedpoint's 1/(1+x) serves softmax and logistic, not tanh); an unused static function is a -Wunused-function
 * error under -Werror, so the emitted file holds only the static functions it calls. Definitions in kernels/*.c start at column 0 with
 * `static` and end at the first `}` in column 0.
 */
function pruneUnusedStatics(secs: Section[]): Section[] {
  // static inline helpers are exempt: C99 compilers do not warn about unused ones (and they cost nothing)
  const def = /^static (?!inline )[a-z0-9_]+ \*?(ef_[a-z0-9_]+)\([^]*?\n\}\n\n?/gm;
  let bodies = secs.map((s) => s.body);
  for (;;) {
    const text = bodies.join('\n');
    let dead: string | undefined;
    for (const m of text.matchAll(def)) {
      const calls = text.match(new RegExp(`\\b${m[1]}\\b`, 'g'))?.length ?? 0;
      if (calls <= 1) {
        dead = m[1];
        break;
      }
    }
    if (!dead) break;
    const name = dead;
    bodies = bodies.map((b) => b.replace(def, (whole, n: string) => (n === name ? '' : whole)));
  }
  return secs.map((s, i) => ({ ...s, body: bodies[i] }));
}

const VARIANT = /^\/\*@@ if ([a-z0-9_]+\.[a-z0-9_]+) \*\/\n([^]*?)^\/\*@@ endif \*\/\n/gm;

/** The optional code blocks (`/*@@ if SECTION.NAME *\/` ... `/*@@ endif *\/`) section `name` holds. */
export function sectionVariants(name: string): string[] {
  const s = sections().get(name);
  return s ? [...new Set([...s.body.matchAll(VARIANT)].map((m) => m[1]))] : [];
}

/**
 * Keep the optional blocks some layer named (all of them when `variants` is undefined: a caller that does not
 * choose, such as the ESP-NN test double, gets every path) and drop the markers. A dropped block is a tile variant
 * no call reaches (e.g. the 8-column GEMM tile of a model whose GEMMs have fewer than 8 columns); the static
 * helpers only it called then go too (pruneUnusedStatics).
 */
function keepVariants(secs: Section[], variants: Set<string> | undefined): Section[] {
  return secs.map((s) => ({ ...s, body: s.body.replace(VARIANT, (_all, v: string, body: string) => (!variants || variants.has(v) ? body : '')) }));
}

export function kernelFiles(used: Iterable<string>, prefix: string, bannerText: string, variants?: Iterable<string>): { header: string; source: string } {
  const secs = pruneUnusedStatics(keepVariants(closure(used), variants ? new Set(variants) : undefined));
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
