// Enrolment tokens and the CA: tokens round-trip and never parse from junk; certificates carry the
// name, the usage and the issuer the collector checks; central settings are validated, never thrown on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { CertificateAuthority, CLIENT_AUTH_OID, formatToken, newEnrolmentSecret, newKeyPair, parseToken, SERVER_AUTH_OID } from '../../src/transport/pki.js';
import { parseCentralSettings } from '../../src/cli/honeynet-commands.js';
import { tempDir } from '../helpers/apiary-process.js';

test('tokens round-trip (names with dots too) and junk never parses or throws', () => {
  const ca = 'ab'.repeat(32);
  for (const name of ['dmz-1', 'lan.floor-2', 'a']) {
    const t = { name, secret: newEnrolmentSecret(), caFingerprint: ca };
    assert.deepEqual(parseToken(formatToken(t)), t);
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const t = parseToken(s);
      if (t) assert.equal(formatToken(t), s.trim());
    }),
    { numRuns: 2000 },
  );
  assert.equal(parseToken(`apiary1.x.${'A'.repeat(42)}.${ca}`), undefined, 'short secret');
  assert.equal(parseToken(`apiary1.x/y.${'A'.repeat(43)}.${ca}`), undefined, 'bad name');
});

test('the CA signs sensor client certificates and a server certificate for the names given; it is kept on disk', async () => {
  const dir = join(tempDir(), 'ca');
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const again = await CertificateAuthority.loadOrCreate(dir);
  assert.equal(again.fingerprint, ca.fingerprint);
  const caCert = new X509Certificate(ca.certPem);
  const kp = newKeyPair();
  const sensor = await ca.issueSensorCert('dmz-1', kp.publicKey);
  const s = new X509Certificate(sensor.cert);
  assert.equal(s.subject, 'CN=dmz-1');
  assert.ok(s.checkIssued(caCert) && s.verify(caCert.publicKey));
  assert.deepEqual(s.keyUsage, [CLIENT_AUTH_OID]);
  assert.equal(s.serialNumber.replace(/^0+/, ''), sensor.serial);
  const server = await ca.issueServerCert(['127.0.0.1', 'collector.example.org']);
  const sv = new X509Certificate(server.cert);
  assert.deepEqual(sv.keyUsage, [SERVER_AUTH_OID]);
  assert.match(sv.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.match(sv.subjectAltName ?? '', /DNS:collector\.example\.org/);
  await assert.rejects(ca.issueSensorCert('apiary-collector', kp.publicKey), /bad sensor name/);
  await assert.rejects(ca.issueSensorCert('a/b', kp.publicKey), /bad sensor name/);
});

test('central service settings: valid ones parse, anything else is undefined, never a throw', () => {
  assert.deepEqual(parseCentralSettings({ version: 'v1', services: { ssh: { listen: ['127.0.0.1:0'] } } })?.services.ssh?.listen, ['127.0.0.1:0']);
  assert.equal(parseCentralSettings({ version: 'v1', services: { ssh: { listen: ['example.org:22'] } } }), undefined, 'host names are refused as in the config file');
  assert.equal(parseCentralSettings({ version: 'v1', services: { nope: {} } }), undefined);
  fc.assert(fc.property(fc.anything(), (v) => void parseCentralSettings(v)), { numRuns: 500 });
});
