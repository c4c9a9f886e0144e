// PLACEHOLDER: the Keras importer is being written. Replace whole.
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
export async function importKeras(_bytes: Uint8Array, file: string, _opts: ImportOptions): Promise<Graph> {
  return fail('EF2007', 'Keras import is not implemented yet', { file });
}
