/**
 * Every refusal of loadtxoutset (spec assumeutxo.md §7 activation checks, §3/§8 malformed files) through
 * ChainstateManager.loadSnapshot, with Core's exact reason, and proof that a refusal changes nothing: no
 * `chainstate_snapshot` directory, the same single chainstate at the same tip, no chain tx count given to the
 * base block, and a valid load afterwards still works on the same manager.
 *
 * The files are copies of Core's own h200 snapshot (snapshots/regtest-h200.dat) with the bytes Core's
 * feature_assumeutxo.py overwrites; hash mismatches are checked against a reference hash computed here from
 * the tampered file's coins (read without order checks, sorted by a MemoryUtxoSet), as Core's database would.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { assembleBlock, makeCoinbase, type GeneratedBlock } from '../../contrib/chaingen/blocks.js';
import { buildH200Chain, P2WSH_OP_TRUE } from '../../contrib/chaingen/spec-chains.js';
import { getChainParams } from '../../src/consensus/params.js';
import { hashToHex } from '../../src/primitives/hash.js';
import { ChainstateManager } from '../../src/chain/chainstate-manager.js';
import { SnapshotActivationError } from '../../src/chain/snapshot-activation.js';
import { forEachRecord, readRecord } from '../../src/coins/coin-record.js';
import { MemoryUtxoSet } from '../../src/coins/memory-utxo-set.js';
import { SnapshotError } from '../../src/snapshot/errors.js';
import { SnapshotReader } from '../../src/snapshot/reader.js';
import { scratchDir } from '../helpers.js';

const params = getChainParams('regtest');
const SNAPSHOT = path.resolve('snapshots/regtest-h200.dat');
const HAVE_SNAPSHOT = existsSync(SNAPSHOT);
const skip = HAVE_SNAPSHOT ? false : 'no snapshots/regtest-h200.dat';
const far = () => 2_000_000_000;
const chain = buildH200Chain(210);
const BASE_HEX = '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9';
const EXPECTED_HASH = '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a';
/** Header: magic 5, version 2, network 4, base hash 32, coin count 8. */
const BODY = 51;

const valid = HAVE_SNAPSHOT ? readFileSync(SNAPSHOT) : Buffer.alloc(0);

interface Node {
  m: ChainstateManager;
  datadir: string;
}

const open = new Set<ChainstateManager>();
// A failed test must not leave its databases open for the rest of the file.
after(async () => {
  for (const m of open) await m.close().catch(() => {});
});

async function node(headersTo = 210): Promise<Node> {
  const datadir = scratchDir('chainsnap-refusal-');
  const m = await ChainstateManager.open({ datadir, params, background: 'in-process', now: far });
  open.add(m);
  const close = m.close.bind(m);
  m.close = async () => {
    open.delete(m);
    await close();
  };
  for (const b of chain.blocks.slice(0, headersTo)) m.processHeader(b.block.header);
  return { m, datadir };
}

/** A copy of the h200 snapshot with `patch` applied. */
function tampered(dir: string, name: string, patch: (bytes: Buffer) => Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, patch(Buffer.from(valid)));
  return file;
}

function overwrite(at: number, bytes: ArrayLike<number>): (b: Buffer) => Buffer {
  return (b) => {
    b.set(bytes, at);
    return b;
  };
}

/** What the node looks like; a refusal must leave all of it as it was. */
function observe(n: Node) {
  const base = n.m.storage.index.get(BASE_HEX);
  return {
    dirs: readdirSync(n.datadir).sort(),
    chainstates: n.m.chainstates().map((c) => [c.role, c.tip.key, c.tip.height, c.snapshotBase?.key ?? null, c.validated]),
    active: n.m.active.tip.key,
    validity: n.m.validity,
    baseChainTx: base?.chainTxCount ?? null,
    bestHeader: n.m.storage.index.bestHeader.key,
  };
}

/**
 * Runs `load`, expecting `check` to accept the error, then asserts nothing changed; unless `laterLoad` is
 * false, the genuine snapshot then loads on the same manager.
 */
async function refused(n: Node, load: () => Promise<unknown>, check: (e: unknown) => boolean, laterLoad = true): Promise<void> {
  const before = observe(n);
  const hadSnapshotDir = existsSync(path.join(n.datadir, 'chainstate_snapshot'));
  await assert.rejects(load, check);
  assert.equal(existsSync(path.join(n.datadir, 'chainstate_snapshot')), hadSnapshotDir, 'no chainstate_snapshot created or removed');
  assert.deepEqual(observe(n), before, 'the refusal changed nothing');
  if (laterLoad) await laterLoadWorks(n);
}

/** The genuine snapshot loads on this manager: the refusals before left nothing in the way. */
async function laterLoadWorks(n: Node): Promise<void> {
  const r = await n.m.loadSnapshot(SNAPSHOT);
  assert.equal(r.coinsLoaded, 200);
  assert.equal(n.m.active.tip.key, BASE_HEX);
  assert.deepEqual(n.m.chainstates().map((c) => c.role), ['background', 'snapshot']);
  assert.ok(existsSync(path.join(n.datadir, 'chainstate_snapshot', 'base_blockhash')));
}

const activation = (message: string) => (e: unknown) => {
  assert.ok(e instanceof SnapshotActivationError, `expected SnapshotActivationError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

const metadata = (message: string) => (e: unknown) => {
  assert.ok(e instanceof SnapshotError, `expected SnapshotError, got ${String(e)}`);
  assert.equal(e.kind, 'metadata');
  assert.equal(e.message, message);
  return true;
};

/** hash_serialized_3 of the coins in a (possibly tampered) file, as Core's populated database would hash them. */
async function referenceHash(file: string): Promise<string> {
  const reader = SnapshotReader.open(file, { canonical: false, baseHeight: 200 });
  const utxo = new MemoryUtxoSet();
  try {
    await reader.readCoins((batch, length) => {
      forEachRecord(batch, length, (off) => {
        const r = readRecord(batch, off);
        utxo.add(r.txid, r.vout, { height: r.height, coinbase: r.coinbase, value: r.value, script: r.script });
      });
    });
  } finally {
    reader.close();
  }
  return hashToHex(utxo.stats().hashSerialized3);
}

/** Core's VARINT (spec §1) of a bigint. */
function varint(n: bigint): number[] {
  const out: number[] = [];
  for (let first = true; ; first = false) {
    out.push(Number(n & 0x7fn) | (first ? 0 : 0x80));
    if (n <= 0x7fn) break;
    n = (n >> 7n) - 1n;
  }
  return out.reverse();
}

/** Core's CompressAmount (spec §2). */
function compressAmount(v: bigint): bigint {
  if (v === 0n) return 0n;
  let e = 0n;
  while (v % 10n === 0n && e < 9n) {
    v /= 10n;
    e++;
  }
  if (e < 9n) {
    const d = v % 10n;
    return 1n + ((v / 10n) * 9n + d - 1n) * 10n + e;
  }
  return 1n + (v - 1n) * 10n + 9n;
}

test('the h200 snapshot file is laid out as the malformed-file offsets assume', { skip }, () => {
  assert.equal(hashToHex(valid.subarray(11, 43)), BASE_HEX);
  assert.equal(valid.readBigUInt64LE(43), 200n);
  // First group: txid, one coin, vout 0, code 80 31 (height 88, coinbase), amount 32 (50 BTC), raw script of 34.
  assert.deepEqual([...valid.subarray(BODY + 32, BODY + 38)], [0x01, 0x00, 0x80, 0x31, 0x32, 0x28]);
  assert.deepEqual([9, 0x32, 0x1406f40].map((n) => compressAmount(BigInt(n === 9 ? 1e8 : n === 0x32 ? 50e8 : 21e14))), [9n, 0x32n, 0x1406f40n]);
  assert.deepEqual(varint(16512n), [0x80, 0x80, 0x00]);
});

test('a second load is refused: "more than once", and the loaded snapshot is untouched', { skip }, async () => {
  const n = await node();
  await n.m.loadSnapshot(SNAPSHOT);
  await n.m.processBlock(chain.blocks[200].bytes);
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation("Can't activate a snapshot-based chainstate more than once"), false);
  assert.deepEqual(n.m.chainstates().map((c) => [c.role, c.tip.height]), [['background', 0], ['snapshot', 201]]);
  // Also with a file that would fail on its own: the first check wins.
  const other = tampered(n.datadir, 'bad-count.dat', (b) => (b.writeBigUInt64LE(199n, 43), b));
  await refused(n, () => n.m.loadSnapshot(other), activation("Can't activate a snapshot-based chainstate more than once"), false);
  await n.m.close();
});

test('base hash without an assumeutxo entry: Core\'s message lists 110, 200, 299', { skip }, async () => {
  const n = await node();
  // Core's cases: an unknown hash, and a real block (the base's parent) that has no entry.
  for (const hex of ['0'.repeat(64), hashToHex(chain.blocks[198].hash)]) {
    const file = tampered(n.datadir, `base-${hex.slice(0, 8)}.dat`, overwrite(11, Buffer.from(hex, 'hex').reverse()));
    await refused(
      n,
      () => n.m.loadSnapshot(file),
      activation(`assumeutxo block hash in snapshot metadata not recognized (hash: ${hex}). The following snapshot heights are available: 110, 200, 299`),
      false,
    );
  }
  await laterLoadWorks(n);
  await n.m.close();
});

test('base header unknown: "must appear in the headers chain"; loads once the headers arrive', { skip }, async () => {
  const n = await node(199);
  const msg = `The base block header (${BASE_HEX}) must appear in the headers chain. Make sure all headers are syncing, and call loadtxoutset again`;
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation(msg), false);
  const empty = await node(0);
  await refused(empty, () => empty.m.loadSnapshot(SNAPSHOT), activation(msg), false);
  await empty.m.close();
  for (const b of chain.blocks.slice(199)) n.m.processHeader(b.block.header);
  await laterLoadWorks(n);
  await n.m.close();
});

test('base block, or its parent, invalid: "is part of an invalid chain"', { skip }, async () => {
  for (const height of [200, 199]) {
    const n = await node();
    n.m.storage.index.markInvalid(n.m.storage.index.get(chain.blocks[height - 1].hash)!);
    await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation(`The base block header (${BASE_HEX}) is part of an invalid chain`), false);
    await n.m.close();
  }
});

test('a forked headers chain with more work refuses the load; more headers on the base\'s chain make it load', { skip }, async () => {
  const n = await node(200);
  // Core's scenario: two headers forking off at the base's parent, so the fork (201') outweighs the base (200).
  const fork = buildOn(chain.blocks[198], 200, 2);
  for (const b of fork) n.m.processHeader(b.block.header);
  assert.equal(n.m.storage.index.bestHeader.key, hashToHex(fork[1].hash));
  const msg = 'A forked headers-chain with more work than the chain with the snapshot base block header exists. Please proceed to sync without AssumeUtxo.';
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation(msg), false);
  for (const b of chain.blocks.slice(200, 202)) n.m.processHeader(b.block.header);
  await laterLoadWorks(n);
  await n.m.close();
});

test('the active chain already has the work: "Population failed: Work does not exceed active chainstate"', { skip }, async () => {
  // Core's case: a node that synced the blocks itself. Needs a node without a snapshot to connect blocks from genesis.
  const n = await node();
  for (const b of chain.blocks.slice(0, 200)) await n.m.processBlock(b.bytes);
  assert.equal(n.m.active.tip.height, 200, 'a node without a snapshot connects blocks 1..200 from genesis');
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation('Population failed: Work does not exceed active chainstate'), false);
  // And above the base.
  await n.m.processBlock(chain.blocks[200].bytes);
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation('Population failed: Work does not exceed active chainstate'), false);
  await n.m.close();
});

test('the active chain already has the work after a validated snapshot and a restart: "Work does not exceed active chainstate"', { skip }, async () => {
  let n = await node();
  await n.m.loadSnapshot(SNAPSHOT);
  for (const b of chain.blocks.slice(200, 205)) await n.m.processBlock(b.bytes);
  for (const b of chain.blocks.slice(0, 200)) await n.m.processBlock(b.bytes);
  await n.m.backgroundIdle();
  assert.equal(n.m.validity, 'validated');
  // Until the restart the (validated) snapshot chainstate is still the snapshot one: Core's first check.
  await refused(n, () => n.m.loadSnapshot(SNAPSHOT), activation("Can't activate a snapshot-based chainstate more than once"), false);
  await n.m.close();
  const m = await ChainstateManager.open({ datadir: n.datadir, params, background: 'in-process', now: far });
  open.add(m);
  n = { m, datadir: n.datadir };
  assert.deepEqual(m.chainstates().map((c) => [c.role, c.tip.height]), [['normal', 205]]);
  await refused(n, () => m.loadSnapshot(SNAPSHOT), activation('Population failed: Work does not exceed active chainstate'), false);
  open.delete(m);
  await m.close();
});

test('a snapshot on a divergent chain of less work loads: the active tip need not be an ancestor of the base', { skip }, async () => {
  // Core's test_snapshot_in_a_divergent_chain: the active tip is not an ancestor of the base but has less work.
  const n = await node(0);
  const fork = buildOn(undefined, 1, 150);
  for (const b of fork) await n.m.processBlock(b.bytes);
  assert.equal(n.m.active.tip.height, 150, 'a node without a snapshot connects blocks 1..150 from genesis');
  for (const b of chain.blocks) n.m.processHeader(b.block.header);
  const r = await n.m.loadSnapshot(SNAPSHOT);
  assert.equal(r.coinsLoaded, 200);
  const [bg, snap] = n.m.chainstates();
  assert.deepEqual([bg.role, snap.role, snap.tip.key], ['background', 'snapshot', BASE_HEX]);
  // Core's getchainstates still shows the background chainstate on its fork right after the load (blocks 150');
  // chainsnap steps it back onto the base's ancestry at once. Either way it must end on the base's chain.
  const fromFork = bg.tip.key === hashToHex(fork[149].hash);
  const onBaseChain = bg.tip.height === 0 ? bg.tip.key === params.genesisHash : bg.tip.key === hashToHex(chain.blocks[bg.tip.height - 1].hash);
  assert.ok(fromFork || onBaseChain, `background tip ${bg.tip.key} at ${bg.tip.height}`);
  for (const b of chain.blocks.slice(0, 200)) await n.m.processBlock(b.bytes);
  await n.m.backgroundIdle();
  assert.equal(n.m.validity, 'validated');
  assert.deepEqual(n.m.chainstates().map((c) => [c.role, c.tip.key]), [['normal', BASE_HEX]]);
  await n.m.close();
});

/** `count` blocks on top of `parent` (undefined: genesis) that differ from the h200 chain (other times). */
function buildOn(parent: GeneratedBlock | undefined, firstHeight: number, count: number): GeneratedBlock[] {
  const out: GeneratedBlock[] = [];
  let prev = parent?.hash ?? Buffer.from(params.genesisHash, 'hex').reverse();
  for (let h = firstHeight; h < firstHeight + count; h++) {
    const value = h < 150 ? 50e8 : 25e8;
    const b = assembleBlock({
      height: h,
      prevHash: prev,
      time: 1296688602 + h + 7777,
      version: 4,
      coinbase: makeCoinbase({ height: h, outputs: [{ value, script: P2WSH_OP_TRUE }] }),
      commitment: 'never',
    });
    out.push(b);
    prev = b.hash;
  }
  return out;
}

// ---- malformed files (spec §3 header errors, §8 Core's cases) -------------------------------------------

const MAGIC_BAD = 'Invalid UTXO set snapshot magic bytes. Please check if this is indeed a snapshot file or if you are using an outdated snapshot format.';

interface FileCase {
  name: string;
  patch: (b: Buffer) => Buffer;
  /** SnapshotError kind 'metadata' with this message, or a population failure. */
  header?: string;
  population?: string | ((file: string) => Promise<string>);
}

const hashMismatch = async (file: string) => `Bad snapshot content hash: expected ${EXPECTED_HASH}, got ${await referenceHash(file)}`;

const FILE_CASES: FileCase[] = [
  { name: 'bad magic', patch: overwrite(0, [0x00, 0x00, 0x00, 0x00, 0x00]), header: MAGIC_BAD },
  { name: 'magic one byte off', patch: overwrite(4, [0xfe]), header: MAGIC_BAD },
  ...[0, 1, 3].map((v) => ({ name: `version ${v}`, patch: overwrite(5, [v, 0]), header: `Version of snapshot ${v} does not match any of the supported versions.` })),
  { name: 'version 258 (02 01)', patch: overwrite(5, [2, 1]), header: 'Version of snapshot 258 does not match any of the supported versions.' },
  ...(
    [
      ['f9beb4d9', 'main'],
      ['1c163f28', 'testnet4'],
      ['0a03cf40', 'signet'],
      ['0b110907', 'test'],
    ] as const
  ).map(([magic, name]) => ({
    name: `network magic of ${name}`,
    patch: overwrite(7, Buffer.from(magic, 'hex')),
    header: `The network of the snapshot (${name}) does not match the network of this node (regtest).`,
  })),
  ...['00000000', 'ffffffff'].map((magic) => ({
    name: `unknown network magic ${magic}`,
    patch: overwrite(7, Buffer.from(magic, 'hex')),
    header: 'This snapshot has been created for an unrecognized network. This could be a custom signet, a new testnet or possibly caused by data corruption.',
  })),
  { name: 'truncated header', patch: (b) => b.subarray(0, 40), header: 'AutoFile::read: end of file' },
  { name: 'coin count - 1', patch: (b) => (b.writeBigUInt64LE(199n, 43), b), population: 'Bad snapshot - coins left over after deserializing 199 coins' },
  { name: 'coin count + 1', patch: (b) => (b.writeBigUInt64LE(201n, 43), b), population: 'Bad snapshot format or truncated snapshot after deserializing 200 coins' },
  { name: 'first txid overwritten with ff…ff', patch: overwrite(BODY, Buffer.alloc(32, 0xff)), population: hashMismatch },
  {
    // Core's case (its own file ends in a truncation). Here Core reads the next group's txid bytes as a
    // second coin (vout 1, height 61, a script length over 10,000 that is skipped), goes on misaligned and
    // meets a coin above the base after 2 coins: worked out by hand from Core's Coin/ScriptCompression
    // unserialization and PopulateAndValidateSnapshot's checks.
    name: 'group count 02',
    patch: overwrite(BODY + 32, [0x02]),
    population: 'Bad snapshot data after deserializing 2 coins',
  },
  { name: 'group count fd ff ff', patch: overwrite(BODY + 32, [0xfd, 0xff, 0xff]), population: 'Mismatch in coins count in snapshot metadata and actual snapshot data' },
  { name: 'vout overwritten (0 → 1)', patch: overwrite(BODY + 33, [0x01]), population: hashMismatch },
  { name: 'coin code overwritten (still below the base)', patch: overwrite(BODY + 34, [0x81]), population: hashMismatch },
  { name: 'coin code with height 364 (above the base)', patch: overwrite(BODY + 34, [0x84, 0x58]), population: 'Bad snapshot data after deserializing 0 coins' },
  {
    name: 'value above MAX_MONEY',
    patch: overwrite(BODY + 36, [...varint(compressAmount(21_000_000n * 100_000_000n + 1n)), ...varint(0n)]),
    population: 'Bad snapshot data after deserializing 0 coins - bad tx out value',
  },
  { name: 'vout 0xffffffff', patch: (b) => Buffer.concat([b.subarray(0, BODY + 33), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff]), b.subarray(BODY + 34)]), population: 'Bad snapshot format or truncated snapshot after deserializing 0 coins' },
  { name: 'trailing byte', patch: (b) => Buffer.concat([b, Buffer.from([0x00])]), population: 'Bad snapshot - coins left over after deserializing 200 coins' },
  { name: 'truncated body', patch: (b) => b.subarray(0, b.length - 1), population: 'Bad snapshot format or truncated snapshot after deserializing 199 coins' },
  {
    name: 'content hash mismatch (a well-formed file with one value changed)',
    // The last coin's compressed amount (before its 34-byte script): 0x32 (50 BTC) → 0x31 (5 BTC).
    patch: (b) => {
      const at = b.length - 36;
      assert.deepEqual([b[at], b[at + 1]], [0x32, 0x28], 'last coin: 50 BTC, raw 34-byte script');
      b[at] = 0x31;
      return b;
    },
    population: hashMismatch,
  },
];

for (const c of FILE_CASES) {
  test(`malformed file: ${c.name}`, { skip }, async () => {
    const n = await node();
    const file = tampered(n.datadir, 'bad.dat', c.patch);
    if (c.header !== undefined) {
      await refused(n, () => n.m.loadSnapshot(file), metadata(c.header));
    } else {
      const reason = typeof c.population === 'function' ? await c.population(file) : c.population!;
      await refused(n, () => n.m.loadSnapshot(file), activation(`Population failed: ${reason}`));
    }
    await n.m.close();
  });
}

test('a copy of the valid file loads (the harness itself is sound)', { skip }, async () => {
  const n = await node();
  const file = path.join(n.datadir, 'copy.dat');
  copyFileSync(SNAPSHOT, file);
  assert.equal(await referenceHash(file), EXPECTED_HASH);
  const r = await n.m.loadSnapshot(file);
  assert.equal(r.base.key, BASE_HEX);
  await n.m.close();
});
