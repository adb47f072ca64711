/**
 * Long operations the node runs for its users (snapshot load, dump, background validation): what is done
 * of how much, how fast, and how each ended. getprogress reads them; `loadtxoutset` with `wait=false`
 * starts one and returns its id at once (bitcoin/bitcoin#28620).
 */
export type OperationKind = 'loadtxoutset' | 'dumptxoutset' | 'backgroundvalidation';

export interface Operation {
  id: number;
  kind: OperationKind;
  /** What it works on: a file path, or the snapshot base. */
  target: string;
  /** Unix milliseconds. */
  startedAt: number;
  finishedAt?: number;
  done: number;
  total: number;
  unit: 'coins' | 'blocks';
  state: 'running' | 'done' | 'failed';
  result?: unknown;
  error?: { code: number; message: string };
}

/** Finished operations kept for getprogress, newest last. */
const KEEP_FINISHED = 20;

export class Operations {
  private nextId = 1;
  private readonly all: Operation[] = [];

  start(kind: OperationKind, target: string, total: number, unit: Operation['unit']): Operation {
    const op: Operation = { id: this.nextId++, kind, target, startedAt: Date.now(), done: 0, total, unit, state: 'running' };
    this.all.push(op);
    return op;
  }

  update(op: Operation, done: number, total = op.total): void {
    op.done = done;
    op.total = total;
  }

  finish(op: Operation, result: unknown): void {
    op.state = 'done';
    op.result = result;
    op.finishedAt = Date.now();
    this.prune();
  }

  fail(op: Operation, error: { code: number; message: string }): void {
    op.state = 'failed';
    op.error = error;
    op.finishedAt = Date.now();
    this.prune();
  }

  get(id: number): Operation | undefined {
    return this.all.find((o) => o.id === id);
  }

  list(): readonly Operation[] {
    return this.all;
  }

  running(kind?: OperationKind): Operation[] {
    return this.all.filter((o) => o.state === 'running' && (kind === undefined || o.kind === kind));
  }

  private prune(): void {
    const finished = this.all.filter((o) => o.state !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.all.splice(this.all.indexOf(old), 1);
  }
}
