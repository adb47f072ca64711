/**
 * The assumeutxo lifecycle as types (Core's ChainstateRole and Assumeutxo enums): which job a chainstate
 * does, and whether the snapshot it rests on has been checked.
 */

/** `normal`: the only chainstate. With a snapshot loaded: `snapshot` (active) and `background`. */
export type ChainstateRole = 'normal' | 'snapshot' | 'background';

/**
 * Of the snapshot chainstate: `unvalidated` until the background chainstate reaches the base and its UTXO
 * hash matches, then `validated`; `invalid` when it did not match (the directory is set aside).
 * A chainstate built from genesis is `validated`.
 */
export type SnapshotValidity = 'validated' | 'unvalidated' | 'invalid';

/** How background validation ended. */
export type CompletionResult = 'skipped' | 'success' | 'base-blockhash-mismatch' | 'missing-chainparams' | 'stats-failed' | 'hash-mismatch';

export const MSG_FAILED_AT_STARTUP =
  'UTXO snapshot failed to validate. Restart to resume normal initial block download, or try loading a different snapshot.';

/** Core's fatal message when background validation disproves the snapshot (CLIENT_NAME = chainsnap). */
export function snapshotInvalidMessage(tipHeight: number, baseHeight: number): string {
  return (
    'chainsnap failed to validate the -assumeutxo snapshot state. ' +
    'This indicates a hardware problem, or a bug in the software, or a ' +
    'bad software modification that allowed an invalid snapshot to be ' +
    'loaded. As a result of this, the node will shut down and stop using any ' +
    `state that was built on the snapshot, resetting the chain height from ${tipHeight} to ${baseHeight}. ` +
    `On the next restart, the node will resume syncing from ${baseHeight} without using any snapshot data. ` +
    'Please report this incident to the chainsnap issue tracker, including how you obtained the snapshot. ' +
    'The invalid snapshot chainstate will be left on disk in case it is helpful in diagnosing the issue that caused this error.'
  );
}
