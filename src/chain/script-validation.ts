/**
 * Script validation as the chainstates see it: one check queue, and Core's assumevalid decision for each
 * block (consensus/assumevalid.ts over the block index), with Core's log lines when the decision changes.
 */
import type { Logger } from 'pino';
import { assumedValidHeight, scriptCheckReason, type AssumeValidView } from '../consensus/assumevalid.js';
import type { ChainParams } from '../consensus/params.js';
import { getAncestor, type BlockIndex, type BlockIndexEntry } from './block-index.js';
import { CheckQueue, scriptCheckWorkers, type ScriptChecks } from './check-queue.js';
import type { ChainstateRole } from './lifecycle.js';

/** Core's script_check_reason for a block; undefined: its scripts are assumed valid. */
export type ScriptCheckRule = (entry: BlockIndexEntry) => string | undefined;

const NULL_HASH = '0'.repeat(64);

/** -assumevalid (64 hex digits) or, when absent, the network's default; undefined means verify everything. */
export function resolveAssumeValid(params: ChainParams, option: string | undefined): string | undefined {
  const hash = option ?? params.defaultAssumeValid;
  return hash === NULL_HASH ? undefined : hash;
}

/** Core's rule over the whole block index (active chainstate, in-process background validation). */
export function assumeValidRule(index: BlockIndex, params: ChainParams, assumeValid: string | undefined): ScriptCheckRule {
  return (entry) => scriptCheckReason(entry, assumeValidView(index, params, assumeValid));
}

/**
 * For a worker that holds only `base`'s ancestry: its ancestors at or below this height are assumed valid
 * (-1: none), as the rule decides with this thread's best header now.
 */
export function assumedValidHeightBelow(base: BlockIndexEntry, index: BlockIndex, params: ChainParams, assumeValid: string | undefined): number {
  return assumedValidHeight(base, assumeValidView(index, params, assumeValid));
}

function assumeValidView(index: BlockIndex, params: ChainParams, assumeValid: string | undefined): AssumeValidView<BlockIndexEntry> {
  return {
    assumeValidHash: assumeValid,
    assumeValidBlock: assumeValid === undefined ? undefined : index.get(assumeValid),
    bestHeader: index.bestHeader,
    minimumChainWork: params.minimumChainWork,
    powTargetSpacing: params.powTargetSpacing,
    ancestor: getAncestor,
  };
}

/** Core's startup lines about script verification (node/chainstate.cpp). */
export function logScriptValidation(log: Logger, params: ChainParams, assumeValid: string | undefined): void {
  if (assumeValid !== undefined) log.info(`Assuming ancestors of block ${assumeValid} have valid signatures.`);
  else log.info('Validating signatures for all blocks.');
  log.info(`Setting nMinimumChainWork=${params.minimumChainWork.toString(16).padStart(64, '0')}`);
}

/** What a chainstate asks before connecting a block: the checks to run, or none (assumed valid). */
export class BlockScripts {
  /** Core's m_last_script_check_reason_logged; null before the first block. */
  private lastReason: string | undefined | null = null;

  constructor(
    readonly queue: CheckQueue,
    private readonly rule: ScriptCheckRule,
    private readonly log?: Logger,
  ) {}

  /** The check session for `entry`, or undefined when its scripts are skipped. Logs like Core (normal role only). */
  checksFor(entry: BlockIndexEntry, role: ChainstateRole): ScriptChecks | undefined {
    const reason = this.rule(entry);
    if (role === 'normal' && reason !== this.lastReason) {
      if (reason !== undefined) this.log?.info(`Enabling script verification at block #${entry.height} (${entry.key}): ${reason}.`);
      else this.log?.info(`Disabling script verification at block #${entry.height} (${entry.key}).`);
      this.lastReason = reason;
    }
    return reason === undefined ? undefined : this.queue.session();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/** A queue for -par's worker count (scriptThreads counts the calling thread, as the node config gives it). */
export function openCheckQueue(scriptThreads: number | undefined, log?: Logger): CheckQueue {
  const workers = scriptThreads === undefined ? scriptCheckWorkers(0) : Math.max(scriptThreads - 1, 0);
  return new CheckQueue({ workers, log });
}
