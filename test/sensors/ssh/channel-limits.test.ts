// The SSH channel limits without a connection: what is read of ssh2's channel objects, and the counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ChannelLimits,
  MAX_CHANNELS_PER_CONNECTION,
  MAX_OPEN_CHANNELS,
  MAX_QUEUED_SFTP_PACKETS,
  MIN_CLIENT_PACKET_BYTES,
  announcedPacketSize,
  unsentBytes,
} from '../../../src/sensors/ssh/channel-limits.js';
import { MAX_UNSENT_BYTES } from '../../../src/sensors/runtime/listener.js';

test('the packet size is read from a session (before its channel exists) and from a channel; anything else has none', () => {
  assert.equal(announcedPacketSize({ _chanInfo: { outgoing: { packetSize: 0 } } }), 0);
  assert.equal(announcedPacketSize({ outgoing: { packetSize: 32768 } }), 32768);
  fc.assert(fc.property(fc.anything(), (x) => {
    const size = announcedPacketSize(x);
    return size === undefined || typeof size === 'number';
  }));
  const limits = new ChannelLimits();
  assert.equal(limits.refusal({ outgoing: { packetSize: MIN_CLIENT_PACKET_BYTES } }), undefined);
  assert.match(limits.refusal({ outgoing: { packetSize: MIN_CLIENT_PACKET_BYTES - 1 } }) ?? '', /packet size/);
});

test("unsent output: a stream's writable buffer, or an SFTP channel's queue, counted over the limit past its packet cap", () => {
  assert.equal(unsentBytes({ writableLength: 1234 }), 1234);
  assert.equal(unsentBytes({ _buffer: [Buffer.alloc(10), Buffer.alloc(5)] }), 15);
  assert.ok(unsentBytes({ _buffer: Array.from({ length: MAX_QUEUED_SFTP_PACKETS + 1 }, () => Buffer.alloc(1)) }) > MAX_UNSENT_BYTES);
  fc.assert(fc.property(fc.anything(), (x) => Number.isFinite(unsentBytes(x))));

  const limits = new ChannelLimits();
  const a = { writableLength: MAX_UNSENT_BYTES / 2 };
  const b = { writableLength: MAX_UNSENT_BYTES / 2 + 1 };
  limits.watch(a);
  assert.equal(limits.overflowing(), false);
  limits.watch(b);
  assert.equal(limits.overflowing(), true);
  limits.forget(b);
  assert.equal(limits.overflowing(), false);
});

test(`at most ${MAX_OPEN_CHANNELS} channels open at once and ${MAX_CHANNELS_PER_CONNECTION} in all`, () => {
  const limits = new ChannelLimits();
  for (let i = 0; i < MAX_OPEN_CHANNELS; i++) assert.equal(limits.take(), true);
  assert.equal(limits.take(), false);
  limits.release();
  assert.equal(limits.take(), true);
  let taken = MAX_OPEN_CHANNELS + 1;
  for (; taken < MAX_CHANNELS_PER_CONNECTION; taken++) {
    limits.release();
    assert.equal(limits.take(), true);
  }
  limits.release();
  assert.equal(limits.take(), false, 'the lifetime cap holds with channels free');
});
