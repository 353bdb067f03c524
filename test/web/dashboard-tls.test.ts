// The dashboard's certificate: the operator's own PEM files when configured; a dashboard port already
// taken stops start-up with a message naming dashboard.listen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { generate } from 'selfsigned';
import { startApiaryProcess, tempDir } from '../helpers/apiary-process.js';

function peerCommonName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(String(s.getPeerCertificate().subject?.CN));
      s.end();
    });
    s.on('error', reject);
  });
}

test('dashboard.tls_cert/tls_key: the operator certificate is served', async () => {
  const dir = tempDir();
  const pems = await generate([{ name: 'commonName', value: 'console.apiary.test' }], { keySize: 2048, algorithm: 'sha256' });
  writeFileSync(join(dir, 'd.crt'), pems.cert);
  writeFileSync(join(dir, 'd.key'), pems.private);
  const apiary = await startApiaryProcess(
    { sensor: 'dash-tls', services: { ssh: { listen: ['127.0.0.1:0'] } }, dashboard: { listen: '127.0.0.1:0', tls_cert: join(dir, 'd.crt'), tls_key: join(dir, 'd.key'), admin_password: 'tls password 123' } },
    { dir },
  );
  try {
    assert.equal(await peerCommonName(apiary.ports.dashboard!), 'console.apiary.test');
  } finally {
    await apiary.stop();
  }
});

test('a dashboard port already in use stops start-up with APIARY_LISTEN_FAILED naming dashboard.listen', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      startApiaryProcess({ sensor: 'dash-busy', services: { ssh: { listen: ['127.0.0.1:0'] } }, dashboard: { listen: `127.0.0.1:${port}` } }),
      (err: Error) => /APIARY_LISTEN_FAILED: the dashboard cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE.*dashboard\.listen/.test(err.message),
    );
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});
