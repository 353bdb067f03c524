// Uploads into the shared quarantine: a per-upload cap, the shared memory budget given back after
// storing, and the file.upload outcome (stored, duplicate, truncated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fetchSchema, quarantineSchema } from '../../src/config/schema.js';
import { createCapture, storeUpload, UploadBuffer } from '../../src/sensors/runtime/capture.js';
import { tempDir } from '../helpers/apiary-process.js';

test('uploads are capped, stored by SHA-256, and give their memory back', () => {
  const capture = createCapture(tempDir(), fetchSchema.parse({}), quarantineSchema.parse({}));
  const events: { type: string; p: Record<string, unknown> }[] = [];
  const emitter = { emit: (type: string, p: Record<string, unknown>) => void events.push({ type, p }) };
  const before = UploadBuffer.memoryInUse;
  const a = new UploadBuffer(10);
  a.write(Buffer.from('0123456'));
  a.write(Buffer.from('789abcdef'));
  assert.equal(a.offered, 16);
  assert.equal(UploadBuffer.memoryInUse - before, 10);
  const q = storeUpload(capture, emitter as never, '/upload/x.bin', a);
  assert.equal(UploadBuffer.memoryInUse, before, 'memory released after storing');
  assert.equal(q.sha256, createHash('sha256').update('0123456789').digest('hex'));
  assert.equal(readFileSync(capture.quarantine.pathOf(q.sha256), 'utf8'), '0123456789');
  const b = new UploadBuffer(100);
  b.write(Buffer.from('0123456789'));
  storeUpload(capture, emitter as never, '/again.bin', b);
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
      const u = new UploadBuffer(max);
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
