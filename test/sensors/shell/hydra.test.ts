// hydra brute-forces the SSH and Telnet sensors with a wordlist and finds the one password the
// auth policy accepts; every attempt is recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess, tempDir } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';

const WORDS = ['123456', 'admin', 'qwerty', 'letmein', 'Winter2025', 'dragon', 'password'];

test('hydra finds the accepted password over ssh and over telnet', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'hydra-target',
    auth: [{ user: 'root', password: 'Winter2025' }],
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 }, telnet: { listen: ['127.0.0.1:0'], failure_delay_ms: 0 } },
    shell: { seed: 'hydra' },
  });
  const list = join(tempDir(), 'words.txt');
  writeFileSync(list, `${WORDS.join('\n')}\n`);
  try {
    for (const [service, port] of [['ssh', apiary.ports.ssh!], ['telnet', apiary.ports.telnet!]] as const) {
      const r = await run('hydra', ['-l', 'root', '-P', list, '-t', '4', '-s', String(port), '-I', '-f', '127.0.0.1', service], { timeoutMs: 90_000 });
      assert.match(r.stdout, new RegExp(`\\[${port}\\]\\[${service}\\] host: 127\\.0\\.0\\.1 +login: root +password: Winter2025`), `${service}:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /1 valid password found/);
    }
    await apiary.stop();
    const events = await apiary.events(['--type', 'auth.attempt']);
    for (const proto of ['ssh', 'telnet']) {
      const mine = events.filter((e) => e.protocol === proto);
      assert.ok(mine.some((e) => e.password === 'Winter2025' && e.success === true), proto);
      assert.ok(mine.filter((e) => e.success === false).length >= 1, proto);
    }
  } finally {
    await apiary.stop();
  }
});
