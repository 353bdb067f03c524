// The paper's "jumping": an attacker reads the fake staff credentials from the decoy MySQL and tries
// them on SSH. The planted credential is accepted there too, and both logins are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { sshWithPassword } from '../../helpers/ssh-tools.js';

test('a credential read from the decoy admins table logs in over SSH, and the token is registered', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'jump',
    auth: [{ user: 'root', password: '123456', allow: true }],
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 }, mysql: { listen: ['127.0.0.1:0'] } },
  });
  try {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: apiary.ports.mysql!, user: 'root', password: '123456' });
    let cred: { username: string; password: string };
    try {
      const [dbs] = await c.query('SHOW DATABASES');
      const app = (dbs as { Database: string }[]).map((d) => d.Database).find((d) => !['information_schema', 'mysql', 'performance_schema', 'sys'].includes(d))!;
      const [rows] = await c.query(`SELECT username, password FROM \`${app}\`.admins WHERE id = 2`);
      cred = (rows as { username: string; password: string }[])[0]!;
    } finally {
      await c.end();
    }
    const ok = await sshWithPassword(apiary.ports.ssh!, cred.username, cred.password, 'id');
    assert.equal(ok.code, 0, `the planted credential opens SSH: ${ok.stderr}`);
    const wrong = await sshWithPassword(apiary.ports.ssh!, cred.username, `${cred.password}x`, 'id');
    assert.notEqual(wrong.code, 0);
    await apiary.stop();
    const events = await apiary.events();
    const planted = events.filter((e) => e.type === 'honeytoken.planted');
    const token = planted.find((e) => e.username === cred.username);
    assert.ok(token, 'the credential is registered as a honeytoken');
    assert.equal(token.secret, cred.password);
    assert.equal(token.accepted, true);
    assert.deepEqual(token.locations, [String(token.locations)]);
    assert.ok(events.some((e) => e.type === 'auth.attempt' && e.protocol === 'ssh' && e.username === cred.username && e.password === cred.password && e.success === true));
  } finally {
    await apiary.stop();
  }
});
