// The host's boot time: kept across restarts, plausible at first start, a fresh reboot when the kept one cannot stand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/apiary-process.js';
import { FIRST_UPTIME_MS, MAX_UPTIME_MS, REBOOT_UPTIME_MS, daemonStartMs, loadOrCreateBootTime } from '../../../src/sensors/runtime/host.js';
import { publicPort } from '../../../src/cli/host.js';

const NOW = Date.UTC(2025, 5, 1);
const DAY = 86_400_000;

test('the first boot time is days to weeks ago and stays put across starts', () => {
  const path = join(tempDir(), 'host.json');
  const boot = loadOrCreateBootTime(path, NOW);
  assert.ok(NOW - boot >= FIRST_UPTIME_MS[0] && NOW - boot <= FIRST_UPTIME_MS[1]);
  assert.equal(loadOrCreateBootTime(path, NOW + 5 * DAY), boot);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { boot_ms: boot });
});

test('a boot time too long ago, in the future or unreadable is replaced (a reboot just now, or a first start)', () => {
  const path = join(tempDir(), 'host.json');
  writeFileSync(path, JSON.stringify({ boot_ms: NOW - MAX_UPTIME_MS - 1 }));
  const rebooted = loadOrCreateBootTime(path, NOW);
  assert.ok(NOW - rebooted >= REBOOT_UPTIME_MS[0] && NOW - rebooted <= REBOOT_UPTIME_MS[1]);
  writeFileSync(path, JSON.stringify({ boot_ms: NOW + DAY }));
  assert.ok(loadOrCreateBootTime(path, NOW) <= NOW);
  writeFileSync(path, '{not json');
  const fresh = loadOrCreateBootTime(path, NOW);
  assert.ok(NOW - fresh >= FIRST_UPTIME_MS[0]);
});

test('daemons start seconds after boot, the same each time', () => {
  const boot = NOW - 10 * DAY;
  const s = daemonStartMs(boot, 'mysqld');
  assert.ok(s - boot >= 2000 && s - boot < 9000);
  assert.equal(daemonStartMs(boot, 'mysqld'), s);
});

test('the port shown is the public one: low and conventional ports as they are, high ones behind a redirect from the conventional port', () => {
  assert.equal(publicPort(22, 22), 22);
  assert.equal(publicPort(2222, 22), 22);
  assert.equal(publicPort(0, 3306), 3306);
  assert.equal(publicPort(3306, 3306), 3306);
  assert.equal(publicPort(443, 80), 443);
  assert.equal(publicPort(13306, 3306), 3306);
});

test('a boot time that cannot be written stops start-up with APIARY_DATA_DIR naming the file', () => {
  const path = join(tempDir(), 'host.json');
  mkdirSync(path);
  assert.throws(() => loadOrCreateBootTime(path, NOW), (err: Error & { code?: string }) => err.code === 'APIARY_DATA_DIR' && err.message.includes(path) && /data_dir/.test(err.message));
});
