import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RingBuffer } from '../../src/web/ring.js';

test('a ring buffer keeps the newest entries, oldest first, and never more than its capacity', () => {
  const r = new RingBuffer<number>(3);
  assert.deepEqual(r.toArray(), []);
  assert.equal(r.peek(), undefined);
  r.push(1);
  r.push(2);
  assert.deepEqual(r.toArray(), [1, 2]);
  for (let i = 3; i <= 1000; i++) r.push(i);
  assert.equal(r.length, 3);
  assert.deepEqual(r.toArray(), [998, 999, 1000]);
  assert.equal(r.peek(0), 1000);
  assert.equal(r.peek(2), 998);
  assert.equal(r.peek(3), undefined);
  assert.throws(() => new RingBuffer(0), RangeError);
});
