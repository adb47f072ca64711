/**
 * Descriptors against Core's own answers: checksums as the functional tests' descriptors.py computes them
 * and as Core's tests print them; the expansions and parse errors of Core's descriptor_tests.cpp (mainnet
 * keys, copied to fixtures/core-descriptor-tests.json); and the regtest descriptors rpc_generate.py uses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getChainParams } from '../../src/consensus/params.js';
import { toHex } from '../../src/primitives/bytes.js';
import { encodeAddress } from '../../src/script/address.js';
import {
  addChecksum,
  checkChecksum,
  descriptorChecksum,
  DescriptorError,
  expandDescriptor,
  isRangeDescriptor,
  parseDescriptor,
} from '../../src/script/descriptor.js';

interface CoreVectors {
  checks: { desc: string; pub: string; range: boolean; scripts: string[][] }[];
  unparsable: { prv: string; pub: string; error: string }[];
}
const core = JSON.parse(readFileSync(path.resolve('test/script/fixtures/core-descriptor-tests.json'), 'utf8')) as CoreVectors;
const main = getChainParams('main');
const regtest = getChainParams('regtest');

/** [payload, checksum] from descriptors.py's descsum_create (the functional test framework). */
const PYTHON_DESCSUM: [string, string][] = [
  ['addr(mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z)', 'jdtmxdcm'],
  ['raw(51)', '8lvh9jxk'],
  ['pk(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)', 'gn28ywm7'],
  ['combo(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)', 'lq9sf04s'],
  ['wpkh(cVpF924EspNh8KjYsfhgY96mmxvT6DgdWiTYMtMjuM74hJaU5psW)', 'm2kxwq5d'],
  ['sh(wpkh(cVpF924EspNh8KjYsfhgY96mmxvT6DgdWiTYMtMjuM74hJaU5psW))', 'qw97cscn'],
  ['tr(79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)', 'gxjkeue2'],
  ['', '7h0w2xvg'],
  ['a', 'ywg0ausw'],
  ['ab', 'y064n3a6'],
  ['abc', 'a9q0wgyq'],
  ['abcd', 'hu5crsw6'],
  ['`#"\\ ~', '45g6lqxg'],
  ["pkh([d34db33f/44'/0'/0']xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/1/*)", 'ml40v0wf'],
  // Printed by Core in its functional tests.
  ['addr(bcrt1q73qyfypp47hvgnkjqnav0j3k2lq3v76wg22dk8tmwuz5sfgv66xsvxg6uu)', '9p3q328s'],
  ['wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1/1/0)', 's9ga3alw'],
];

test('descriptor checksums match descriptors.py and Core', () => {
  for (const [payload, checksum] of PYTHON_DESCSUM) {
    assert.equal(descriptorChecksum(payload), checksum, payload);
    assert.equal(addChecksum(payload), `${payload}#${checksum}`);
    if (!payload.includes('#')) assert.equal(checkChecksum(`${payload}#${checksum}`, true), payload);
  }
  assert.equal(descriptorChecksum('raw(é)'), '');
});

test("checksum errors are Core's", () => {
  const err = (desc: string, require: boolean, message: string) =>
    assert.throws(() => checkChecksum(desc, require), (e: Error) => e instanceof DescriptorError && e.message === message, desc);
  err('raw(51)', true, 'Missing checksum');
  assert.equal(checkChecksum('raw(51)', false), 'raw(51)');
  err('raw(51)#8lvh9jx', false, 'Expected 8 character checksum, not 7 characters');
  err('raw(51)#', false, 'Expected 8 character checksum, not 0 characters');
  err('raw(51)#8lvh9jxq', false, "Provided checksum '8lvh9jxq' does not match computed checksum '8lvh9jxk'");
  err('raw(51)#8lvh9jxk#8lvh9jxk', false, "Multiple '#' symbols");
  err('raw(é)', false, 'Invalid characters in payload');
});

test("Core's descriptor_tests.cpp expansions (mainnet keys)", () => {
  assert.ok(core.checks.length >= 30);
  for (const c of core.checks) {
    for (const desc of [c.desc, c.pub]) {
      const parsed = parseDescriptor(desc, main);
      assert.equal(parsed.length, 1, desc);
      assert.equal(isRangeDescriptor(parsed[0]), c.range, desc);
      // Hardened steps after an xpub need the private key (Core's test expands those from a cache).
      if (desc === c.pub && /xpub[^,)]*\/[0-9*]+['h]/.test(desc)) {
        assert.equal(expandDescriptor(parsed[0], 0), undefined, desc);
        continue;
      }
      c.scripts.forEach((expected, pos) => {
        assert.deepEqual(expandDescriptor(parsed[0], pos)?.map(toHex), expected, `${desc} at ${pos}`);
      });
    }
  }
});

test("Core's descriptor_tests.cpp parse errors", () => {
  assert.ok(core.unparsable.length >= 50);
  for (const u of core.unparsable) {
    if (u.prv) assert.throws(() => parseDescriptor(u.prv, main), DescriptorError, u.prv);
    assert.throws(() => parseDescriptor(u.pub, main), (e: Error) => e instanceof DescriptorError && e.message === u.error, `${u.pub}: ${u.error}`);
  }
});

test("rpc_generate.py's descriptors on regtest", () => {
  const one = (desc: string) => {
    const d = parseDescriptor(desc, regtest);
    assert.equal(d.length, 1);
    return expandDescriptor(d[0], 0)!;
  };
  // combo() of a compressed key gives P2PK, P2PKH, P2WPKH, P2SH-P2WPKH; Core mines to the third.
  const compressed = one('combo(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)');
  assert.equal(compressed.length, 4);
  assert.equal(encodeAddress(compressed[2], regtest), 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080');
  // Uncompressed: P2PK and P2PKH; Core mines to the second.
  const uncompressed = one('combo(0408ef68c46d20596cc3f6ddf7c8794f71913add807f1dc55949fa805d764d191c0b7ce6894c126fce0babc6663042f3dde9b0cf76467ea315514e5a6731149c67)');
  assert.equal(uncompressed.length, 2);
  assert.equal(encodeAddress(uncompressed[1], regtest), 'mkc9STceoCcjoXEXe6cm66iJbmjM6zR9B2');
  assert.equal(encodeAddress(one('addr(mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z)#jdtmxdcm')[0], regtest), 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z');
  // PRIV_KEYS[0] as WIF gives the same P2PKH as its address.
  assert.equal(encodeAddress(one('pkh(cVpF924EspNh8KjYsfhgY96mmxvT6DgdWiTYMtMjuM74hJaU5psW)')[0], regtest), 'mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z');

  const ranged = parseDescriptor('pkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)', regtest);
  assert.equal(isRangeDescriptor(ranged[0]), true);
  const hardened = parseDescriptor("pkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0'/0)", regtest);
  assert.equal(isRangeDescriptor(hardened[0]), false);
  assert.equal(expandDescriptor(hardened[0], 0), undefined, 'hardened derivation needs the private key');
  assert.equal(parseDescriptor('pkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/<0;1>)', regtest).length, 2);
  assert.throws(() => parseDescriptor('1234', regtest), { message: "'1234' is not a valid descriptor function" });
  assert.throws(() => parseDescriptor('addr(mjTkW3DjgyZck4KbiRusZsqTgaYTxdSz6z)', main), { message: 'Address is not valid' });
  // Mainnet keys are not keys on regtest.
  assert.throws(() => parseDescriptor('pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)', regtest), {
    message: "pk(): key 'L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1' is not valid",
  });
});
