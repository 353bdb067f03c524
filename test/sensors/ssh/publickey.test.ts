// Public-key logins: OpenSSH's client offering a key is recorded with the fingerprint ssh-keygen
// prints; a client offering key after key is cut at max_auth_tries as sshd cuts it, each key recorded once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { startApiaryProcess, tempDir } from '../../helpers/apiary-process.js';
import { run, SSH_OPTS } from '../../helpers/ssh-tools.js';

const CONFIG = { services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, max_auth_tries: 4 } } };

// One key of each type OpenSSH makes by default: the client picks the signature algorithm it names
// from the server's server-sig-algs (rsa-sha2-512 for RSA), which must still reach the sensor as a key query.
for (const [type, label, keyType] of [['ed25519', 'Ed25519', 'ssh-ed25519'], ['ecdsa', 'ECDSA', 'ecdsa-sha2-nistp256'], ['rsa', 'RSA', 'ssh-rsa']] as const) {
  test(`OpenSSH's ssh offering an ${label} key: one publickey attempt with the key's type and ssh-keygen's fingerprint`, async () => {
    const apiary = await startApiaryProcess(CONFIG);
    try {
      const key = join(tempDir(), `id_${type}`);
      assert.equal((await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', key])).code, 0);
      const fingerprint = /(SHA256:\S+)/.exec((await run('ssh-keygen', ['-l', '-f', `${key}.pub`])).stdout)![1];
      const opts = SSH_OPTS.map((o) => (o === 'PubkeyAuthentication=no' ? 'PubkeyAuthentication=yes' : o));
      const r = await run('ssh', [...opts, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey', '-i', key, '-p', String(apiary.ports.ssh), 'admin@127.0.0.1', 'true'], { timeoutMs: 30_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Permission denied \(publickey,password\)/);
      await apiary.stop();
      const attempts = (await apiary.events()).filter((e) => e.type === 'auth.attempt');
      assert.deepEqual(attempts.map((e) => [e.method, e.username, e.key_type, e.key_fingerprint, e.success]), [['publickey', 'admin', keyType, fingerprint, false]]);
    } finally {
      await apiary.stop();
    }
  });
}

test('a client offering key after key is disconnected at max_auth_tries; each key is recorded once', async () => {
  const apiary = await startApiaryProcess(CONFIG);
  try {
    const keys = Array.from({ length: 10 }, () => ssh2.utils.generateKeyPairSync('ed25519').private);
    let offered = 0;
    const client = new ssh2.Client();
    const ended = new Promise<string>((resolve) => {
      client.on('ready', () => resolve('logged in'));
      client.on('error', (err) => resolve(err.message));
      client.on('close', () => resolve('closed'));
    });
    client.connect({
      host: '127.0.0.1',
      port: apiary.ports.ssh!,
      username: 'root',
      // The same key twice, then new ones: a repeated key is one event.
      authHandler: (_methods, _partial, next) => {
        if (offered >= 12) return next(false as unknown as ssh2.AuthenticationType); // false: no more methods (ssh2 ends the attempt)
        const key = keys[offered === 1 ? 0 : offered]!;
        offered++;
        next({ type: 'publickey', username: 'root', key } satisfies ssh2.PublicKeyAuthMethod);
      },
    });
    assert.notEqual(await ended, 'logged in');
    client.end();
    assert.equal(offered, 4, 'disconnected after the fourth key query (max_auth_tries 4)');
    await apiary.stop();
    const events = await apiary.events();
    const attempts = events.filter((e) => e.type === 'auth.attempt');
    assert.equal(attempts.length, 3, 'the key offered twice is one event');
    assert.ok(attempts.every((e) => e.method === 'publickey' && String(e.key_fingerprint).startsWith('SHA256:')));
    assert.deepEqual(events.filter((e) => e.type === 'connection.close').map((e) => e.reason), ['policy']);
  } finally {
    await apiary.stop();
  }
});
