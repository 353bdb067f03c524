// The store of attackers' filesystem changes: kept across sessions and restarts, pruned to
// max_attackers (down to PRUNE_TO of it, so not at every save), expired after reset_after_s, and never failing a session over a file gone missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OverlayStore, PRUNE_TO, resetOverlays } from '../../../src/sensors/shell/overlay-store.js';
import { tempDir } from '../../helpers/apiary-process.js';

const quota = { maxBytes: 1 << 20, maxEntries: 1000 };

/** Opens SRC's overlay in STORE, deletes PATH in it, and ends the session (which saves it). */
function change(store: OverlayStore, src: string, path: string): void {
  store.acquire(src).set(path, null);
  store.release(src);
}

const files = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.json'));

test('an overlay saved by one store is loaded by the next on the same directory (a restart)', () => {
  const dir = join(tempDir(), 'overlays');
  change(new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 }), '198.51.100.7', '/etc/motd');
  const again = new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 });
  assert.equal(again.acquire('198.51.100.7').nodes.get('/etc/motd'), null);
  assert.equal(again.acquire('198.51.100.8').nodes.size, 0);
});

test('past max_attackers the oldest overlays go, down to PRUNE_TO of it, and a pruned attacker starts clean', async () => {
  const dir = join(tempDir(), 'overlays');
  const store = new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 });
  const keep = Math.floor(10 * PRUNE_TO);
  for (let last = 1; last <= 11; last++) {
    change(store, `198.51.100.${last}`, `/tmp/${last}`);
    // File times order the pruning; keep them apart.
    await new Promise((r) => setTimeout(r, 15));
  }
  assert.equal(files(dir).length, keep, 'the eleventh save pruned to PRUNE_TO of the cap');
  assert.equal(store.acquire('198.51.100.1').nodes.size, 0);
  store.release('198.51.100.1');
  assert.equal(store.acquire('198.51.100.11').nodes.get('/tmp/11'), null);
  store.release('198.51.100.11');
  // The next saves fit under the cap again: no pruning until it is passed once more.
  change(store, '198.51.100.1', '/tmp/again');
  assert.equal(files(dir).length, keep + 1);
  assert.equal(new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 }).acquire('198.51.100.1').nodes.get('/tmp/again'), null);
  for (let last = 20; files(dir).length <= 10; last++) {
    await new Promise((r) => setTimeout(r, 15));
    change(store, `198.51.100.${last}`, `/tmp/${last}`);
    if (files(dir).length === keep) break;
  }
  assert.equal(files(dir).length, keep);
  assert.equal(store.acquire('198.51.100.1').nodes.get('/tmp/again'), null, 'the newest files stay');
});

test('an overlay older than reset_after_s is deleted when its attacker comes back', () => {
  const dir = join(tempDir(), 'overlays');
  let now = 1_000_000;
  const store = new OverlayStore({ dir, quota, resetAfterS: 60, maxAttackers: 10, now: () => now });
  change(store, '198.51.100.9', '/tmp/x');
  assert.equal(files(dir).length, 1);
  now += 61_000;
  const restarted = new OverlayStore({ dir, quota, resetAfterS: 60, maxAttackers: 10, now: () => now });
  assert.equal(restarted.acquire('198.51.100.9').nodes.size, 0);
  assert.equal(files(dir).length, 0);
});

test('files removed behind the store (apiary shell reset) give a clean overlay, not an error', () => {
  const dir = join(tempDir(), 'overlays');
  const store = new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 });
  change(store, '198.51.100.10', '/tmp/x');
  assert.equal(resetOverlays(dir, '198.51.100.10'), 1);
  assert.equal(store.acquire('198.51.100.10').nodes.size, 0);
  store.release('198.51.100.10');
  // An overlay emptied in a session removes its file.
  change(store, '198.51.100.11', '/tmp/y');
  const o = store.acquire('198.51.100.11');
  o.nodes.clear();
  o.dirty = true;
  store.release('198.51.100.11');
  assert.equal(files(dir).length, 0);
  assert.ok(existsSync(dir));
});

test('an IPv6 attacker keeps one overlay across its /64 (rotating addresses gets no fresh filesystem or quota), and shell-reset by any of its addresses removes it', () => {
  const dir = join(tempDir(), 'overlays');
  const store = new OverlayStore({ dir, quota, resetAfterS: 0, maxAttackers: 10 });
  change(store, '2001:db8:7:1::1', '/tmp/dropped');
  assert.equal(store.acquire('2001:db8:7:1:ffff::2').nodes.get('/tmp/dropped'), null, 'another address in the same /64');
  store.release('2001:db8:7:1:ffff::2');
  assert.equal(store.acquire('2001:db8:7:2::1').nodes.size, 0, 'another /64');
  store.release('2001:db8:7:2::1');
  // Sessions open from two addresses of one /64 share the overlay: the first release does not save it away.
  const a = store.acquire('2001:db8:9:1::a');
  assert.equal(store.acquire('2001:db8:9:1::b'), a);
  store.release('2001:db8:9:1::a');
  store.release('2001:db8:9:1::b');
  assert.equal(files(dir).length, 1);
  assert.equal(resetOverlays(dir, '2001:db8:7:1::99'), 1);
  assert.equal(files(dir).length, 0);
});
