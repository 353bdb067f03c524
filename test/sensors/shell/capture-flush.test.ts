// Files the attacker writes in the fake shell are quarantined once per path and content, flushed early
// past MAX_PENDING_CAPTURE_BYTES; a slow flush does not let the snapshots of later writes pile up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { QuarantineResult } from '../../../src/sensors/runtime/quarantine.js';
import { MAX_PENDING_CAPTURE_BYTES } from '../../../src/sensors/shell/session.js';
import { heldBy, MiB } from '../../helpers/heap.js';
import { testShell } from '../../helpers/shell.js';

test('files written and removed while an early flush waits for the disk are not all kept meanwhile, and every one is recorded in order', async () => {
  const t = testShell();
  let release!: () => void;
  const slow = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  // The first file's store takes as long as the disk does; the others are hashed and let go at
  // once, as the quarantine does when too much is being stored (busy).
  t.env.quarantine.store = async (data: Buffer): Promise<QuarantineResult> => {
    const base = { sha256: createHash('sha256').update(data).digest('hex'), md5: createHash('md5').update(data).digest('hex'), size: data.length, originalSize: data.length, truncated: false, duplicate: false };
    if (!first) return { ...base, stored: false, reason: 'busy' };
    first = false;
    await slow;
    return { ...base, stored: true };
  };
  const s = t.open();
  const mib = (i: number): string => String(i % 10).repeat(MiB);
  // Past the bound: the early flush starts, and its first store waits.
  const early = MAX_PENDING_CAPTURE_BYTES / MiB + 1;
  for (let i = 0; i < early; i++) {
    await s.run(`cat > /tmp/a${i}`, mib(i));
    await s.run(`rm /tmp/a${i}`);
  }
  const later = 96;
  const held = await heldBy(async () => {
    for (let i = 0; i < later; i++) {
      await s.run(`cat > /tmp/b${i}`, mib(i));
      await s.run(`rm /tmp/b${i}`);
    }
  });
  assert.ok(held < MAX_PENDING_CAPTURE_BYTES + 16 * MiB, `${later} MiB written and removed during a slow flush left ${(held / MiB).toFixed(1)} MiB held`);
  release();
  await s.end();
  const paths = t.events.filter((e) => e.type === 'file.download').map((e) => (e.payload as { path: string }).path);
  assert.deepEqual(paths, [...Array.from({ length: early }, (_, i) => `/tmp/a${i}`), ...Array.from({ length: later }, (_, i) => `/tmp/b${i}`)]);
});
