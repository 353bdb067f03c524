// The SSH hello codec: golden bytes from OpenSSH, and properties over random and split input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeClientHello, hassh, MAX_IDENT_BYTES } from '../../../src/sensors/ssh/hello-codec.js';

function nameList(items: string[]): Buffer {
  const s = Buffer.from(items.join(','));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(s.length);
  return Buffer.concat([len, s]);
}

function kexinitPacket(lists: string[][]): Buffer {
  const payload = Buffer.concat([Buffer.from([20]), Buffer.alloc(16, 7), ...lists.map(nameList), Buffer.from([0, 0, 0, 0, 0])]);
  const padding = 8 - ((payload.length + 5) % 8) + 4;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + padding + 1);
  head[4] = padding;
  return Buffer.concat([head, payload, Buffer.alloc(padding)]);
}

const LISTS = [
  ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ext-info-c'],
  ['ssh-ed25519', 'rsa-sha2-512'],
  ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
  ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
  ['umac-64-etm@openssh.com', 'hmac-sha2-256'],
  ['umac-64-etm@openssh.com', 'hmac-sha2-256'],
  ['none', 'zlib@openssh.com'],
  ['none', 'zlib@openssh.com'],
  [],
  [],
];
const HELLO = Buffer.concat([Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'), kexinitPacket(LISTS)]);

test('decodes the identification line and KEXINIT; HASSH matches the published definition', () => {
  const r = decodeClientHello(HELLO);
  assert.equal(r.status, 'ok');
  if (r.status !== 'ok') return;
  assert.equal(r.ident.raw, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
  assert.equal(r.ident.software, 'OpenSSH_9.2p1');
  assert.equal(r.ident.comments, 'Debian-2+deb12u3');
  assert.deepEqual(r.kexinit.kex_algs, LISTS[0]);
  const h = hassh(r.kexinit);
  assert.equal(h.algorithms, 'curve25519-sha256,curve25519-sha256@libssh.org,ext-info-c;chacha20-poly1305@openssh.com,aes128-ctr;umac-64-etm@openssh.com,hmac-sha2-256;none,zlib@openssh.com');
  assert.match(h.hassh, /^[0-9a-f]{32}$/);
});

test('non-SSH bytes, overlong idents and bad packet lengths are malformed, not exceptions', () => {
  assert.equal(decodeClientHello(Buffer.from('GET / HTTP/1.1\r\n')).status, 'malformed');
  assert.equal(decodeClientHello(Buffer.from(`SSH-2.0-${'a'.repeat(MAX_IDENT_BYTES)}`)).status, 'malformed');
  const badLen = Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
  assert.equal(decodeClientHello(badLen).status, 'malformed');
  assert.equal(decodeClientHello(Buffer.from('SSH-')).status, 'incomplete');
});

test('property: random bytes never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      const r = decodeClientHello(bytes);
      return ['ok', 'incomplete', 'malformed'].includes(r.status);
    }),
    { numRuns: 5000 },
  );
});

test('property: random bytes after a valid ident never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      const r = decodeClientHello(Buffer.concat([Buffer.from('SSH-2.0-x\r\n'), bytes]));
      return ['ok', 'incomplete', 'malformed'].includes(r.status);
    }),
    { numRuns: 5000 },
  );
});

test('property: every prefix of a valid hello is incomplete, and the whole is ok', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: HELLO.length - 1 }), (cut) => decodeClientHello(HELLO.subarray(0, cut)).status === 'incomplete'),
    { numRuns: 1000 },
  );
});

test('property: corrupting any byte of the KEXINIT yields ok or malformed, never a throw', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: HELLO.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
      const copy = Buffer.from(HELLO);
      copy[i] = v;
      return ['ok', 'incomplete', 'malformed'].includes(decodeClientHello(copy).status);
    }),
    { numRuns: 3000 },
  );
});
