/**
 * Block locators (Core's GetLocator / LocatorEntries, chain.cpp): the hashes a peer needs to find where our
 * chain and its own part, ten steps back one by one and then exponentially, always ending at genesis.
 */
import { getAncestor, type BlockIndexEntry } from './block-index.js';

/** Hashes (internal byte order) from `entry` back to genesis, dense first and then doubling steps. */
export function blockLocator(entry: BlockIndexEntry): Uint8Array[] {
  const have: Uint8Array[] = [];
  let step = 1;
  for (let e: BlockIndexEntry | undefined = entry; e; ) {
    have.push(e.hash);
    if (e.height === 0) break;
    e = getAncestor(e, Math.max(e.height - step, 0));
    if (have.length > 10) step *= 2;
  }
  return have;
}
