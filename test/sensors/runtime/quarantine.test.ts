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
  const a = q.store(data);
  const b = q.store(Buffer.from(data));
  assert.equal(a.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal(a.md5, createHash('md5').update(data).digest('hex'));
  assert.deepEqual([a.duplicate, b.duplicate, a.stored, b.stored], [false, true, true, true]);
  assert.deepEqual(readdirSync(dir), [a.sha256]);
  assert.deepEqual(readFileSync(join(dir, a.sha256)), data);
  assert.equal(statSync(join(dir, a.sha256)).mode & 0o777, 0o400);
  // A new process sees what is there.
  const again = new Quarantine({ dir, maxFileBytes: 1024, maxTotalBytes: 10_000 });
  assert.equal(again.store(data).duplicate, true);
  assert.equal(again.usedBytes, data.length);
});

test('quotas hold against a writer that never stops: items are cut at max_file_bytes, and the total never passes max_total_bytes', () => {
  const dir = join(tempDir(), 'q');
  const q = new Quarantine({ dir, maxFileBytes: 1000, maxTotalBytes: 20_000 });
  const big = q.store(Buffer.alloc(5000, 7));
  assert.equal(big.truncated, true);
  assert.equal(big.size, 1000);
  let refused = 0;
  for (let i = 0; i < 500; i++) {
    const r = q.store(Buffer.from(`payload ${i} `.repeat(80)));
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
