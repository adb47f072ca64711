/**
 * The package entry (`import … from 'chainsnap'`): the public library API. Everything else under dist/ is
 * internal and may change without notice. docs/library.md describes what is here.
 */

// The engine: chainstates, blocks, snapshots (load and dump).
export {
  ChainstateManager,
  FatalError,
  StartupError,
  type BackgroundStatus,
  type ChainstateInfo,
  type ChainstateManagerOptions,
} from './chain/chainstate-manager.js';
export type { BlockIndexEntry } from './chain/block-index.js';
export type { ActivationResult } from './chain/snapshot-activation.js';
export type { DumpProgress, DumpResult } from './chain/dump.js';
export type { BlockUndo } from './chain/undo.js';

// Snapshot files (Core's dumptxoutset / loadtxoutset format).
export { SnapshotReader, type ProgressSink, type RecordSink, type SnapshotReadOptions } from './snapshot/reader.js';
export { SnapshotWriter, type ChunkSink, type SnapshotWriterOptions } from './snapshot/writer.js';
export { verifySnapshot, type VerifyOptions, type VerifyResult } from './snapshot/verify.js';
export { parseMetadata, serializeMetadata, type SnapshotMetadata } from './snapshot/metadata.js';
export { SnapshotError, type SnapshotErrorKind } from './snapshot/errors.js';

// Coins and the UTXO set hashes (hash_serialized_3, MuHash) and statistics.
export { parseCoin, serializeCoin, type Coin } from './coins/coin.js';
export { CoinsDB, type CoinsDBOptions } from './coins/coins-db.js';
export { computeChainstateStats, type ChainstateStats, type ChainstateStatsOptions } from './coins/coins-stats.js';
export { formatBtc, UtxoStatsAccumulator, type UtxoStats } from './coins/utxo-stats.js';
export { MuHash3072 } from './coins/muhash.js';

// Primitives and network parameters.
export { hash160, hashToHex, hexToHash, sha256, sha256d } from './primitives/hash.js';
export { blockHash, parseBlock, serializeBlock, serializeHeader, type Block, type BlockHeader } from './primitives/block.js';
export { type OutPoint, type Transaction, type TxIn, type TxOut } from './primitives/transaction.js';
export {
  getChainParams,
  NETWORK_NAMES,
  parseNetworkName,
  type AssumeutxoEntry,
  type ChainParams,
  type ChainParamsOptions,
  type NetworkName,
} from './consensus/params.js';

// A JSON-RPC client for Core (or chainsnapd).
export { RpcClient, RpcConnectionError, RpcHttpError, type BatchResult, type RpcCall, type RpcClientOptions } from './rpc/client.js';
export { RPC, RpcError } from './rpc/errors.js';
