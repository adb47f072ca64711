/** A fixed-capacity buffer that forgets its oldest entry: what keeps a page left open for a day from growing the node. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[(this.start + this.count) % this.capacity] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }

  /** The entry `back` places before the newest (0: the newest). */
  peek(back = 0): T | undefined {
    if (back < 0 || back >= this.count) return undefined;
    return this.items[(this.start + this.count - 1 - back) % this.capacity];
  }
}
