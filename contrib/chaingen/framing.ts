/** blk*.dat-style framing of generated blocks: network magic ‖ u32 LE size ‖ block, as Core writes them. */
import { writeFileSync } from 'node:fs';
import { writeU32LE } from '../../src/primitives/bytes.js';

export function frameBlocks(blocks: Iterable<Uint8Array>, magic: Uint8Array): Buffer {
  const parts: Uint8Array[] = [];
  for (const b of blocks) {
    const head = new Uint8Array(8);
    head.set(magic.subarray(0, 4), 0);
    writeU32LE(head, 4, b.length);
    parts.push(head, b);
  }
  return Buffer.concat(parts);
}

export function writeFramedBlocks(path: string, blocks: Iterable<Uint8Array>, magic: Uint8Array): void {
  writeFileSync(path, frameBlocks(blocks, magic));
}
