// An SSH channel's uploads (SFTP, SCP) are recorded in the order the client sent them, each once the
// quarantine has it; those behind a slow store do not keep their bytes past the quarantine's own bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import { createSessionEmitter } from '../../../src/events/emitter.js';
import type { Quarantine, QuarantineResult } from '../../../src/sensors/runtime/quarantine.js';
import { uploader } from '../../../src/sensors/ssh/session-channel.js';
import { heldBy, MiB } from '../../helpers/heap.js';

test('uploads behind a slow store are recorded in order and do not keep their bytes meanwhile', async () => {
  const events: ApiaryEvent[] = [];
  const emitter = createSessionEmitter({ write: (e) => void events.push(e), flush: async () => {} }, { sensor: 't', protocol: 'ssh', src_ip: '198.51.100.4', src_port: 1, dst_ip: '127.0.0.1', dst_port: 22 });
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  // The first upload's store takes as long as the disk does; the others are hashed and let go at
  // once, as the quarantine does when too much is being stored (busy).
  const quarantine = {
    async store(data: Buffer): Promise<QuarantineResult> {
      const sha256 = createHash('sha256').update(data).digest('hex');
      const base = { sha256, md5: '', size: data.length, originalSize: data.length, truncated: false, duplicate: false };
      if (!first) return { ...base, stored: false, reason: 'busy' };
      first = false;
      await slow;
      return { ...base, stored: true };
    },
  } as unknown as Quarantine;
  const upload = uploader({ emitter, log: pino({ level: 'silent' }) }, { quarantine });
  const held = await heldBy(async () => {
    for (let i = 0; i < 24; i++) upload(`/tmp/f${i}`, Buffer.alloc(MiB, i), false);
    await new Promise((resolve) => setImmediate(resolve));
  });
  assert.ok(held < 8 * MiB, `uploads waiting behind one store hold ${(held / MiB).toFixed(1)} MiB (24 of 1 MiB)`);
  assert.equal(events.length, 0, 'nothing is recorded before the first upload is stored');
  release();
  for (let i = 0; i < 5 && events.length < 24; i++) await new Promise((resolve) => setImmediate(resolve));
  const uploads = events.map((e) => e.payload as { filename: string; outcome: string });
  assert.deepEqual(uploads.map((u) => u.filename), Array.from({ length: 24 }, (_, i) => `/tmp/f${i}`));
  assert.deepEqual([uploads[0]!.outcome, uploads[1]!.outcome], ['stored', 'refused']);
});
