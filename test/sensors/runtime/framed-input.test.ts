// The shared receive loop: per-session limits and one byte budget across sessions, given back on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferBudget, FramedInput, SMALL_BUFFER_BYTES } from '../../../src/sensors/runtime/framed-input.js';
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

test('a 16 MiB message arriving in 4 KiB chunks is assembled in linear time', () => {
  const input = new FramedInput<{ payload: Buffer }>(() => 17 * 1024 * 1024, (b) => decodeMessage(b), new BufferBudget(64 * 1024 * 1024));
  const body = Buffer.alloc(0xffffff - 1, 0x61);
  const framed = Buffer.concat([Buffer.from([0xfe, 0xff, 0xff, 0]), body]);
  let got: Buffer | undefined;
  const t0 = Date.now();
  for (let i = 0; i < framed.length; i += 4096) {
    assert.equal(input.push(framed.subarray(i, i + 4096), (m) => (got = m.payload), () => true), undefined);
  }
  const ms = Date.now() - t0;
  assert.equal(got?.length, body.length);
  assert.ok(ms < 3000, `took ${ms} ms`);
});
