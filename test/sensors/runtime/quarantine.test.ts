// The quarantine: content-addressed, written once, read-only, within its quotas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Quarantine } from '../../../src/sensors/runtime/quarantine.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('the same content is stored once under its SHA-256, read-only, with its MD5', () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 1024, maxTotalBytes: 10_000 });
  const data = Buffer.from('#!/bin/sh\necho pwned\n');
  const a = q.store(data, '203.0.113.1');
  const b = q.store(Buffer.from(data), '203.0.113.2');
  assert.equal(a.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal(a.md5, createHash('md5').update(data).digest('hex'));
  assert.deepEqual([a.duplicate, b.duplicate, a.stored, b.stored], [false, true, true, true]);
  assert.deepEqual(readdirSync(dir), [a.sha256]);
  assert.deepEqual(readFileSync(join(dir, a.sha256)), data);
  assert.equal(statSync(join(dir, a.sha256)).mode & 0o777, 0o400);
  // A new process sees what is there.
  const again = new Quarantine({ dir, maxFileBytes: 1024, maxTotalBytes: 10_000 });
  assert.equal(again.store(data, '203.0.113.1').duplicate, true);
  assert.equal(again.usedBytes, data.length);
});

test('quotas hold against a writer that never stops: items are cut at max_file_bytes, and the total never passes max_total_bytes', () => {
  const dir = join(tempDir(), 'q');
  // One source may fill all of it here: this is about the total.
  const q = new Quarantine({ dir, maxFileBytes: 1000, maxTotalBytes: 20_000, maxSourceBytes: 20_000 });
  const big = q.store(Buffer.alloc(5000, 7), '203.0.113.1');
  assert.equal(big.truncated, true);
  assert.equal(big.size, 1000);
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const r = q.store(Buffer.from(`payload ${i} `.repeat(80)), '203.0.113.1');
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

test('one source cannot fill the quarantine for everyone: past its quota it is refused, another source is still stored', () => {
  const dir = join(tempDir(), 'q');
  // As the reviewer's 100 MiB quarantine, eight 16 MiB uploads from one address and 5 MB from another, in KiB.
  const q = new Quarantine({ dir, maxFileBytes: 64 * 1024, maxTotalBytes: 100 * 1024 });
  const flood = Array.from({ length: 8 }, (_, i) => q.store(Buffer.alloc(16 * 1024, i + 1), '127.0.0.1'));
  const other = Buffer.alloc(5 * 1000, 0xee);
  const r = q.store(other, '127.0.0.5');
  assert.deepEqual([r.stored, r.reason], [true, undefined], 'the other source is stored');
  assert.deepEqual(readFileSync(q.pathOf(r.sha256)), other);
  // The default quota is an eighth of the total: 12.5 KiB, less than one of the flood's files.
  assert.equal(q.maxSourceBytes, (100 * 1024) / 8);
  assert.deepEqual(flood.map((f) => f.reason), Array(8).fill('source_quota_full'));
  // Smaller files from the flooding source, as far as its quota; the same content again costs nothing.
  const small = Array.from({ length: 5 }, (_, i) => q.store(Buffer.alloc(4096, 0x40 + i), '127.0.0.1'));
  assert.deepEqual(small.map((f) => f.stored), [true, true, true, false, false]);
  assert.equal(q.store(Buffer.alloc(4096, 0x40), '127.0.0.1').duplicate, true);
  // An IPv6 /64 is one source.
  const v6 = [1, 2, 3, 4].map((n) => q.store(Buffer.alloc(4096, 0x50 + n), `2001:db8:1:2::${n}`));
  assert.deepEqual(v6.map((f) => f.stored), [true, true, true, false]);
  // At the next start the files there count toward the total; who brought them is not known, so each source starts anew.
  const again = new Quarantine({ dir, maxFileBytes: 64 * 1024, maxTotalBytes: 100 * 1024 });
  assert.equal(again.usedBytes, q.usedBytes);
  assert.equal(again.store(Buffer.alloc(4096, 0x60), '127.0.0.1').stored, true);
});
