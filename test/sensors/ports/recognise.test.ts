// The first-bytes recogniser: known client greetings are named, and no input makes it throw or hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSocks5Request, MAX_PROBE_BYTES, probeIncomplete, recogniseProbe } from '../../../src/sensors/ports/recognise.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('known client greetings are named', () => {
  // mstsc: TPKT + X.224 CR with a mstshash cookie and an RDP negotiation request.
  const rdp = Buffer.concat([hex('0300002a25e00000000000'), Buffer.from('Cookie: mstshash=Administr\r\n'), hex('0100080003000000')]);
  rdp.writeUInt16BE(rdp.length, 2);
  rdp[4] = rdp.length - 5;
  assert.deepEqual(recogniseProbe(rdp), { name: 'rdp', detail: 'mstshash=Administr' });
  assert.deepEqual(recogniseProbe(hex('050100')), { name: 'socks5', detail: 'methods=00' });
  assert.deepEqual(recogniseProbe(hex('05020002')), { name: 'socks5', detail: 'methods=00,02' });
  assert.deepEqual(recogniseProbe(Buffer.concat([hex('04010050c0a80001'), Buffer.from('bot\0')])), { name: 'socks4', target: { host: '192.168.0.1', port: 80 }, detail: 'user=bot' });
  assert.deepEqual(recogniseProbe(Buffer.concat([hex('040101bb00000001'), Buffer.from('\0ifconfig.me\0')])), { name: 'socks4a', target: { host: 'ifconfig.me', port: 443 } });
  assert.deepEqual(recogniseProbe(Buffer.from('CONNECT www.google.com:443 HTTP/1.1\r\nHost: www.google.com:443\r\n\r\n')), { name: 'http-connect', target: { host: 'www.google.com', port: 443 } });
  assert.deepEqual(recogniseProbe(Buffer.from('GET http://azenv.net/ HTTP/1.1\r\n\r\n')), { name: 'http-proxy', target: { host: 'azenv.net', port: 80 } });
  assert.equal(recogniseProbe(Buffer.from('GET / HTTP/1.0\r\n\r\n'))?.name, 'http');
  assert.deepEqual(recogniseProbe(Buffer.from('RFB 003.008\n')), { name: 'vnc', detail: 'RFB 003.008' });
  assert.deepEqual(recogniseProbe(Buffer.from('SSH-2.0-libssh2_1.10.0\r\n')), { name: 'ssh', detail: 'SSH-2.0-libssh2_1.10.0' });
  assert.equal(recogniseProbe(hex('fffd18fffd20'))?.name, 'telnet');
  assert.equal(recogniseProbe(Buffer.from('EHLO scanner\r\n'))?.name, 'smtp');
  assert.equal(recogniseProbe(Buffer.from('NICK bot123\r\n'))?.name, 'irc');
  assert.equal(recogniseProbe(Buffer.from('')), undefined);
  assert.equal(recogniseProbe(hex('deadbeef')), undefined);
});

test('a TLS ClientHello is named with its server name', () => {
  const sni = Buffer.from('honey.example');
  const ext = Buffer.concat([hex('0000'), Buffer.from([0, sni.length + 5, 0, sni.length + 3, 0, 0, sni.length]), sni]);
  const body = Buffer.concat([hex('0303'), Buffer.alloc(32), hex('00'), hex('0002c02f'), hex('0100'), Buffer.from([ext.length >> 8, ext.length & 255]), ext]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  const rec = Buffer.concat([Buffer.from([0x16, 3, 1, hs.length >> 8, hs.length & 255]), hs]);
  assert.deepEqual(recogniseProbe(rec), { name: 'tls', detail: 'sni=honey.example' });
  assert.equal(probeIncomplete(rec), false);
  assert.equal(probeIncomplete(rec.subarray(0, 20)), true);
});

test('SOCKS5 requests decode with each address type', () => {
  assert.deepEqual(decodeSocks5Request(hex('050100017f00000101bb')), { host: '127.0.0.1', port: 443 });
  assert.deepEqual(decodeSocks5Request(Buffer.concat([hex('0501000307'), Buffer.from('a.b.com'), hex('0050')])), { host: 'a.b.com', port: 80 });
  assert.deepEqual(decodeSocks5Request(hex('05010004 20010db8000000000000000000000001 0016')), { host: '2001:db8:0:0:0:0:0:1', port: 22 });
  assert.equal(decodeSocks5Request(hex('0501000307')), undefined);
});

test('random and truncated bytes never throw, and the verdict depends only on the first MAX_PROBE_BYTES', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
      const b = Buffer.from(bytes);
      recogniseProbe(b);
      probeIncomplete(b);
      decodeSocks5Request(b);
      recogniseProbe(b.subarray(0, cut % (b.length + 1)));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (tail) => {
      const b = Buffer.concat([Buffer.from('GET / HTTP/1.1\r\n'), Buffer.alloc(MAX_PROBE_BYTES), Buffer.from(tail)]);
      assert.deepEqual(recogniseProbe(b), recogniseProbe(b.subarray(0, MAX_PROBE_BYTES)));
    }),
    { numRuns: 50 },
  );
});

test('greetings that start like a known protocol, fuzzed, never throw', () => {
  const prefixes = [hex('0300'), hex('05'), hex('0401'), hex('160301'), Buffer.from('CONNECT '), Buffer.from('RFB ')];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 600 }), (p, rest) => {
      const b = Buffer.concat([p, Buffer.from(rest)]);
      const r = recogniseProbe(b);
      if (r?.target) assert.ok(r.target.port >= 0 && r.target.port <= 65535 && r.target.host.length <= 255);
      probeIncomplete(b);
    }),
    { numRuns: 3000 },
  );
});
