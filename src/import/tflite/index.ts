// PLACEHOLDER: the TFLite importer is being written. Replace whole.
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
export function importTflite(_bytes: Uint8Array, file: string, _opts: ImportOptions): Graph {
  return fail('EF2007', 'TFLite import is not implemented yet', { file });
}
