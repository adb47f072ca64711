/** Shared test plumbing: where the real-data vectors live, and scratch directories. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** ../shared/vectors beside the checkout (CI puts it there); tests skip when it is absent. */
export const VECTORS = path.resolve(process.cwd(), '../shared/vectors');
export const HAVE_VECTORS = existsSync(VECTORS);
export const NO_VECTORS = HAVE_VECTORS ? false : `real-data vectors not found at ${VECTORS}`;

export function vector(...parts: string[]): string {
  return path.join(VECTORS, ...parts);
}

/** A fresh directory removed when the test file ends. */
export function scratchDir(prefix = 'chainsnap-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
