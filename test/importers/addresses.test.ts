// Imported addresses are stored as the sensors store them (IPv6 compressed and lowercase, IPv4-mapped
// as IPv4), so an imported source and a live one are one source to incidents, `--src` and exports.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, writeConfig } from '../helpers/apiary-process.js';
import { buildEvent } from '../../src/importers/core/import-core.js';
import { canonicalIp } from '../../src/enrich/networks.js';
import { removeScratch, scratchDir } from '../helpers/scratch.js';

after(removeScratch);

test('canonicalIp: IPv6 in any spelling gives the form a socket gives; IPv4 and mapped IPv4 as IPv4; not an address gives undefined', () => {
  assert.equal(canonicalIp('2001:DB8:0:0::0A'), '2001:db8::a');
  assert.equal(canonicalIp('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalIp('::FFFF:198.51.100.4'), '198.51.100.4');
  assert.equal(canonicalIp('198.51.100.4'), '198.51.100.4');
  assert.equal(canonicalIp('::1'), '::1');
  assert.equal(canonicalIp('1.2.3'), undefined);
  assert.equal(canonicalIp('\u001b[2J::1'), undefined);
});

test('buildEvent stores an IPv6 address spelt in upper case or uncompressed in its canonical form', () => {
  const env = { timeMs: Date.UTC(2018, 4, 6), sensor: 's', session: '0123456789abcdef', protocol: 'ssh', src_ip: '2001:DB8:0:0::0A', src_port: 1, dst_ip: 'FE80:0:0:0:0:0:0:1', dst_port: 22 };
  const r = buildEvent('connection.open', { transport: 'tcp' }, env, 'k', { format: 'cowrie.json', file: 'f', line: 1, record: {} });
  assert.ok(r.ok);
  assert.equal(r.event.src_ip, '2001:db8::a');
  assert.equal(r.event.dst_ip, 'fe80::1');
});

test('import then `apiary events --src` finds an IPv6 source whatever spelling the log used', async () => {
  const dir = scratchDir('apiary-ipv6-');
  const file = join(dir, 'cowrie.json');
  const rec = { eventid: 'cowrie.session.connect', timestamp: '2018-05-06T17:44:51.000000Z', session: '0123456789ab', src_ip: '2001:DB8:0:0::0A', src_port: 50000, dst_ip: '192.0.2.9', dst_port: 22, protocol: 'ssh' };
  writeFileSync(file, `${JSON.stringify(rec)}\n`);
  const config = writeConfig(dir, {});
  await runCli(['import', 'cowrie', file, '--config', config]);
  const r = await runCli(['events', '--src', '2001:db8::a', '--json', '--config', config]);
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stdout + r.stderr);
  assert.equal((JSON.parse(lines[0]!) as { src_ip: string }).src_ip, '2001:db8::a');
});
