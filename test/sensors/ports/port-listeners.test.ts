// Real-tool tests for the port listeners: nmap connect scans, curl through "SOCKS5" on 1080, nmap's
// RDP script on 3389; every connection gives exactly one scan.probe.
import { connect } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { freePorts, runTool } from '../../helpers/net-tools.js';
import { payloads } from '../../helpers/stored-events.js';

test('nmap -sT on the listener ports gives one scan.probe per port, and a VNC banner is sent', async () => {
  const ports = await freePorts(5);
  const apiary = await startApiaryProcess({
    sensor: 'ports-nmap',
    services: { ports: { listen: ports.map((p) => `127.0.0.1:${p}`), banners: { [String(ports[0])]: 'RFB 003.008\n' }, read_timeout_s: 2 } },
  });
  try {
    const r = await runTool('nmap', ['-n', '-Pn', '-sT', '-p', ports.join(','), '127.0.0.1'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    for (const p of ports) assert.match(r.stdout, new RegExp(`^${p}/tcp\\s+open`, 'm'));
    const banner = await new Promise<string>((resolve, reject) => {
      const s = connect(ports[0]!, '127.0.0.1');
      s.once('data', (d) => {
        resolve(d.toString('latin1'));
        s.end(Buffer.from('RFB 003.008\n'));
      });
      s.once('error', reject);
    });
    assert.equal(banner, 'RFB 003.008\n');
    await apiary.stop();
    const probes = (await apiary.events(['--type', 'scan.probe'])) as { dst_port: number; first_bytes_hex: string }[];
    const vnc = probes.filter((e) => e.first_bytes_hex !== '');
    assert.deepEqual(vnc.map((e) => [e.dst_port, (e as { recognised?: string }).recognised]), [[ports[0], 'vnc RFB 003.008']]);
    const scans = probes.filter((e) => e.first_bytes_hex === '');
    assert.deepEqual(scans.map((e) => e.dst_port).sort(), [...ports].sort(), 'one scan.probe per scanned port');
    const events = await apiary.events();
    for (const e of probes as unknown as { session: string }[]) {
      const types = events.filter((x) => x.session === e.session).map((x) => x.type);
      assert.deepEqual(types, ['connection.open', 'scan.probe', 'connection.close']);
    }
  } finally {
    await apiary.stop();
  }
});

test('a SOCKS5 client on 1080 and an RDP client on 3389 are named; the SOCKS target is recorded', async () => {
  const host = '127.0.0.61';
  const apiary = await startApiaryProcess({
    sensor: 'ports-proxy',
    services: { ports: { listen: [`${host}:1080`, `${host}:3389`], read_timeout_s: 3 } },
  });
  try {
    const curl = await runTool('curl', ['-sS', '--max-time', '10', '--socks5-hostname', `${host}:1080`, 'http://proxy-check.invalid/azenv.php'], { timeoutMs: 20_000 });
    assert.notEqual(curl.code, 0, 'the fake proxy refuses the connection');
    const nmap = await runTool('nmap', ['-n', '-Pn', '-sT', '-p', '3389', '--script', 'rdp-enum-encryption', host], { timeoutMs: 90_000 });
    assert.equal(nmap.code, 0, nmap.stderr);
    await apiary.stop();
    const probes = (await apiary.events(['--type', 'scan.probe'])) as { dst_port: number; recognised?: string; first_bytes_hex: string }[];
    const socks = probes.filter((e) => e.dst_port === 1080);
    assert.equal(socks.length, 1);
    assert.match(String(socks[0]!.recognised), /^socks5 methods=/);
    const tunnels = await payloads(apiary.dir, 'tunnel.request');
    assert.deepEqual(tunnels.map((e) => [e.target_host, e.target_port]), [['proxy-check.invalid', 80]]);
    const rdp = probes.filter((e) => e.dst_port === 3389);
    assert.ok(rdp.length >= 1, 'nmap connected to 3389');
    assert.ok(rdp.some((e) => e.recognised?.startsWith('rdp')), `an RDP connection request is named: ${JSON.stringify(rdp)}`);
  } finally {
    await apiary.stop();
  }
});
