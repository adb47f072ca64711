/** A seeded deterministic PRNG: SHA-256 in counter mode (no Math.random, so chains are reproducible). */
import { createHash } from 'node:crypto';

export class Prng {
  private counter = 0;
  private pool = Buffer.alloc(0);
  private pos = 0;

  constructor(readonly seed: string) {}

  /** An independent stream for a named purpose (e.g. a fork branch). */
  derive(label: string): Prng {
    return new Prng(`${this.seed}/${label}`);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.pool.length) {
        this.pool = createHash('sha256').update(`${this.seed}#${this.counter++}`).digest();
        this.pos = 0;
      }
      out[i] = this.pool[this.pos++];
    }
    return out;
  }

  u32(): number {
    const b = this.bytes(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  }

  /** Uniform-enough integer in [0, n) for the small n a generator needs. */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
}
