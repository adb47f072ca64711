import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fromHex, toHex } from '../../src/primitives/bytes.js';
import { blockHash } from '../../src/primitives/block.js';
import { hashToHex } from '../../src/primitives/hash.js';
import {
  assumeutxoForHash,
  assumeutxoForHeight,
  availableAssumeutxoHeights,
  blockSubsidy,
  coreChainName,
  DEFAULT_SIGNET_CHALLENGE,
  getChainParams,
  NetworkName,
  networkForMessageStart,
  parseAssumeutxoSpec,
  parseNetworkName,
  signetMessageStart,
  withTrustedAssumeutxo,
} from '../../src/consensus/params.js';
import { coreChain, coreTrustedEntries, VECTORS } from '../helpers.js';


const NETWORKS: Array<[NetworkName, string, string, number, number, string]> = [
  // name, core name, message start, p2p port, rpc port, genesis hash
  ['main', 'main', 'f9beb4d9', 8333, 8332, '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f'],
  ['testnet3', 'test', '0b110907', 18333, 18332, '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943'],
  ['testnet4', 'testnet4', '1c163f28', 48333, 48332, '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043'],
  ['signet', 'signet', '0a03cf40', 38333, 38332, '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6'],
  ['regtest', 'regtest', 'fabfb5da', 18444, 18443, '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206'],
];

test('network identity: names, message starts, ports, genesis built from its parts', () => {
  for (const [name, core, magic, port, rpc, genesis] of NETWORKS) {
    const p = getChainParams(name);
    assert.equal(p.name, name);
    assert.equal(p.coreName, core);
    assert.equal(coreChainName(name), core);
    assert.equal(toHex(p.messageStart), magic);
    assert.equal(p.defaultPort, port);
    assert.equal(p.rpcPort, rpc);
    assert.equal(p.genesisHash, genesis);
    assert.equal(hashToHex(blockHash(p.genesis.header)), genesis);
    assert.equal(networkForMessageStart(fromHex(magic)), name);
    assert.equal(parseNetworkName(core), name);
    assert.deepEqual(p.checkpoints, []);
  }
  assert.equal(networkForMessageStart(fromHex('deadbeef')), undefined);
  assert.equal(parseNetworkName('testnet'), 'testnet3');
  assert.throws(() => parseNetworkName('litecoin'), /unknown network/);
});

test('consensus constants per network', () => {
  const m = getChainParams('main');
  assert.deepEqual(
    [m.bip34Height, m.bip65Height, m.bip66Height, m.csvHeight, m.segwitHeight],
    [227931, 388381, 363725, 419328, 481824],
  );
  assert.equal(m.bip34Hash, '000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8');
  const t3 = getChainParams('testnet3');
  assert.deepEqual([t3.bip34Height, t3.segwitHeight, t3.powAllowMinDifficultyBlocks, t3.enforceBIP94], [21111, 834624, true, false]);
  const t4 = getChainParams('testnet4');
  assert.deepEqual([t4.bip34Height, t4.segwitHeight, t4.powAllowMinDifficultyBlocks, t4.enforceBIP94], [1, 1, true, true]);
  assert.equal(hashToHex(t4.genesis.header.merkleRoot), '7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e');
  const rt = getChainParams('regtest');
  assert.deepEqual([rt.subsidyHalvingInterval, rt.powNoRetargeting, rt.segwitHeight, rt.powTargetTimespan], [150, true, 0, 86400]);
  assert.equal(getChainParams('signet').powLimit, BigInt('0x00000377ae' + '0'.repeat(54)));
});

test('block subsidy', () => {
  const main = getChainParams('main');
  const regtest = getChainParams('regtest');
  assert.equal(blockSubsidy(0, main), 5_000_000_000);
  assert.equal(blockSubsidy(209999, main), 5_000_000_000);
  assert.equal(blockSubsidy(210000, main), 2_500_000_000);
  assert.equal(blockSubsidy(840000, main), 312_500_000);
  assert.equal(blockSubsidy(210000 * 33 - 1, main), 1); // the last satoshi-paying era
  assert.equal(blockSubsidy(210000 * 33, main), 0);
  assert.equal(blockSubsidy(210000 * 64, main), 0);
  assert.equal(blockSubsidy(149, regtest), 5_000_000_000);
  assert.equal(blockSubsidy(150, regtest), 2_500_000_000);
  assert.equal(blockSubsidy(300, regtest), 1_250_000_000);
  // Total issuance just under 21 million BTC.
  let total = 0;
  for (let era = 0; era < 64; era++) total += blockSubsidy(era * 210000, main) * 210000;
  assert.equal(total, 2_099_999_997_690_000);
});

test('assumeutxo tables (spec §5) and lookups by hash and height', () => {
  const expectHeights: Record<NetworkName, number[]> = {
    main: [840000, 880000, 910000, 935000],
    testnet3: [2500000, 4840000],
    testnet4: [90000, 120000],
    signet: [160000, 290000],
    regtest: [110, 200, 299],
  };
  for (const [name, heights] of Object.entries(expectHeights) as Array<[NetworkName, number[]]>) {
    assert.deepEqual(availableAssumeutxoHeights(getChainParams(name)), heights, name);
  }
  const main = getChainParams('main');
  const e = assumeutxoForHash(main, '0000000000000000000320283A032748CEF8227873FF4872689BF23F1CDA83A5');
  assert.deepEqual(e, {
    height: 840000,
    blockHash: '0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5',
    hashSerialized: 'a2a5521b1b5ab65f67818e5e8eccabb7171a517f9e2382208f77687310768f96',
    chainTxCount: 991032194,
  });
  assert.equal(assumeutxoForHeight(main, 935000)?.chainTxCount, 1305397408);
  assert.equal(assumeutxoForHeight(main, 935001), undefined);
  const rt = getChainParams('regtest');
  assert.equal(assumeutxoForHeight(rt, 200)?.hashSerialized, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
  assert.equal(assumeutxoForHash(rt, '7cc695046fec709f8c9394b6f928f81e81fd3ac20977bb68760fa1faa7916ea2')?.chainTxCount, 334);
  assert.equal(assumeutxoForHash(rt, '00'.repeat(32)), undefined);
  assert.equal(assumeutxoForHeight(getChainParams('testnet4'), 120000)?.blockHash, '000000000bd2317e51b3c5794981c35ba894ce27d3e772d5c39ecd9cbce01dc8');
});

const GOOD_SPEC = `7:${'ab'.repeat(32)}:${'CD'.repeat(32)}:9`;

test('parseAssumeutxoSpec: a valid entry, and clear errors', () => {
  assert.deepEqual(parseAssumeutxoSpec(GOOD_SPEC), {
    height: 7,
    blockHash: 'ab'.repeat(32),
    hashSerialized: 'cd'.repeat(32),
    chainTxCount: 9,
  });
  const bad: Array<[string, RegExp]> = [
    ['7:aa', /4 fields/],
    [`x:${'ab'.repeat(32)}:${'cd'.repeat(32)}:9`, /height "x"/],
    [`-1:${'ab'.repeat(32)}:${'cd'.repeat(32)}:9`, /height "-1"/],
    [`7:${'ab'.repeat(31)}:${'cd'.repeat(32)}:9`, /block hash .* 64 hex digits/],
    [`7:${'ab'.repeat(32)}:${'zz'.repeat(32)}:9`, /hash_serialized_3 .* 64 hex digits/],
    [`7:${'ab'.repeat(32)}:${'cd'.repeat(32)}:1.5`, /chain tx count "1.5"/],
    [`7:${'ab'.repeat(32)}:${'cd'.repeat(32)}:7`, /below height \+ 1/],
  ];
  for (const [spec, re] of bad) assert.throws(() => parseAssumeutxoSpec(spec), re, spec);
});

test('trusted assumeutxo entries: allowed on regtest and custom signets, refused elsewhere', () => {
  for (const name of ['main', 'testnet3', 'testnet4', 'signet'] as NetworkName[]) {
    assert.throws(() => withTrustedAssumeutxo(getChainParams(name), [GOOD_SPEC]), /refusing user-trusted assumeutxo/, name);
    assert.throws(() => getChainParams(name, { assumeutxo: [GOOD_SPEC] }), /refusing/, name);
  }
  // The default challenge given explicitly is still the default signet.
  assert.throws(() => getChainParams('signet', { signetChallenge: DEFAULT_SIGNET_CHALLENGE, assumeutxo: [GOOD_SPEC] }), /refusing/);

  const rt = getChainParams('regtest', { assumeutxo: [GOOD_SPEC] });
  assert.deepEqual(availableAssumeutxoHeights(rt), [110, 200, 299, 7]);
  assert.equal(assumeutxoForHash(rt, 'AB'.repeat(32))?.height, 7);
  // The shared default params are not modified.
  assert.deepEqual(availableAssumeutxoHeights(getChainParams('regtest')), [110, 200, 299]);
  // Repeating a built-in entry is harmless; contradicting one is not.
  const same = `200:385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9:17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a:201`;
  assert.equal(withTrustedAssumeutxo(getChainParams('regtest'), [same]).assumeutxo.length, 3);
  // Another block at a height the table uses (another user's regtest chain): both entries apply, each to
  // its own block (issue 7).
  const other = withTrustedAssumeutxo(getChainParams('regtest'), [`200:${'ab'.repeat(32)}:${'cd'.repeat(32)}:201`]);
  assert.equal(other.assumeutxo.length, 4);
  assert.equal(assumeutxoForHash(other, 'ab'.repeat(32))?.hashSerialized, 'cd'.repeat(32));
  assert.equal(assumeutxoForHash(other, '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9')?.hashSerialized, '17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a');
  assert.deepEqual(availableAssumeutxoHeights(other), [110, 200, 299]);
  // The same block with other data contradicts the entry: a snapshot can match only one of them.
  const base200 = '385901ccbd69dff6bbd00065d01fb8a9e464dede7cfe0372443884f9b1dcf6b9';
  for (const bad of [`200:${base200}:${'cd'.repeat(32)}:201`, `200:${base200}:17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a:202`, `201:${base200}:17dcc016d188d16068907cdeb38b75691a118d43053b8cd6a25969419381d13a:202`]) {
    assert.throws(() => withTrustedAssumeutxo(getChainParams('regtest'), [bad]), /conflicts/, bad);
  }
  assert.throws(() => getChainParams('regtest', { assumeutxo: [GOOD_SPEC, `7:${'ab'.repeat(32)}:${'ef'.repeat(32)}:9`] }), /conflicts/);

  const custom = getChainParams('signet', { signetChallenge: '51', assumeutxo: [GOOD_SPEC] });
  assert.equal(custom.isCustomSignet, true);
  assert.equal(assumeutxoForHeight(custom, 7)?.chainTxCount, 9);
});

test('custom signet: message start from SHA256d(CompactSize(len) ‖ challenge), same genesis', () => {
  assert.equal(toHex(signetMessageStart(fromHex(DEFAULT_SIGNET_CHALLENGE))), '0a03cf40');
  const custom = getChainParams('signet', { signetChallenge: '51' });
  // sha256d(01 51) starts with 54d26fbd (computed independently).
  assert.equal(toHex(custom.messageStart), '54d26fbd');
  assert.equal(toHex(custom.messageStart), toHex(signetMessageStart(Uint8Array.of(0x51))));
  assert.equal(custom.genesisHash, getChainParams('signet').genesisHash);
  assert.equal(custom.minimumChainWork, 0n);
  assert.equal(networkForMessageStart(custom.messageStart), undefined);
  assert.equal(networkForMessageStart(custom.messageStart, custom), 'signet');
  assert.throws(() => getChainParams('regtest', { signetChallenge: '51' }), /signet only/);
  assert.throws(() => getChainParams('signet', { signetChallenge: 'xyz' }), /hex/);
});

test('regtest-A: Core dumptxoutset results become trusted regtest entries', (t) => {
  const file = path.join(VECTORS, 'core-regtest-A/chain.json');
  if (!existsSync(file)) return t.skip(`${file} not found`);
  const chain = coreChain();
  assert.equal(chain.main_chain[0].hash, getChainParams('regtest').genesisHash);
  const params = getChainParams('regtest', { assumeutxo: coreTrustedEntries() });
  for (const s of chain.snapshots) {
    const e = assumeutxoForHash(params, s.base_hash);
    assert.deepEqual(e, { height: s.base_height, blockHash: s.base_hash, hashSerialized: s.txoutset_hash, chainTxCount: s.nchaintx });
    assert.equal(chain.main_chain[s.base_height]?.hash ?? s.base_hash, s.base_hash);
  }
});
