// The HTTPS certificate looks like Debian's snakeoil one: made some time ago, valid for 3650 days from then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateCertificate, SNAKEOIL_DAYS } from '../../../src/sensors/http/tls-cert.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('the generated certificate is valid for exactly 3650 days from a day in the past, for the host name', async () => {
  const { cert } = await loadOrCreateCertificate(join(tempDir(), 'tls'), 'www.example.net');
  const x = new X509Certificate(cert);
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  assert.equal(to - from, SNAKEOIL_DAYS * 86_400_000, `${x.validFrom} .. ${x.validTo}`);
  assert.ok(from < Date.now() - 29 * 86_400_000, 'made at least a month ago');
  assert.match(x.subject, /CN=www\.example\.net/);
  assert.match(x.subjectAltName ?? '', /DNS:www\.example\.net/);
});
