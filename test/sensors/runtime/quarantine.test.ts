// The quarantine: content-addressed, written once, read-only, within its quotas, without holding the
// event loop while it hashes and writes, and without writing or counting twice when stores overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_SLICE_BYTES, Quarantine, type QuarantineResult } from '../../../src/sensors/runtime/quarantine.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('the same content is stored once under its SHA-256, read-only, with its MD5', async () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 1024, maxTotalBytes: 10_000 });
  const data = Buffer.from('#!/bin/sh\necho pwned\n');
  const a = await q.store(data, '203.0.113.1');
  const b = await q.store(Buffer.from(data), '203.0.113.2');
  assert.equal(a.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal(a.md5, createHash('md5').update(data).digest('hex'));
  assert.deepEqual([a.duplicate, b.duplicate, a.stored, b.stored], [false, true, true, true]);
  assert.deepEqual(readdirSync(dir), [a.sha256]);
  assert.deepEqual(readFileSync(join(dir, a.sha256)), data);
  assert.equal(statSync(join(dir, a.sha256)).mode & 0o777, 0o400);
  // A new process sees what is there.
  const again = new Quarantine({ dir, maxFileBytes: 1024, maxTotalBytes: 10_000 });
  assert.equal((await again.store(data, '203.0.113.1')).duplicate, true);
  assert.equal(again.usedBytes, data.length);
});

test('quotas hold against a writer that never stops: items are cut at max_file_bytes, and the total never passes max_total_bytes', async () => {
  const dir = join(tempDir(), 'q');
  // One source may fill all of it here: this is about the total.
  const q = new Quarantine({ dir, maxFileBytes: 1000, maxTotalBytes: 20_000, maxSourceBytes: 20_000 });
  const big = await q.store(Buffer.alloc(5000, 7), '203.0.113.1');
  assert.equal(big.truncated, true);
  assert.equal(big.size, 1000);
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const r = await q.store(Buffer.from(`payload ${i} `.repeat(80)), '203.0.113.1');
    if (!r.stored) {
      refused++;
      assert.equal(r.reason, 'quota_full');
    }
  }
  const onDisk = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  assert.ok(onDisk <= 20_000, `quarantine holds ${onDisk} bytes`);
  assert.ok(refused > 400, 'most of the endless writes were refused once full');
  assert.equal(q.usedBytes, onDisk);
});

test('one source cannot fill the quarantine for everyone: past its quota it is refused, another source is still stored', async () => {
  const dir = join(tempDir(), 'q');
  const storeAll = async (items: [Buffer, string][]): Promise<QuarantineResult[]> => {
    const out: QuarantineResult[] = [];
    for (const [data, source] of items) out.push(await q.store(data, source));
    return out;
  };
  // As the reviewer's 100 MiB quarantine, eight 16 MiB uploads from one address and 5 MB from another, in KiB.
  const q = new Quarantine({ dir, maxFileBytes: 64 * 1024, maxTotalBytes: 100 * 1024 });
  const flood = await storeAll(Array.from({ length: 8 }, (_, i) => [Buffer.alloc(16 * 1024, i + 1), '127.0.0.1']));
  const other = Buffer.alloc(5 * 1000, 0xee);
  const r = await q.store(other, '127.0.0.5');
  assert.deepEqual([r.stored, r.reason], [true, undefined], 'the other source is stored');
  assert.deepEqual(readFileSync(q.pathOf(r.sha256)), other);
  // The default quota is an eighth of the total: 12.5 KiB, less than one of the flood's files.
  assert.equal(q.maxSourceBytes, (100 * 1024) / 8);
  assert.deepEqual(flood.map((f) => f.reason), Array(8).fill('source_quota_full'));
  // Smaller files from the flooding source, as far as its quota; the same content again costs nothing.
  const small = await storeAll(Array.from({ length: 5 }, (_, i) => [Buffer.alloc(4096, 0x40 + i), '127.0.0.1']));
  assert.deepEqual(small.map((f) => f.stored), [true, true, true, false, false]);
  assert.equal((await q.store(Buffer.alloc(4096, 0x40), '127.0.0.1')).duplicate, true);
  // An IPv6 /64 is one source.
  const v6 = await storeAll([1, 2, 3, 4].map((n) => [Buffer.alloc(4096, 0x50 + n), `2001:db8:1:2::${n}`]));
  assert.deepEqual(v6.map((f) => f.stored), [true, true, true, false]);
  // At the next start the files there count toward the total; who brought them is not known, so each source starts anew.
  const again = new Quarantine({ dir, maxFileBytes: 64 * 1024, maxTotalBytes: 100 * 1024 });
  assert.equal(again.usedBytes, q.usedBytes);
  assert.equal((await again.store(Buffer.alloc(4096, 0x60), '127.0.0.1')).stored, true);
});

test('storing a file of several hash slices lets the event loop turn: other work runs before it is stored, and between its slices', async () => {
  const dir = join(tempDir(), 'q');
  const slices = 6;
  const big = Buffer.alloc(slices * HASH_SLICE_BYTES, 0x41);
  big.writeUInt32BE(0xdeadbeef, 3 * HASH_SLICE_BYTES + 7);
  const q = new Quarantine({ dir, maxFileBytes: big.length, maxTotalBytes: 4 * big.length, maxSourceBytes: 4 * big.length });
  // A new file: hashed, written, synced and renamed.
  let ran = false;
  const first = q.store(big, '203.0.113.9');
  setImmediate(() => (ran = true));
  const a = await first;
  assert.equal(ran, true, 'a callback scheduled just after store() ran before the store resolved');
  assert.deepEqual([a.stored, a.duplicate, a.sha256, a.md5], [true, false, createHash('sha256').update(big).digest('hex'), createHash('md5').update(big).digest('hex')]);
  // The same content again is only hashed (nothing to write): the turns in between are the hash's.
  let turns = 0;
  let settled = false;
  const again = q.store(Buffer.from(big), '203.0.113.9');
  const tick = (): void => {
    if (settled) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const b = await again;
  settled = true;
  assert.deepEqual([b.duplicate, b.sha256], [true, a.sha256]);
  // One slice per turn: the ticker gets a turn between the slices (the last slice's turn resolves it).
  assert.ok(turns >= slices - 2, `${turns} turns of other work while ${slices} slices were hashed`);
});

test('two stores of the same content at once: one file, counted once, the second reports a duplicate', async () => {
  const dir = join(tempDir(), 'q');
  const data = Buffer.alloc(3 * HASH_SLICE_BYTES + 5, 0x33);
  // Room for the content once, not twice, in the total and in the source's part.
  const q = new Quarantine({ dir, maxFileBytes: data.length, maxTotalBytes: 2 * data.length - 1, maxSourceBytes: data.length + 100 });
  const [a, b] = await Promise.all([q.store(data, '203.0.113.4'), q.store(Buffer.from(data), '203.0.113.4')]);
  assert.deepEqual(
    [a, b].map((r) => [r.stored, r.duplicate]),
    [
      [true, false],
      [true, true],
    ],
  );
  assert.equal(a.sha256, b.sha256);
  assert.deepEqual(readdirSync(dir), [a.sha256]);
  assert.equal(q.usedBytes, data.length, 'counted once in the total');
  // Counted once for the source: 100 bytes more still fit in its part.
  assert.equal((await q.store(Buffer.alloc(100, 0x34), '203.0.113.4')).stored, true);
});

test('stores of different content at once from one source cannot pass its quota together', async () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 4 * HASH_SLICE_BYTES, maxTotalBytes: 64 * HASH_SLICE_BYTES, maxSourceBytes: 5 * HASH_SLICE_BYTES });
  // Four files of 2 MiB from addresses of one IPv6 /64: two fit in its 5 MiB.
  const files = [1, 2, 3, 4].map((n) => Buffer.alloc(2 * HASH_SLICE_BYTES, n));
  const results = await Promise.all(files.map((f, i) => q.store(f, `2001:db8:7:7::${i + 1}`)));
  assert.deepEqual(results.map((r) => r.stored).filter(Boolean).length, 2, JSON.stringify(results.map((r) => r.reason)));
  assert.deepEqual(results.filter((r) => !r.stored).map((r) => r.reason), ['source_quota_full', 'source_quota_full']);
  const onDisk = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  assert.equal(onDisk, 4 * HASH_SLICE_BYTES);
  assert.equal(q.usedBytes, onDisk);
  // Another source still has its own part.
  assert.equal((await q.store(Buffer.alloc(100, 9), '203.0.113.77')).stored, true);
});

test('stores in progress hold a bounded number of bytes, a source a quarter of it: past that an item is hashed at once and not kept (busy)', async () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 4 * HASH_SLICE_BYTES, maxTotalBytes: 64 * HASH_SLICE_BYTES, maxSourceBytes: 64 * HASH_SLICE_BYTES, maxPendingBytes: 16 * HASH_SLICE_BYTES });
  // One source starts five stores of 1 MiB without waiting (a caller that answers at once): its quarter is 4 MiB.
  const files = [1, 2, 3, 4, 5].map((n) => Buffer.alloc(HASH_SLICE_BYTES, n));
  const started = files.map((f) => q.store(f, '198.51.100.8'));
  assert.equal(q.pending, 4, 'the fifth is not held');
  const results = await Promise.all(started);
  assert.deepEqual(results.map((r) => r.reason ?? 'stored'), ['stored', 'stored', 'stored', 'stored', 'busy']);
  const busy = results[4]!;
  assert.equal(busy.sha256, createHash('sha256').update(files[4]!).digest('hex'), 'a busy item is still hashed');
  // Once they are settled the bytes are given back: the same source stores again, and another source was never held up.
  assert.equal((await q.store(files[4]!, '198.51.100.8')).stored, true);
  assert.equal((await q.store(Buffer.alloc(100, 7), '203.0.113.9')).stored, true);
  // Content already kept is reported stored even when too much is in progress.
  const again = [6, 7, 8, 9].map((n) => q.store(Buffer.alloc(HASH_SLICE_BYTES, n), '198.51.100.8'));
  const dup = await q.store(files[0]!, '198.51.100.8');
  assert.deepEqual([dup.stored, dup.duplicate, dup.reason], [true, true, undefined]);
  await Promise.all(again);
});

test('a write the disk refuses reports write_failed and gives its quota back', async () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 1000, maxTotalBytes: 10_000, maxSourceBytes: 100 });
  // The directory replaced by a file: the temp file cannot be made (running as root, a read-only mode would not stop it).
  renameSync(dir, `${dir}.moved`);
  writeFileSync(dir, 'not a directory');
  const failed = await q.store(Buffer.alloc(80, 1), '203.0.113.5');
  assert.deepEqual([failed.stored, failed.duplicate, failed.reason], [false, false, 'write_failed']);
  assert.equal(q.usedBytes, 0);
  assert.equal(q.has(failed.sha256), false);
  unlinkSync(dir);
  renameSync(`${dir}.moved`, dir);
  // The source's 100 bytes are all its own again: 80 more fit (they would not if the failed 80 were still reserved).
  const next = await q.store(Buffer.alloc(80, 2), '203.0.113.5');
  assert.deepEqual([next.stored, next.reason], [true, undefined]);
  // The content that failed is tried anew, not taken for stored.
  assert.equal((await q.store(Buffer.alloc(80, 1), '203.0.113.6')).duplicate, false);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp-')), [], 'no temp file left');
});

test('drain() waits for the stores in flight and what their callers do with the result', async () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 8 * HASH_SLICE_BYTES, maxTotalBytes: 64 * HASH_SLICE_BYTES, maxSourceBytes: 64 * HASH_SLICE_BYTES });
  const recorded: string[] = [];
  // A caller that stores a second file once the first is in: drain waits for that one too.
  void q.store(Buffer.alloc(3 * HASH_SLICE_BYTES, 5), '203.0.113.8').then(async (r) => {
    recorded.push(r.sha256);
    recorded.push((await q.store(Buffer.alloc(10, 6), '203.0.113.8')).sha256);
  });
  assert.equal(q.pending, 1);
  assert.equal(await q.drain(), true);
  assert.equal(recorded.length, 2);
  assert.equal(q.pending, 0);
  assert.deepEqual(readdirSync(dir).sort(), [...recorded].sort());
});
