// The portable C back end's lowerings, keyed by the op each one declares (CLowering.op). No op names are
// written here: a module's exported lowerings are collected as they are, so adding an op's C support is adding
// its lowering to a module (and the module to the list below when it is a new family).

import type { CLowering } from '../lowering.js';
import * as activations from './activations.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as fullyConnected from './fully-connected.js';
import * as layout from './layout.js';
import * as pool from './pool.js';
import * as quantize from './quantize.js';
import * as reduce from './reduce.js';
import * as softmax from './softmax.js';

const MODULES: Record<string, unknown>[] = [conv, fullyConnected, pool, elementwise, reduce, softmax, activations, quantize, layout];

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
