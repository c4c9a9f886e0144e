// PLACEHOLDER: the TF.js importer is being written. Replace whole.
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import type { ImportOptions } from '../index.js';
export async function importTfjs(_bytes: Uint8Array, file: string, _dir: string, _opts: ImportOptions): Promise<Graph> {
  return fail('EF2007', 'TF.js import is not implemented yet', { file });
}
