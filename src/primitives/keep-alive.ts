/**
 * Holds the event loop open while work is in flight on threads that do not: worker pools keep their
 * Worker objects unref'd (an idle pool must never keep a process alive) and hold one of these instead.
 * Toggling worker.ref()/unref() is not safe for this: Worker.terminate() refs the worker until its 'exit'
 * event, and a late message that unrefs it again lets the loop end under a caller still awaiting that exit
 * (the process then exits with the caller's promise pending). Atomics.waitAsync holds no handle at all.
 */
export class KeepAlive {
  private timer: NodeJS.Timeout | undefined;

  /** Holds the loop open while `busy`, lets it go otherwise. */
  hold(busy: boolean): void {
    if (busy && !this.timer) this.timer = setInterval(() => undefined, 1 << 30);
    else if (!busy && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
