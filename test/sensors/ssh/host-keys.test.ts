// Host keys: generated once, kept, and always readable (ssh2 writes a few unreadable ed25519 keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { generateParseable, loadOrCreateHostKeys, signingHostKeys } from '../../../src/sensors/ssh/host-keys.js';
import { tempDir } from '../../helpers/apiary-process.js';

test('keys are generated on first start, readable, and the same on the next start', () => {
  const dir = tempDir();
  const first = loadOrCreateHostKeys(join(dir, 'keys'));
  assert.equal(first.length, 3);
  for (const k of first) assert.ok(!(ssh2.utils.parseKey(k) instanceof Error));
  const again = loadOrCreateHostKeys(join(dir, 'keys'));
  assert.deepEqual(again.map((k) => k.toString()), first.map((k) => k.toString()));
  assert.match(readFileSync(join(dir, 'keys', 'ssh_host_ed25519_key.pub'), 'utf8'), /^ssh-ed25519 /);
});

test('fresh ed25519 keys are always readable back', () => {
  // ssh2 writes about 1 in 250 ed25519 keys in a form it cannot read back; without the retry, 2,000
  // keys would almost surely include one, and a fresh install would fail to start.
  for (let i = 0; i < 2000; i++) {
    const pair = generateParseable('ed25519', {});
    assert.ok(!(ssh2.utils.parseKey(pair.private) instanceof Error));
  }
});

test('host keys sign with a key object: ssh2 verifies every signature, and deterministic ones are the same bytes', () => {
  const dir = tempDir();
  const files = loadOrCreateHostKeys(join(dir, 'keys'));
  const keys = signingHostKeys(files);
  assert.deepEqual(keys.map((k) => k.key.type), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
  const data = Buffer.from('an exchange hash stands here');
  files.forEach((file, i) => {
    const own = ssh2.utils.parseKey(file) as ParsedKey;
    const fast = keys[i]!.key;
    // Each digest the key exchange can ask for: none (the type's default), and RSA's SHA-2 ones.
    for (const algo of fast.type === 'ssh-rsa' ? [undefined, 'sha256', 'sha512'] : [undefined]) {
      const sig = fast.sign(data, algo);
      assert.ok(Buffer.isBuffer(sig), `${fast.type} ${algo}: ${String(sig)}`);
      assert.equal(own.verify(data, sig, algo), true, `${fast.type} ${algo ?? 'default'} verifies`);
      assert.equal(own.verify(Buffer.from('another hash'), sig, algo), false);
      // ed25519 and RSA PKCS#1 v1.5 signatures depend only on key and data; ECDSA's are randomised.
      if (fast.type !== 'ecdsa-sha2-nistp256') assert.deepEqual(sig, own.sign(data, algo));
    }
    // A failure comes back as an Error, as from ssh2's own sign(), which fails the key exchange cleanly.
    assert.ok(fast.sign(data, 'no-such-digest') instanceof Error);
  });
});

test('the ssh2 client completes a key exchange with each host key algorithm against the signing keys', async () => {
  const keys = signingHostKeys(loadOrCreateHostKeys(join(tempDir(), 'keys')));
  const server = new ssh2.Server({ hostKeys: keys }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () => client.end());
    client.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    for (const serverHostKey of ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) {
      const agreed = await new Promise<string>((resolve, reject) => {
        const c = new ssh2.Client();
        let chosen = '';
        c.on('handshake', (n) => (chosen = n.serverHostKey));
        c.on('ready', () => {
          c.end();
          resolve(chosen);
        });
        c.on('error', reject);
        c.connect({ host: '127.0.0.1', port, username: 'root', password: 'x', algorithms: { serverHostKey: [serverHostKey as never] } });
      });
      assert.equal(agreed, serverHostKey);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
});
