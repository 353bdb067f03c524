// A MySQL 5.7 decoy: the greeting offers mysql_native_password, nmap -sV names the version, and a
// password in no list is stored as a hashcat-11200 hash that cracks to what hydra sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';
import { nativeScramble } from '../../../src/sensors/mysql/scramble.js';

test('MySQL 5.7 decoy: native greeting, nmap version, hydra hashes that crack', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'mysql57',
    auth: [{ user: 'root', password: 'root', allow: true }],
    services: { mysql: { listen: ['127.0.0.1:0'], version: '5.7.44-log' } },
  });
  try {
    const port = apiary.ports.mysql!;
    const login = await run('mariadb', ['-h', '127.0.0.1', '-P', String(port), '-u', 'root', '-proot', '--batch', '-e', 'SELECT @@version, @@version_comment'], { timeoutMs: 30_000 });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /5\.7\.44-log\tMySQL Community Server \(GPL\)/);
    const sv = await run('nmap', ['-Pn', '-n', '-sV', '-p', String(port), '--script', 'mysql-info', '127.0.0.1'], { timeoutMs: 120_000 });
    assert.match(sv.stdout, /open\s+mysql\s+MySQL 5\.7\.44-log/);
    assert.match(sv.stdout, /Auth Plugin Name: mysql_native_password/);
    const words = join(apiary.dir, 'w.txt');
    writeFileSync(words, 'Kx-7-unlisted\nroot\n');
    const h = await run('hydra', ['-l', 'root', '-P', words, '-t', '1', '-I', `mysql://127.0.0.1:${port}`], { timeoutMs: 60_000 });
    assert.match(h.stdout, /login: root\s+password: root/);
    const attempts = (await apiary.events(['--type', 'auth.attempt'])).filter((e) => e.username === 'root');
    const hashed = attempts.find((e) => typeof e.hash === 'string');
    const m = /^\$mysqlna\$([0-9a-f]{40})\*([0-9a-f]{40})$/.exec(String(hashed?.hash));
    assert.ok(m, `a hash in hashcat 11200 form: ${JSON.stringify(attempts)}`);
    assert.equal(nativeScramble('Kx-7-unlisted', Buffer.from(m[1]!, 'hex')).toString('hex'), m[2]);
    assert.ok(attempts.some((e) => e.password === 'root' && e.success === true));
  } finally {
    await apiary.stop();
  }
});
