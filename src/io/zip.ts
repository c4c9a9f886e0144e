// Reading zip archives (.keras, .npz) under budgets, checked on the sizes the central directory declares before
// anything is inflated (fflate inflates an entry into a buffer of its declared size and never past it, so the
// declared sizes bound the memory). A zip bomb declares a huge total for a small file: the total inflated size
// of the entries read may be at most 128 MB plus 20 times the archive's size, and each entry at most 512 MB.
// Entry names that are absolute or climb out with '..' are refused.

import { unzipSync } from 'fflate';
import { EspforgeError, fail, type DiagCode } from '../diagnostics.js';

export interface ZipLimits {
  /** Which entries to read (others are skipped without inflating). */
  accept: (name: string) => boolean;
  /** Code for a malformed archive (EF2001 for models, EF0004 for arrays). */
  code: DiagCode;
  what: string;
}

export const MAX_ENTRY_BYTES = 512 * 1024 * 1024;
export const zipBudget = (archiveBytes: number) => 128 * 1024 * 1024 + 20 * archiveBytes;

export function readZip(bytes: Uint8Array, file: string, lim: ZipLimits): Record<string, Uint8Array> {
  const budget = zipBudget(bytes.length);
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        if (f.name.startsWith('/') || f.name.split(/[\\/]/).includes('..') || /^[a-zA-Z]:/.test(f.name))
          fail('EF2011', `archive entry '${f.name}' has an absolute or parent-relative path`, { file, suggestion: 'this file may be hostile; do not extract it' });
        if (!lim.accept(f.name)) return false;
        if (!(f.originalSize >= 0) || f.originalSize > MAX_ENTRY_BYTES)
          fail('EF2011', `archive entry '${f.name}' declares ${f.originalSize} bytes, over the ${MAX_ENTRY_BYTES}-byte limit per entry`, { file });
        total += f.originalSize;
        if (total > budget)
          fail('EF2011', `archive entries inflate to more than ${budget} bytes from a ${bytes.length}-byte file (a zip bomb, or an archive far larger than any model espforge can use)`, {
            file,
            suggestion: 'this file may be hostile; check where it came from',
          });
        return true;
      },
    });
  } catch (e) {
    if (e instanceof EspforgeError) throw e;
    return fail(lim.code, `not a valid ${lim.what} (zip) archive: ${(e as Error).message}`, { file });
  }
}
