// Access to ../shared (peer conformance suites, real models, TFLM reference vectors). Tests that need it call
// `sharedPath(...)`; where ../shared is absent (a user's own clone) they skip with a message, and under CI
// (CI=true) its absence is a failure, never a skip.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_ROOT = resolve(REPO_ROOT, '..', 'shared');

export function hasShared(): boolean {
  return existsSync(join(SHARED_ROOT, 'models'));
}

/**
 * Path inside ../shared. When ../shared is missing: under CI throws (the test fails); otherwise marks the test
 * skipped and returns undefined, so the caller returns early.
 */
export function sharedPath(t: TestContext, ...parts: string[]): string | undefined {
  if (!hasShared()) {
    if (process.env.CI === 'true') throw new Error(`../shared is missing (looked in ${SHARED_ROOT}); CI requires it`);
    t.skip(`../shared not present at ${SHARED_ROOT}; skipping test that needs shared material`);
    return undefined;
  }
  return join(SHARED_ROOT, ...parts);
}

/** Same, for describe-level use without a context: returns undefined (caller skips) or throws under CI. */
export function sharedRootOrSkip(): string | undefined {
  if (hasShared()) return SHARED_ROOT;
  if (process.env.CI === 'true') throw new Error(`../shared is missing (looked in ${SHARED_ROOT}); CI requires it`);
  return undefined;
}
