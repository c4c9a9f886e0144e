// The portable C back end's lowerings, keyed by the op each one declares (CLowering.op). No op names and no module
// names are written here: every module in this folder is loaded and the lowerings it exports are collected as they
// are, so adding an op's C support is adding a module (or a lowering to an existing family's module).

import { readdirSync } from 'node:fs';
import type { CLowering } from '../lowering.js';

/** This folder's modules (sorted, so the table is the same on every machine): `.ts` under tsx, `.js` when compiled. */
const MODULES: Record<string, unknown>[] = await Promise.all(
  readdirSync(new URL('.', import.meta.url))
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !/^index\.(ts|js)$/.test(f))
    .sort()
    .map((f) => import(new URL(f, import.meta.url).href) as Promise<Record<string, unknown>>),
);

const isLowering = (v: unknown): v is CLowering =>
  typeof v === 'object' && v !== null && typeof (v as CLowering).op === 'string' && typeof (v as CLowering).emit === 'function';

/** Every C lowering by op name. */
export const C_LOWERINGS: ReadonlyMap<string, CLowering> = (() => {
  const m = new Map<string, CLowering>();
  for (const mod of MODULES)
    for (const v of Object.values(mod))
      if (isLowering(v)) {
        if (m.has(v.op)) throw new Error(`two C lowerings declare op ${v.op}`);
        m.set(v.op, v);
      }
  return m;
})();

export const cLowering = (op: string): CLowering | undefined => C_LOWERINGS.get(op);

/** Does the portable C back end have a kernel for this op? */
export const supportsC = (op: string): boolean => C_LOWERINGS.has(op);

/** Do this op's C kernels also take int16 activations (16x8)? */
export const cTakesInt16 = (op: string): boolean => C_LOWERINGS.get(op)?.int16 === true;
