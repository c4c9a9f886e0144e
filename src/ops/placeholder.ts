// Temporary stand-in while op files are being written; removed once every op is real.
import { fail } from '../diagnostics.js';
import type { OpDef } from './types.js';

export function placeholder(name: string): OpDef {
  const no = (): never => fail('EF2002', `operator ${name} is not implemented yet`);
  return { name, doc: 'not implemented yet', inputs: [], outputs: ['Y'], attrs: {}, infer: no, evalFloat: no, macs: () => 0 };
}
