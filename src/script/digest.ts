/**
 * The hashes script validation runs for every input: HASH160 and SHA256d signature hashes (one-shot, from
 * primitives/hash.ts) and BIP340 tagged hashes with their prefixes computed once per tag.
 */
import { sha256 } from '../primitives/hash.js';

// The plain digests live in primitives/hash.ts, one-shot there too; script code imports them from here.
export { hash160, hash160Equals, latin1Bytes, ripemd160, sha1, sha256, sha256d, sha256Latin1, sha256OfLatin1 } from '../primitives/hash.js';

/** SHA256(tag) twice, per tag: the BIP340 prefix, hashed once per process. */
const tagPrefixes = new Map<string, Uint8Array>();

/** A growable buffer for tagged-hash inputs, reused across calls (JavaScript never re-enters these). */
let scratch = Buffer.allocUnsafe(1024);

/** SHA256(tag) ‖ SHA256(tag): what a BIP340 tagged hash hashes before its data. */
export function tagPrefix(tag: string): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (!prefix) {
    const t = sha256(new TextEncoder().encode(tag));
    prefix = new Uint8Array(64);
    prefix.set(t, 0);
    prefix.set(t, 32);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/** BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ data...). */
export function taggedHash(tag: string, ...data: Uint8Array[]): Uint8Array {
  let n = 64;
  for (const d of data) n += d.length;
  if (n > scratch.length) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.set(tagPrefix(tag), 0);
  let at = 64;
  for (const d of data) {
    scratch.set(d, at);
    at += d.length;
  }
  return sha256(new Uint8Array(scratch.buffer, scratch.byteOffset, n));
}
