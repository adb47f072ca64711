/**
 * getblocktemplate's template mode (BIP22/23/9/145) as Core's rpc/mining.cpp builds it on the active tip:
 * the rules the client must support (segwit, and signet on signet), version bits, time fields, limits and
 * the default witness commitment, in Core's field order. With no mempool the template has no transactions.
 */
import type { ChainstateManager } from '../chain/chainstate-manager.js';
import { MAX_BLOCK_SERIALIZED_SIZE } from '../primitives/block.js';
import { toHex } from '../primitives/bytes.js';
import { OP_TRUE } from '../primitives/script.js';
import { targetHex } from '../consensus/pow.js';
import { MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, WITNESS_SCALE_FACTOR } from '../consensus/sigops.js';
import { createNewBlock, miningState, minimumTime, segwitActiveAfter, updateTime } from './assembler.js';

/** A request Core refuses with RPC_INVALID_PARAMETER. */
export class TemplateRequestError extends Error {
  override name = 'TemplateRequestError';
}

/** Core's gbt_rule_value: a rule the client must understand is prefixed with '!'. */
function ruleValue(name: string, optional: boolean): string {
  return optional ? name : `!${name}`;
}

export { targetHex };

/** Core's longpollid: the tip hash followed by the mempool's transactions-updated counter (always 0 here). */
export function longPollId(manager: ChainstateManager): string {
  return `${manager.active.tip.key}0`;
}

/** The template object for `clientRules` (the request's "rules") at node time `now` (-blockversion: `blockVersion`). */
export function blockTemplate(manager: ChainstateManager, clientRules: ReadonlySet<string>, now: number, blockVersion?: number): Record<string, unknown> {
  const params = manager.params;
  if (params.signetBlocks && !clientRules.has('signet')) {
    throw new TemplateRequestError('getblocktemplate must be called with the signet rule set (call with {"rules": ["segwit", "signet"]})');
  }
  if (!clientRules.has('segwit')) {
    throw new TemplateRequestError('getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})');
  }
  // Core's default BlockCreateOptions pay to OP_TRUE; miners replace the coinbase anyway.
  const template = createNewBlock(manager, { coinbaseScript: Uint8Array.of(OP_TRUE), now, blockVersion });
  const { block, prev } = template;
  updateTime(block.header, prev, params, now);
  block.header.nonce = 0;
  const preSegwit = !segwitActiveAfter(prev, params);

  const rules = ['csv'];
  if (!preSegwit) rules.push('!segwit');
  if (params.signetBlocks) rules.push('!signet');
  const vbavailable: Record<string, number> = {};
  let version = block.header.version;
  const gbt = miningState(manager).versionBits.gbtStatus(prev);
  for (const [name, info] of gbt.signalling) {
    vbavailable[ruleValue(name, info.gbtOptionalRule)] = info.bit;
    if (!info.gbtOptionalRule && !clientRules.has(name)) version &= ~info.mask;
  }
  for (const [name, info] of gbt.lockedIn) {
    version |= info.mask;
    vbavailable[ruleValue(name, info.gbtOptionalRule)] = info.bit;
    if (!info.gbtOptionalRule && !clientRules.has(name)) version &= ~info.mask;
  }
  for (const [name, info] of gbt.active) {
    rules.push(ruleValue(name, info.gbtOptionalRule));
    if (!info.gbtOptionalRule && !clientRules.has(name)) throw new TemplateRequestError(`Support for '${name}' rule requires explicit client support`);
  }

  const scale = preSegwit ? WITNESS_SCALE_FACTOR : 1;
  const result: Record<string, unknown> = {
    capabilities: ['proposal'],
    version,
    rules,
    vbavailable,
    vbrequired: 0,
    previousblockhash: prev.key,
    transactions: [],
    coinbaseaux: {},
    coinbasevalue: block.txs[0].outputs[0].value,
    longpollid: longPollId(manager),
    target: targetHex(block.header.bits),
    mintime: minimumTime(prev, params),
    mutable: ['time', 'transactions', 'prevblock'],
    noncerange: '00000000ffffffff',
    sigoplimit: MAX_BLOCK_SIGOPS_COST / scale,
    sizelimit: MAX_BLOCK_SERIALIZED_SIZE / scale,
  };
  if (!preSegwit) result.weightlimit = MAX_BLOCK_WEIGHT;
  result.curtime = block.header.time;
  result.bits = (block.header.bits >>> 0).toString(16).padStart(8, '0');
  result.height = prev.height + 1;
  if (params.signetBlocks) result.signet_challenge = toHex(params.signetChallenge);
  if (template.coinbaseCommitment) result.default_witness_commitment = toHex(template.coinbaseCommitment);
  return result;
}

