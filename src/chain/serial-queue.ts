/**
 * Runs async tasks one at a time, in call order: the ChainstateManager's public calls that change or
 * flush chain state never interleave at their awaits (the role of Core's cs_main and m_chainstate_mutex).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Queues `fn` after every task queued before it; its result or error is the caller's alone. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(fn).finally(() => this.pending--);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }
}
