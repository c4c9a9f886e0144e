// Which ops have an integer kernel: a query over the registry (each op's `int`, attached in src/ops/index.ts).
// An op without one has no integer execution (EF3002 at prepare time).

import { getOp, hasOp } from '../../ops/index.js';
import type { IntKernel } from '../../ops/types.js';

export function intKernel(op: string): IntKernel | undefined {
  return hasOp(op) ? getOp(op).int : undefined;
}
