// The CPU budget for recovering MySQL passwords, with the real clients: a flood of failed
// caching_sha2_password logins (mysql2, which sends its password RSA-encrypted) from one source past a
// small RSA budget. Every login is refused as before (1045); past the budget the password is not
// decrypted, and the event says so and keeps the ciphertext; a user whose rule takes unlisted passwords
// still gets in; another source's passwords are still decrypted. The mariadb client (libmariadb 3.3)
// sends its password in cleartext when asked for full authentication: it costs no decryption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPrivateKey, privateDecrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';

/** The flooding source's RSA decryptions a second (and its burst, one second's worth). */
const RSA_S = 1;
const FLOOD = 30;
const MARIADB_RUNS = 3;

/** The password a skipped event's ciphertext holds, decrypted as the event catalogue says. */
function decryptLater(keyPem: Buffer, e: Record<string, unknown>): string {
  const salt = Buffer.from(/^\$mysql-sha2\$([0-9a-f]{40})\*[0-9a-f]{64}$/.exec(String(e.hash))![1]!, 'hex');
  const x = privateDecrypt({ key: createPrivateKey(keyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(String(e.rsa_ciphertext), 'hex'));
  for (let i = 0; i < x.length; i++) x[i] = x[i]! ^ salt[i % salt.length]!;
  return x.subarray(0, x.indexOf(0)).toString('utf8');
}

test('past its RSA budget a source is refused the same and not decrypted, the ciphertext kept; another source is decrypted', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'mysql-recovery-budget',
    auth: [
      { user: 'root', password: ['123456'], allow: true },
      { user: 'deploy', password: '/^Deploy-[0-9]{4}$/', allow: true },
    ],
    services: { mysql: { listen: ['127.0.0.1:0'], version: '8.0.36' } },
    decoy: { database: 'webshop' },
    limits: { per_source_connections: 64, source_rsa_decryptions_s: RSA_S, global_rsa_decryptions_s: 1000 },
  });
  const port = apiary.ports.mysql!;
  const nonce = randomBytes(4).toString('hex');
  const flooded = Array.from({ length: FLOOD }, (_, i) => `Flood-${nonce}-${i}`);
  const byMariadb = Array.from({ length: MARIADB_RUNS }, (_, i) => `Mdb-${nonce}-${i}`);
  // Its bucket holds one second's worth (RSA_S) at first.
  const other = Array.from({ length: RSA_S }, (_, i) => `Other-${nonce}-${i}`);
  let elapsedS: number;
  try {
    const started = Date.now();
    const flood = await Promise.allSettled(flooded.map((password) => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password })));
    for (const r of flood) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.errno, 1045, String((r as PromiseRejectedResult).reason));
    }
    elapsedS = (Date.now() - started) / 1000;
    for (const password of byMariadb) {
      const r = await run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', 'root', `-p${password}`, '--batch', '--connect-timeout=10', '-e', 'SELECT 1'], { timeoutMs: 30_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^ERROR 1045 \(28000\): Access denied for user 'root'@'127\.0\.0\.1' \(using password: YES\)$/m);
    }
    // Past the budget, a login whose rule takes passwords it does not list is still decided by its password.
    const deploy = await mysql.createConnection({ host: '127.0.0.1', port, user: 'deploy', password: 'Deploy-2024' });
    await deploy.end();
    // Another source (127.0.0.2; mysql2 takes no local address, so its socket is given) has its own budget.
    for (const password of other) {
      const stream = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
      await assert.rejects(mysql.createConnection({ stream, user: 'root', password }), (e: { errno?: number }) => e.errno === 1045);
    }
  } finally {
    await apiary.stop();
  }

  const attempts = await apiary.events(['--type', 'auth.attempt', '--limit', '100000']);
  const root = attempts.filter((e) => e.src_ip === '127.0.0.1' && e.username === 'root');
  assert.equal(root.length, FLOOD + MARIADB_RUNS, 'one event per attempt');
  assert.ok(root.every((e) => e.success === false));
  // mariadb's cleartext passwords are recorded whatever the budget.
  assert.deepEqual(root.filter((e) => String(e.password).startsWith('Mdb-')).map((e) => e.password).sort(), byMariadb);
  const mine = root.filter((e) => !String(e.password).startsWith('Mdb-'));
  const decrypted = mine.filter((e) => typeof e.password === 'string');
  const skipped = mine.filter((e) => e.recovery === 'skipped_budget');
  assert.equal(decrypted.length + skipped.length, mine.length, 'each attempt is decrypted or says why not');
  // A full bucket (one second's worth), then RSA_S a second.
  assert.ok(decrypted.length <= RSA_S + RSA_S * elapsedS, `${decrypted.length} decrypted in ${elapsedS} s`);
  assert.ok(skipped.length >= 1, `${skipped.length} skipped`);
  // Nothing is lost: each skipped event's ciphertext decrypts, with the sensor's key, to what was sent.
  const key = readFileSync(join(apiary.dir, 'data', 'keys', 'mysql', 'private_key.pem'));
  const recovered = [...decrypted.map((e) => String(e.password)), ...skipped.map((e) => decryptLater(key, e))];
  assert.deepEqual(recovered.sort(), [...flooded].sort());
  assert.ok(attempts.some((e) => e.username === 'deploy' && e.password === 'Deploy-2024' && e.success === true));
  const second = attempts.filter((e) => e.src_ip === '127.0.0.2');
  assert.deepEqual(second.map((e) => [e.password, e.recovery]).sort(), other.map((p) => [p, undefined]));
});
