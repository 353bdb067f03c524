// The /server-status trap page keeps the time: its clock is now, and Apache's uptime runs from its
// last nightly reload, in mod_status's own formats (a page dated 2024 gave the trap away).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openHoneytokenRegistry } from '../../../src/sensors/runtime/honeytokens.js';
import { apacheStatusTime, apacheUptime, trapPage, trapSecrets } from '../../../src/sensors/http/traps.js';
import { tempDir } from '../../helpers/apiary-process.js';

test("mod_status's time and uptime formats", () => {
  assert.equal(apacheStatusTime(new Date(Date.UTC(2024, 1, 12, 9, 14, 2))), 'Monday, 12-Feb-2024 09:14:02 UTC');
  assert.equal(apacheUptime(((8 * 24 + 6) * 60 + 3) * 60 + 51), ' 8 days 6 hours 3 minutes 51 seconds');
  assert.equal(apacheUptime(3600 + 1), ' 1 hour 1 second');
});

test('server-status shows the current time, and a restart within the last day that stays put', () => {
  const secrets = trapSecrets(openHoneytokenRegistry(join(tempDir(), 'tokens')), 'www.example.net');
  const field = (body: string, name: string): string => new RegExp(`<dt>${name}: ([^<]*)</dt>`).exec(body)?.[1] ?? '';
  for (const now of [new Date(Date.UTC(2026, 10, 28, 3, 40, 5)), new Date(Date.UTC(2027, 0, 1, 0, 0, 30)), new Date()]) {
    const body = String(trapPage('/server-status', secrets, 'www.example.net', 'Apache/2.4.62 (Debian)', now)!.body);
    assert.equal(field(body, 'Current Time'), apacheStatusTime(now));
    const restart = Date.parse(field(body, 'Restart Time').replace(/^\w+, (\d+)-(\w+)-(\d+) /, '$2 $1 $3 '));
    const up = Math.floor((now.getTime() - restart) / 1000);
    assert.ok(up >= 0 && up < 86_400, `restart ${field(body, 'Restart Time')} at ${now.toISOString()}`);
    assert.equal(field(body, 'Server uptime'), apacheUptime(up));
    // An hour later it is the same restart, or the next night's one.
    const later = new Date(now.getTime() + 3_600_000);
    const body2 = String(trapPage('/server-status', secrets, 'www.example.net', 'Apache/2.4.62 (Debian)', later)!.body);
    const restart2 = Date.parse(field(body2, 'Restart Time').replace(/^\w+, (\d+)-(\w+)-(\d+) /, '$2 $1 $3 '));
    assert.ok(restart2 === restart || restart2 === restart + 86_400_000, field(body2, 'Restart Time'));
  }
});
