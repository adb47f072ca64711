/**
 * The hashes script validation runs for every input (HASH160, SHA256d signature hashes, BIP340 tagged
 * hashes), one-shot through crypto.hash with a latin1 digest (Node's 'binary'). A createHash object per
 * call, or a Buffer per digest, costs more than the hash itself on these short inputs, mostly in the garbage
 * collector; a latin1 string copied into a heap Uint8Array costs neither.
 */
import { hash } from 'node:crypto';
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';

/** Bytes from a digest's latin1 string: one byte per character. */
function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Where two-step hashes keep their middle digest. */
const middle = new Uint8Array(32);

function toMiddle(s: string): Uint8Array {
  for (let i = 0; i < 32; i++) middle[i] = s.charCodeAt(i);
  return middle;
}

export function sha256(data: Uint8Array): Uint8Array {
  return fromLatin1(hash('sha256', data, 'binary'));
}

export function sha1(data: Uint8Array): Uint8Array {
  return fromLatin1(hash('sha1', data, 'binary'));
}

/** OpenSSL 3 keeps RIPEMD-160 in its default provider; builds without it get the JavaScript one. */
const nativeRipemd = (() => {
  try {
    return hash('ripemd160', '', 'hex') === '9c1185a5c5e9fc54612808977ee8f548b2258d31';
  } catch {
    return false;
  }
})();

export function ripemd160(data: Uint8Array): Uint8Array {
  return nativeRipemd ? fromLatin1(hash('ripemd160', data, 'binary')) : nobleRipemd160(data);
}

export function sha256d(data: Uint8Array): Uint8Array {
  return fromLatin1(hash('sha256', toMiddle(hash('sha256', data, 'binary')), 'binary'));
}

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(toMiddle(hash('sha256', data, 'binary')));
}

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
  return fromLatin1(hash('sha256', new Uint8Array(scratch.buffer, scratch.byteOffset, n), 'binary'));
}
