// The ESP-NN back end's lowerings, keyed by the op each one declares (EspNnLowering.op); like the portable table
// (src/codegen/c/ops/index.ts) it holds no op names of its own.

import type { EspNnLowering } from '../lowering.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as fullyConnected from './fully-connected.js';
import * as pool from './pool.js';
import * as relu6 from './relu6.js';
import * as softmax from './softmax.js';

const MODULES: Record<string, unknown>[] = [conv, fullyConnected, pool, elementwise, softmax, relu6];

const isLowering = (v: unknown): v is EspNnLowering =>
  typeof v === 'object' && v !== null && typeof (v as EspNnLowering).op === 'string' && typeof (v as EspNnLowering).decide === 'function';

/** Every ESP-NN lowering by op name. */
export const ESPNN_LOWERINGS: ReadonlyMap<string, EspNnLowering> = (() => {
  const m = new Map<string, EspNnLowering>();
  for (const mod of MODULES)
    for (const v of Object.values(mod))
      if (isLowering(v)) {
        if (m.has(v.op)) throw new Error(`two ESP-NN lowerings declare op ${v.op}`);
        m.set(v.op, v);
      }
  return m;
})();

export const espnnLowering = (op: string): EspNnLowering | undefined => ESPNN_LOWERINGS.get(op);
