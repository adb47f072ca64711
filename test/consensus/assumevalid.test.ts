/**
 * Core's assumevalid rule on a synthetic header tree: each of ConnectBlock's script_check_reason texts in
 * Core's order, the skip when every condition holds, GetBlockProofEquivalentTime, and the height form the
 * background worker applies.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assumedValidHeight, blockProofEquivalentTime, scriptCheckReason, TWO_WEEKS_IN_SECONDS, type AssumeValidView, type HeaderNode } from '../../src/consensus/assumevalid.js';
import { blockProof } from '../../src/consensus/pow.js';

interface Node extends HeaderNode {
  prev: Node | undefined;
}

const BITS = 0x207fffff;
const PROOF = blockProof(BITS);

function chain(length: number, from?: Node): Node[] {
  const out: Node[] = [];
  let prev = from;
  for (let i = 0; i < length; i++) {
    const n: Node = { height: prev ? prev.height + 1 : 0, chainWork: (prev?.chainWork ?? 0n) + PROOF, header: { bits: BITS }, prev };
    out.push(n);
    prev = n;
  }
  return out;
}

const ancestor = (n: Node, h: number): Node | undefined => {
  let x: Node | undefined = n;
  while (x && x.height > h) x = x.prev;
  return x && x.height === h ? x : undefined;
};

// Two weeks of ten-minute blocks is 2016 blocks.
const main = chain(3000);
const fork = chain(10, main[1500]);

function view(over: Partial<AssumeValidView<Node>> = {}): AssumeValidView<Node> {
  return { assumeValidHash: 'av', assumeValidBlock: main[2000], bestHeader: main[2999], minimumChainWork: 0n, powTargetSpacing: 600, ancestor, ...over };
}

test("script_check_reason: Core's texts in Core's order", () => {
  assert.equal(scriptCheckReason(main[10], view({ assumeValidHash: undefined })), 'assumevalid=0 (always verify)');
  assert.equal(scriptCheckReason(main[10], view({ assumeValidBlock: undefined })), 'assumevalid hash not in headers');
  assert.equal(scriptCheckReason(main[2001], view()), 'block height above assumevalid height');
  assert.equal(scriptCheckReason(fork[0], view()), 'block not in assumevalid chain');
  assert.equal(scriptCheckReason(main[1505], view({ bestHeader: fork[9] })), 'block not in best header chain');
  assert.equal(scriptCheckReason(main[10], view({ minimumChainWork: main[2999].chainWork + 1n })), 'best header chainwork below minimumchainwork');
  assert.equal(scriptCheckReason(main[2999 - 2016], view()), 'block too recent relative to best header');
  assert.equal(scriptCheckReason(main[2999 - 2017], view()), undefined);
  assert.equal(scriptCheckReason(main[1], view()), undefined);
});

test('GetBlockProofEquivalentTime: signed, at the tip difficulty', () => {
  assert.equal(blockProofEquivalentTime(main[2016], main[0], main[2016], 600), BigInt(TWO_WEEKS_IN_SECONDS));
  assert.equal(blockProofEquivalentTime(main[0], main[2016], main[2016], 600), -BigInt(TWO_WEEKS_IN_SECONDS));
});

test('the height form: every ancestor at or below it is skipped, none above', () => {
  const v = view();
  const h = assumedValidHeight(main[2999], v);
  assert.equal(h, 2999 - 2017);
  for (const x of [0, 1, h - 1, h]) assert.equal(scriptCheckReason(main[x], v), undefined);
  assert.notEqual(scriptCheckReason(main[h + 1], v), undefined);
  assert.equal(assumedValidHeight(main[2999], view({ assumeValidHash: undefined })), -1);
  // On a branch off the assumevalid chain, only the shared part can be skipped.
  assert.equal(assumedValidHeight(fork[9], view({ bestHeader: fork[9], assumeValidBlock: main[1400] })), -1);
});
