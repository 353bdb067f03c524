// tftp-hpa against the TFTP sensor: get of a decoy config, get of a missing file, put into quarantine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { runTool } from '../../helpers/net-tools.js';
import { payloads, storedEvents } from '../../helpers/stored-events.js';

test('tftp-hpa get and put: decoy served, missing file refused, upload stored by SHA-256, every request recorded', async () => {
  const apiary = await startApiaryProcess({ sensor: 'tftp-hpa', services: { tftp: { listen: ['127.0.0.1:0'] } } });
  try {
    const port = String(apiary.ports.tftp);
    const dir = apiary.dir;
    const get = await runTool('tftp', ['-m', 'binary', '127.0.0.1', port, '-c', 'get', 'startup-config', join(dir, 'sc')], { cwd: dir, timeoutMs: 20_000 });
    assert.equal(get.code, 0, get.stderr);
    const config = readFileSync(join(dir, 'sc'), 'utf8');
    assert.match(config, /^enable secret (\S+)\r$/m);
    const secret = /^enable secret (\S+)\r$/m.exec(config)![1]!;
    const missing = await runTool('tftp', ['127.0.0.1', port, '-c', 'get', 'no-such-file', join(dir, 'x')], { cwd: dir, timeoutMs: 20_000 });
    assert.match(missing.stdout + missing.stderr, /File not found/);
    const blob = randomBytes(5000); // ten blocks, the last one short
    writeFileSync(join(dir, 'payload.bin'), blob);
    const put = await runTool('tftp', ['-m', 'binary', '127.0.0.1', port, '-c', 'put', join(dir, 'payload.bin'), 'mips.bin'], { cwd: dir, timeoutMs: 20_000 });
    assert.equal(put.code, 0, put.stderr);
    await apiary.stop();
    const requests = (await payloads<{ input: string }>(apiary.dir, 'command.input')).map((c) => c.input);
    assert.deepEqual(requests, ['RRQ startup-config octet', 'RRQ no-such-file netascii', 'WRQ mips.bin octet']);
    const sha = createHash('sha256').update(blob).digest('hex');
    assert.deepEqual(await payloads(apiary.dir, 'file.upload'), [{ filename: 'mips.bin', sha256: sha, size: 5000, outcome: 'stored' }]);
    assert.deepEqual(readFileSync(join(apiary.dir, 'data', 'quarantine', sha)), blob);
    const planted = await payloads<{ kind: string; secret: string; locations: string[] }>(apiary.dir, 'honeytoken.planted');
    assert.ok(planted.some((t) => t.kind === 'device' && t.secret === secret && t.locations.includes('startup-config')), 'the served secret is a planted honeytoken');
    const opens = await storedEvents(apiary.dir, 'connection.open');
    assert.ok(opens.every((e) => (e.payload as { transport: string }).transport === 'udp' && e.protocol === 'tftp'));
  } finally {
    await apiary.stop();
  }
});

test('a datagram from another host on the same port is no part of a transfer', { timeout: 60_000 }, async () => {
  const { createSocket } = await import('node:dgram');
  const { encodeData } = await import('../../../src/sensors/tftp/codec.js');
  const apiary = await startApiaryProcess({ sensor: 'tftp-inject', services: { tftp: { listen: ['127.0.0.1:0'] } } });
  const client = createSocket('udp4');
  const other = createSocket('udp4');
  try {
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    // The intruder has the client's port, on another loopback address.
    await new Promise<void>((r) => other.bind(client.address().port, '127.0.0.2', () => r()));
    const next = (): Promise<{ msg: Buffer; port: number }> =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no reply from the sensor')), 5000);
        client.once('message', (msg, rinfo) => {
          clearTimeout(t);
          resolve({ msg, port: rinfo.port });
        });
      });
    let reply = next();
    client.send(Buffer.from('\x00\x02evil.bin\x00octet\x00', 'latin1'), apiary.ports.tftp!, '127.0.0.1');
    const ack0 = await reply;
    assert.deepEqual([...ack0.msg], [0, 4, 0, 0]);
    other.send(encodeData(1, Buffer.from('INJECTED')), ack0.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    reply = next();
    client.send(encodeData(1, Buffer.from('GOOD')), ack0.port, '127.0.0.1');
    assert.deepEqual([...(await reply).msg], [0, 4, 0, 1]);
    await apiary.stop();
    const sha = createHash('sha256').update('GOOD').digest('hex');
    assert.deepEqual(await payloads(apiary.dir, 'file.upload'), [{ filename: 'evil.bin', sha256: sha, size: 4, outcome: 'stored' }]);
  } finally {
    client.close();
    other.close();
    await apiary.stop();
  }
});

test("nmap -sU -sV: only requests are answered, as tftpd-hpa does, so no other product's tftpd is named", { timeout: 120_000 }, async () => {
  const { createSocket } = await import('node:dgram');
  const apiary = await startApiaryProcess({ sensor: 'tftp-nmap', services: { tftp: { listen: ['127.0.0.1:0'] } } });
  const client = createSocket('udp4');
  try {
    const port = apiary.ports.tftp!;
    // nmap's DNSStatusRequest probe (opcode 0) drew "Illegal TFTP operation", which nmap names Plan 9 tftpd.
    const sv = await runTool('nmap', ['-n', '-Pn', '-sU', '-sV', '-p', String(port), '127.0.0.1'], { timeoutMs: 110_000 });
    assert.equal(sv.code, 0, sv.stderr);
    assert.doesNotMatch(sv.stdout, /Plan 9|Windows|Cisco|SolarWinds|tftpd/, sv.stdout);
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    for (const d of [Buffer.from([0, 0, 0x10, 0, 0, 0]), Buffer.from([0, 4, 0, 1]), Buffer.from([0, 3, 0, 1, 0x41]), Buffer.from([0, 9])]) client.send(d, port, '127.0.0.1');
    // Requests it cannot parse get tftpd-hpa's own texts (nmap's XDMCP probe is an RRQ with an empty name).
    client.send(Buffer.from('\x00\x01f\x00weird\x00', 'latin1'), port, '127.0.0.1');
    client.send(Buffer.from([0, 1, 0, 2, 0, 1, 0]), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1500));
    const texts = replies.map((m) => m.toString('latin1')).sort();
    assert.deepEqual(texts, ['\x00\x05\x00\x04Missing mode\x00', '\x00\x05\x00\x04Unknown mode\x00'], 'only the requests are answered');
    await apiary.stop();
    assert.ok((await payloads<{ reason: string }>(apiary.dir, 'protocol.malformed')).some((p) => p.reason === 'unknown opcode 0'), 'the probe is still recorded');
  } finally {
    client.close();
    await apiary.stop();
  }
});
