/**
 * The shared memory through which a block's input checks reach the script-check threads, and the code that
 * runs a batch of them on any thread. Nothing is sent per batch: the calling thread appends transactions and
 * batch descriptors to growable SharedArrayBuffers, publishes the batch count with an atomic store, and every
 * thread (workers and the caller) claims the next batch with a compare-and-swap, as Core's CCheckQueue
 * threads take work from one queue under its lock. Results go back into the same memory.
 *
 *   control (one per queue, Int32) := wake counter ‖ closed ‖ active workers ‖ SESSION_SLOTS × session id (0: free)
 *                                     ‖ MAX_WORKER_RANKS × tag of the buffers that worker is inside (0: none) ‖ sleeping workers
 *   data    (one per session, bytes) := records, each u32 flags ‖ tx (with witness)
 *                                       ‖ compactSize nSpent ‖ nSpent × (i64 value ‖ varBytes script)
 *   ranges  (Int32) := per range: record offset ‖ record length ‖ position ‖ first input ‖ input count
 *   index   (Int32) := published ‖ claimed ‖ done ‖ abort ‖ done count the caller waits for ‖ per batch (BATCH_WORDS): first range ‖ range
 *                      count ‖ status ‖ claimer ‖ failed position ‖ failed input ‖ ScriptError
 *
 * A worker parses a transaction and computes its precomputed data (BIP143/BIP341 midstates) once for the
 * run of batches it takes from that transaction, and keeps nothing longer (what outlives a scavenge costs a copy).
 *
 * A session's buffers are reused by a later session (fresh growable buffers cost their page faults again on
 * every block), but only once no worker says it is inside them: a worker announces the buffers' tag before
 * it checks that their session still holds its slot, so one that lags behind never claims a batch of the next.
 */
import { ByteReader, ByteWriter } from '../primitives/bytes.js';
import { parseTransaction, writeTransaction, type Transaction, type TxOut } from '../primitives/transaction.js';
import { precomputeTxData, type PrecomputedTxData } from '../script/tx-checker.js';
import { checkInputs, type InputFailure } from './input-checks.js';

export const Q_WAKE = 0;
export const Q_CLOSED = 1;
/** Workers ranked below this take work; the rest sleep (the queue lends its threads away, see setActiveWorkers). */
export const Q_ACTIVE = 2;
export const Q_SLOTS = 3;
/** Sessions (blocks being connected at once, by the chainstates sharing the queue) the workers serve. */
export const SESSION_SLOTS = 8;
/** Per worker rank: the tag of the session buffers it may be reading (0: none). */
export const Q_INSIDE = Q_SLOTS + SESSION_SLOTS;
/** Ranks with a Q_INSIDE word (at least Core's MAX_SCRIPTCHECK_THREADS). */
export const MAX_WORKER_RANKS = 16;
/** Workers asleep on the wake counter: a publish notifies (a futex call, ~10 µs) only when one is. */
export const Q_SLEEPING = Q_INSIDE + MAX_WORKER_RANKS;
export const CONTROL_WORDS = Q_SLEEPING + 1;
/**
 * Lets the workers ranked below `n` take work (the rest finish the batch they hold, then sleep), and wakes
 * them: the calling thread's queue does this, and so does a queue lending its threads to another's.
 */
export function setActiveRanks(control: Int32Array, n: number): void {
  Atomics.store(control, Q_ACTIVE, n);
  wakeWorkers(control);
}

/** Tells a queue's workers to look for work (new batches, or a change in who is active). */
export function wakeWorkers(control: Int32Array): void {
  Atomics.add(control, Q_WAKE, 1);
  // A worker going to sleep counts itself before it waits, and its wait sees the new wake count if this missed it.
  if (Atomics.load(control, Q_SLEEPING) !== 0) Atomics.notify(control, Q_WAKE);
}

/** Session buffers kept for reuse per queue. */
const POOLED_BUFFERS = 4;

export const S_PUBLISHED = 0;
export const S_CLAIMED = 1;
export const S_DONE = 2;
export const S_ABORT = 3;
/** The caller waits until S_DONE reaches this (0: it does not wait): only that batch, or an abort, notifies. */
export const S_WAITING = 4;
const S_HEADER = 5;

const B_RANGE_START = 0;
const B_RANGE_COUNT = 1;
const B_STATUS = 2;
const B_CLAIMER = 3;
const B_FAIL_POSITION = 4;
const B_FAIL_INPUT = 5;
const B_FAIL_ERROR = 6;
const BATCH_WORDS = 8;
const RANGE_WORDS = 5;

export const STATUS_PENDING = 0;
const STATUS_OK = 1;
const STATUS_FAILED = 2;

/** Growth limits: a block that would need more is checked on the calling thread (never happens on mainnet). */
const MAX_DATA_BYTES = 256 << 20;
const MAX_BATCHES = 1 << 16;
const MAX_RANGES = 1 << 17;

/** A set of session buffers; `tag` (never 0) names it in the workers' Q_INSIDE words. */
export interface SessionBuffers {
  tag: number;
  data: SharedArrayBuffer;
  ranges: SharedArrayBuffer;
  index: SharedArrayBuffer;
}

/** The buffers of one session as they travel to a worker (once, when it first sees the session). */
export interface SessionMemory extends SessionBuffers {
  id: number;
}

export interface Range {
  record: number;
  length: number;
  position: number;
  first: number;
  count: number;
}

type Growable = SharedArrayBuffer & { grow(n: number): void; readonly maxByteLength: number };

function growable(bytes: number, max: number): Growable {
  const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Growable;
  return new Ctor(bytes, { maxByteLength: max });
}

/** Grows `sab` (doubling) to hold `need` bytes; false when that is beyond its maximum. */
function ensure(sab: Growable, need: number): boolean {
  if (need <= sab.byteLength) return true;
  if (need > sab.maxByteLength) return false;
  let size = Math.max(sab.byteLength * 2, 4096);
  while (size < need) size *= 2;
  sab.grow(Math.min(size, sab.maxByteLength));
  return true;
}

/** Session buffers kept by a queue between sessions; `control` says which ones a worker may still be reading. */
export class BufferPool {
  private readonly free: SessionBuffers[] = [];
  private nextTag = 1;

  constructor(private readonly control: Int32Array) {}

  /** Buffers no worker is inside (reused when one is free, else new). */
  take(): SessionBuffers {
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (this.inside(b.tag)) continue;
      this.free.splice(i, 1);
      return b;
    }
    return {
      tag: this.nextTag++,
      data: growable(64 << 10, MAX_DATA_BYTES),
      ranges: growable(16 << 10, MAX_RANGES * RANGE_WORDS * 4),
      index: growable(16 << 10, (S_HEADER + MAX_BATCHES * BATCH_WORDS) * 4),
    };
  }

  /** The session that had `b` ended (its slot cleared first): later sessions may take it. */
  give(b: SessionBuffers): void {
    if (this.free.length < POOLED_BUFFERS) this.free.push(b);
  }

  private inside(tag: number): boolean {
    for (let r = 0; r < MAX_WORKER_RANKS; r++) if (Atomics.load(this.control, Q_INSIDE + r) === tag) return true;
    return false;
  }
}

/** Offset of `field` of batch `i` in a session index. */
const word = (i: number, field: number) => S_HEADER + i * BATCH_WORDS + field;

/** The calling thread's side of a session's memory: it appends, publishes and reads the answers. */
export class SessionWriter {
  private readonly data: Growable;
  private readonly rangesBuf: Growable;
  private readonly indexBuf: Growable;
  private readonly bytes: Uint8Array;
  private readonly ranges: Int32Array;
  readonly index: Int32Array;
  private dataLength = 0;
  private rangeCount = 0;
  /** Batches written (published or not). */
  batches = 0;
  private readonly scratch = new ByteWriter(4096);

  constructor(
    readonly id: number,
    readonly buffers: SessionBuffers,
  ) {
    this.data = buffers.data as Growable;
    this.rangesBuf = buffers.ranges as Growable;
    this.indexBuf = buffers.index as Growable;
    this.bytes = new Uint8Array(this.data);
    this.ranges = new Int32Array(this.rangesBuf);
    this.index = new Int32Array(this.indexBuf);
    // Reused buffers: a new header (the batch words are reset as batches are written).
    this.index.fill(0, 0, S_HEADER);
  }

  memory(): SessionMemory {
    return { id: this.id, ...this.buffers };
  }

  /** Appends a transaction's record; undefined when the session's memory is full. */
  writeTx(tx: Transaction, spent: readonly TxOut[], flags: number): { record: number; length: number } | undefined {
    const w = this.scratch;
    w.length = 0;
    w.writeU32LE(flags >>> 0);
    writeTransaction(w, tx);
    w.writeCompactSize(spent.length);
    for (const o of spent) w.writeI64LE(o.value).writeVarBytes(o.script);
    const record = this.dataLength;
    if (!ensure(this.data, record + w.length)) return undefined;
    // In place (view, not a copy): the scratch writer is rewritten only by the next record.
    this.bytes.set(w.view(), record);
    this.dataLength += w.length;
    return { record, length: w.length };
  }

  /** Writes a batch (not yet visible to the workers); false when the session's memory is full. */
  writeBatch(ranges: readonly Range[]): boolean {
    if (!ensure(this.rangesBuf, (this.rangeCount + ranges.length) * RANGE_WORDS * 4) || !ensure(this.indexBuf, word(this.batches + 1, 0) * 4)) return false;
    const start = this.rangeCount;
    for (const r of ranges) {
      const at = this.rangeCount++ * RANGE_WORDS;
      this.ranges[at] = r.record;
      this.ranges[at + 1] = r.length;
      this.ranges[at + 2] = r.position;
      this.ranges[at + 3] = r.first;
      this.ranges[at + 4] = r.count;
    }
    const i = this.batches++;
    this.index[word(i, B_STATUS)] = STATUS_PENDING;
    this.index[word(i, B_CLAIMER)] = 0;
    this.index[word(i, B_RANGE_START)] = start;
    this.index[word(i, B_RANGE_COUNT)] = ranges.length;
    return true;
  }

  /** Makes every batch written so far claimable (the atomic store orders the plain writes before it). */
  publish(): void {
    Atomics.store(this.index, S_PUBLISHED, this.batches);
  }

  /** The lowest failure among the batches that finished, by (position, input). */
  failure(): { position: number; failure: InputFailure } | undefined {
    let best: { position: number; failure: InputFailure } | undefined;
    for (let i = 0; i < this.batches; i++) {
      if (Atomics.load(this.index, word(i, B_STATUS)) !== STATUS_FAILED) continue;
      const position = this.index[word(i, B_FAIL_POSITION)];
      const inputIndex = this.index[word(i, B_FAIL_INPUT)];
      if (!best || position < best.position || (position === best.position && inputIndex < best.failure.inputIndex)) {
        best = { position, failure: { inputIndex, error: this.index[word(i, B_FAIL_ERROR)] } };
      }
    }
    return best;
  }

  /** Whether a batch claimed by `claimer` (or by a thread that had not yet said who it is) is unfinished. */
  heldBy(claimer: number): boolean {
    const claimed = Math.min(Atomics.load(this.index, S_CLAIMED), this.batches);
    for (let i = 0; i < claimed; i++) {
      if (Atomics.load(this.index, word(i, B_STATUS)) !== STATUS_PENDING) continue;
      const c = Atomics.load(this.index, word(i, B_CLAIMER));
      if (c === claimer || c === 0) return true;
    }
    return false;
  }
}

/** Claims the next published batch of a session; -1 when there is none (or the session was aborted). */
export function claimBatch(index: Int32Array, claimer: number): number {
  for (;;) {
    if (Atomics.load(index, S_ABORT) !== 0) return -1;
    const next = Atomics.load(index, S_CLAIMED);
    if (next >= Atomics.load(index, S_PUBLISHED)) return -1;
    if (Atomics.compareExchange(index, S_CLAIMED, next, next + 1) === next) {
      Atomics.store(index, word(next, B_CLAIMER), claimer);
      return next;
    }
  }
}

/** Records a batch's answer; a failure stops the other threads from claiming more of the session. */
export function finishBatch(index: Int32Array, i: number, failed?: { position: number; failure: InputFailure }): void {
  if (failed) {
    index[word(i, B_FAIL_POSITION)] = failed.position;
    index[word(i, B_FAIL_INPUT)] = failed.failure.inputIndex;
    index[word(i, B_FAIL_ERROR)] = failed.failure.error;
    Atomics.store(index, S_ABORT, 1);
  }
  Atomics.store(index, word(i, B_STATUS), failed ? STATUS_FAILED : STATUS_OK);
  const done = Atomics.add(index, S_DONE, 1) + 1;
  // Waking the caller costs its thread a task (~50 µs): only for the batch it waits for, or an abort.
  const waitFor = Atomics.load(index, S_WAITING);
  if (waitFor !== 0 && (done >= waitFor || Atomics.load(index, S_ABORT) !== 0)) Atomics.notify(index, S_DONE);
}

/** The ranges of batch `i`, as the calling thread wrote them. */
export function batchRanges(ranges: Int32Array, index: Int32Array, i: number): Range[] {
  const out: Range[] = [];
  const start = index[word(i, B_RANGE_START)];
  for (let k = 0; k < index[word(i, B_RANGE_COUNT)]; k++) {
    const at = (start + k) * RANGE_WORDS;
    out.push({ record: ranges[at], length: ranges[at + 1], position: ranges[at + 2], first: ranges[at + 3], count: ranges[at + 4] });
  }
  return out;
}

/** Checks `count` inputs of a transaction from `first` on; the first failure. */
export function checkRange(data: PrecomputedTxData, flags: number, first: number, count: number): InputFailure | undefined {
  return checkInputs(data.tx, data.spent, flags, first, count, data);
}

interface HeldTx {
  flags: number;
  data: PrecomputedTxData;
}

/** A worker's view of one session: the shared memory, and the transactions it has parsed so far. */
export class WorkerSession {
  private readonly bytes: Uint8Array;
  private readonly ranges: Int32Array;
  readonly index: Int32Array;
  readonly tag: number;
  /** The transaction last parsed (its record offset): a transaction's inputs are consecutive across batches. */
  private heldRecord = -1;
  private held: HeldTx | undefined;

  constructor(memory: SessionMemory) {
    this.tag = memory.tag;
    this.bytes = new Uint8Array(memory.data);
    this.ranges = new Int32Array(memory.ranges);
    this.index = new Int32Array(memory.index);
  }

  /**
   * Runs batches until none is left to claim, or until `active` says this thread should stop taking work
   * (its queue lent the thread away mid-block); `beforeRun` is a test hook (a worker that dies holding one).
   */
  work(claimer: number, active: () => boolean, beforeRun?: () => void): void {
    while (active()) {
      const i = claimBatch(this.index, claimer);
      if (i < 0) return;
      beforeRun?.();
      finishBatch(this.index, i, this.run(i));
    }
  }

  private run(i: number): { position: number; failure: InputFailure } | undefined {
    for (const r of batchRanges(this.ranges, this.index, i)) {
      const h = this.tx(r);
      const failure = checkRange(h.data, h.flags, r.first, r.count);
      if (failure) return { position: r.position, failure };
    }
    return undefined;
  }

  private tx(r: Range): HeldTx {
    let h = this.heldRecord === r.record ? this.held : undefined;
    if (!h) {
      // A private copy: the interpreter and the secp256k1 bindings then never see shared memory.
      const reader = new ByteReader(this.bytes.slice(r.record, r.record + r.length));
      const flags = reader.readU32LE();
      const tx = parseTransaction(reader);
      const spent: TxOut[] = [];
      for (let k = reader.readCompactSize(); k > 0; k--) spent.push({ value: reader.readI64LE(), script: reader.readBytes(reader.readCompactSize()) });
      h = { flags, data: precomputeTxData(tx, spent) };
      this.held = h;
      this.heldRecord = r.record;
    }
    return h;
  }
}
