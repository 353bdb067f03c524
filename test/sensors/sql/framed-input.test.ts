// The shared receive loop: per-session limits and one byte budget across sessions, given back on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferBudget, FramedInput, SMALL_BUFFER_BYTES } from '../../../src/sensors/sql/framed-input.js';
import { decodeMessage } from '../../../src/sensors/mysql/codec.js';

test('large partial messages are charged to a shared budget, refused past it, and released on dispose', () => {
  const budget = new BufferBudget(1024 * 1024);
  const make = (): FramedInput<unknown> => new FramedInput(() => 16 * 1024 * 1024, (b) => decodeMessage(b), budget);
  const header = Buffer.from([0x00, 0x00, 0x10, 0]); // a 1 MiB message announced
  const a = make();
  const b = make();
  const none = (): void => {};
  assert.equal(a.push(Buffer.concat([header, Buffer.alloc(600 * 1024)]), none, () => true), undefined);
  assert.ok(budget.inUse > 600 * 1024);
  assert.equal(b.push(Buffer.concat([header, Buffer.alloc(600 * 1024)]), none, () => true), 'sensor buffer budget exhausted');
  a.clear();
  b.clear();
  assert.equal(budget.inUse, 0);
  // Small buffers never count.
  const c = make();
  assert.equal(c.push(Buffer.concat([header, Buffer.alloc(SMALL_BUFFER_BYTES - 10)]), none, () => true), undefined);
  assert.equal(budget.inUse, 0);
});
