// Real-client test: OpenSSH `ssh` (through sshpass) tries three passwords against the SSH sensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiaryProcess } from '../../helpers/apiary-process.js';
import { sshWithPassword } from '../../helpers/ssh-tools.js';

test('ssh tries three passwords: exactly those attempts, right success flags, version and open/close per connection', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'ssh-real-client',
    auth: [{ user: 'root', password: 'Tr0ub4dor&3', allow: true }],
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
  });
  try {
    const port = apiary.ports.ssh!;
    const tries = [
      { password: 'wrong-one', ok: false },
      { password: 'letmein', ok: false },
      { password: 'Tr0ub4dor&3', ok: true },
    ];
    for (const t of tries) {
      const r = await sshWithPassword(port, 'root', t.password, 'id');
      if (t.ok) assert.equal(r.code, 0, `login with the allowed password should succeed: ${r.stderr}`);
      else assert.notEqual(r.code, 0, 'login with a refused password should fail');
    }
    await apiary.stop();
    // Sensor-level announcements (honeytoken.planted) belong to no connection.
    const events = (await apiary.events()).filter((e) => e.protocol === 'ssh');
    const attempts = events.filter((e) => e.type === 'auth.attempt');
    assert.deepEqual(
      attempts.map((e) => [e.username, e.password, e.success]),
      tries.map((t) => ['root', t.password, t.ok]),
    );
    for (const e of attempts) {
      assert.ok(e.method === 'password' || e.method === 'keyboard-interactive');
      assert.equal(e.sensor, 'ssh-real-client');
      assert.equal(e.protocol, 'ssh');
      assert.equal(e.src_ip, '127.0.0.1');
      assert.equal(e.dst_port, port);
    }
    const sessions = [...new Set(events.map((e) => e.session))];
    assert.equal(sessions.length, 3, 'one session per connection');
    for (const s of sessions) {
      const types = events.filter((e) => e.session === s).map((e) => e.type);
      assert.equal(types[0], 'connection.open');
      assert.equal(types.at(-1), 'connection.close');
      assert.equal(types.filter((t) => t === 'connection.open').length, 1);
      assert.equal(types.filter((t) => t === 'connection.close').length, 1);
      const version = events.find((e) => e.session === s && e.type === 'client.version');
      assert.match(String(version?.version), /^SSH-2\.0-OpenSSH_/);
      const kex = events.find((e) => e.session === s && e.type === 'client.kex');
      assert.match(String(kex?.hassh), /^[0-9a-f]{32}$/);
    }
    const cmd = events.find((e) => e.type === 'command.input');
    assert.equal(cmd?.input, 'id');
    for (const e of events) assert.match(String(e.id), /^[0-9A-Z]{26}$/);
    const ids = events.map((e) => String(e.id));
    assert.deepEqual([...ids].sort(), ids, 'ids sort in time order');
  } finally {
    await apiary.stop();
  }
});
