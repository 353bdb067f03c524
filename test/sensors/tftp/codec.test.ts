// The TFTP codec: requests with options, data, ack and error packets; fuzzed datagrams never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTftp, encodeAck, encodeData, encodeError, requestErrorText } from '../../../src/sensors/tftp/codec.js';

test('requests, data, ack and error decode; encoders round-trip', () => {
  assert.deepEqual(decodeTftp(Buffer.from('\x00\x01startup-config\x00octet\x00blksize\x001468\x00', 'latin1')), {
    status: 'ok',
    packet: { op: 'RRQ', filename: 'startup-config', mode: 'octet', options: { blksize: '1468' } },
  });
  assert.equal(decodeTftp(Buffer.from('\x00\x02x.bin\x00NETASCII\x00', 'latin1')).status, 'ok');
  assert.deepEqual(decodeTftp(encodeData(7, Buffer.from('abc'))), { status: 'ok', packet: { op: 'DATA', block: 7, data: Buffer.from('abc') } });
  assert.deepEqual(decodeTftp(encodeAck(65535)), { status: 'ok', packet: { op: 'ACK', block: 65535 } });
  assert.deepEqual(decodeTftp(encodeError(1, 'File not found')), { status: 'ok', packet: { op: 'ERROR', code: 1, message: 'File not found' } });
  assert.equal(decodeTftp(Buffer.from('\x00\x01noterminator', 'latin1')).status, 'malformed');
  assert.equal(decodeTftp(Buffer.from('\x00\x01f\x00weird\x00', 'latin1')).status, 'malformed');
  assert.equal(decodeTftp(Buffer.from([0, 9, 0, 0])).status, 'malformed');
  assert.equal(decodeTftp(encodeData(1, Buffer.alloc(513))).status, 'malformed');
});

test("unparsable requests get tftpd-hpa's error texts", () => {
  const text = (s: string): string => requestErrorText(Buffer.from(s, 'latin1'));
  assert.equal(text('\x00\x01noterminator'), 'Request not null-terminated');
  assert.equal(text('\x00\x01f\x00octet'), 'Request not null-terminated');
  assert.equal(text('\x00\x01f\x00weird\x00'), 'Unknown mode');
  assert.equal(text('\x00\x01f\x00'), 'Missing mode');
  assert.equal(text('\x00\x01\x00octet\x00'), 'Missing mode');
  assert.equal(text('\x00\x01'), 'Missing mode');
  assert.equal(text(`\x00\x01${'a'.repeat(600)}\x00octet\x00`), 'Illegal TFTP operation');
});

test('fuzzed datagrams never throw', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
      const r = decodeTftp(bytes);
      if (r.status === 'ok' && (r.packet.op === 'RRQ' || r.packet.op === 'WRQ')) assert.ok(Object.keys(r.packet.options).length <= 16);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.constantFrom(1, 2), fc.array(fc.string({ maxLength: 70 }), { maxLength: 40 }), (op, parts) => {
      decodeTftp(Buffer.concat([Buffer.from([0, op]), Buffer.from(parts.map((p) => `${p}\0`).join(''), 'latin1')]));
    }),
    { numRuns: 2000 },
  );
});
