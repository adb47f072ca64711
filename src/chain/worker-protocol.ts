/** Messages between the main thread and the background-validation worker (raw bytes, no object graphs). */
import type { FilePos } from './block-index.js';

export interface WorkerInit {
  network: string;
  signetChallenge?: string;
  /** Trusted assumeutxo entries beyond the built-in ones. */
  assumeutxo: string[];
  /** The `chainstate` directory the worker owns while it runs. */
  dir: string;
  blocksDir: string;
  cacheBytes: number;
  /** Block index entries (encodeEntry) of the snapshot base and all its ancestors. */
  entries: Uint8Array[];
  /** Display hex. */
  baseHash: string;
  /** Script-check worker threads the worker starts for itself (Core's -par less the calling thread). */
  scriptWorkers: number;
  /**
   * Control words for the worker's check queue, made on the main thread, which sets how many of those
   * threads take work (the active chainstate lends its share while it has no block to check).
   */
  scriptControl?: SharedArrayBuffer;
  /** The base's ancestors at or below this height have their scripts assumed valid (-1: none), see script-validation.ts. */
  assumedValidHeight: number;
}

export type MainToWorker =
  | { type: 'blocks'; blocks: { hash: Uint8Array; pos: FilePos; txCount: number }[]; assumedValidHeight: number }
  | { type: 'persisted'; id: number }
  | { type: 'cache'; bytes: number }
  | { type: 'stop' };

export type WorkerToMain =
  | { type: 'connected'; hash: Uint8Array; height: number; inputs: number }
  | { type: 'undo'; hash: Uint8Array; bytes: Uint8Array }
  | { type: 'invalid'; hash: Uint8Array; reason: string; debug: string }
  | { type: 'persist'; id: number }
  | { type: 'reached-base'; hash: Uint8Array }
  | { type: 'stopped' }
  | { type: 'error'; message: string };
