// Real-client tests with hydra: a dictionary attack finds the one allowed password and every attempt
// is stored; `kill -9` mid-attack loses at most the events of connections still open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiaryProcess, tempDir, waitFor } from '../../helpers/apiary-process.js';
import { run } from '../../helpers/ssh-tools.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const SECRET = 'zebra-77!';

function wordlist(dir: string, n = 200, secretAt = 137): string {
  const words = Array.from({ length: n - 1 }, (_, i) => `guess-${String(i).padStart(3, '0')}`);
  words.splice(secretAt, 0, SECRET);
  const path = join(dir, 'words.txt');
  writeFileSync(path, `${words.join('\n')}\n`);
  return path;
}

/** Passwords hydra says it tried ("[ATTEMPT] ... pass "x" - n of m"). */
function hydraAttempts(out: string): string[] {
  return [...out.matchAll(/^\[(?:RE-)?ATTEMPT\].* pass "(.*)" - \d+ of \d+/gm)].map((m) => m[1]!);
}

test('hydra with a 200-word list finds the allowed password and every attempt is stored', async () => {
  const dir = tempDir();
  const apiary = await startApiaryProcess(
    {
      auth: [{ user: 'root', password: SECRET, allow: true }],
      services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 0, max_auth_tries: 1000 } },
    },
    { dir },
  );
  try {
    const r = await run('hydra', ['-l', 'root', '-P', wordlist(dir), '-t', '4', '-V', '-I', `ssh://127.0.0.1:${apiary.ports.ssh}`], { timeoutMs: 120_000 });
    assert.match(r.stdout, new RegExp(`login: root\\s+password: ${SECRET.replace(/[!]/g, '\\$&')}`), r.stdout + r.stderr);
    const tried = hydraAttempts(r.stdout);
    assert.ok(tried.length > 100, `hydra made ${tried.length} attempts`);
    await apiary.stop();
    const stored = (await apiary.events(['--type', 'auth.attempt'])).filter((e) => e.method === 'password');
    assert.deepEqual(stored.map((e) => e.password).sort(), [...tried].sort(), 'stored attempts equal hydra\'s attempts, one for one');
    assert.equal(stored.filter((e) => e.success).length, 1);
    assert.equal(stored.find((e) => e.success)?.password, SECRET);
  } finally {
    await apiary.stop();
  }
});

test('kill -9 during a hydra run loses at most the events of open connections; restart keeps every earlier event', async () => {
  const dir = tempDir();
  const config = {
    auth: [{ user: 'root', password: SECRET, allow: true }],
    services: { ssh: { listen: ['127.0.0.1:0'], failure_delay_ms: 40 } },
  };
  const apiary = await startApiaryProcess(config, { dir });
  const dbPath = join(dir, 'data', 'apiary.db');
  // hydra forks one process per task: run it in its own process group so all of it can be ended.
  const hydra = spawn('hydra', ['-l', 'root', '-P', wordlist(dir, 200, 199), '-t', '4', '-V', '-I', `ssh://127.0.0.1:${apiary.ports.ssh}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let hydraOut = '';
  hydra.stdout.setEncoding('utf8').on('data', (d: string) => (hydraOut += d));
  const hydraDone = new Promise<void>((r) => hydra.once('close', () => r()));
  let beforeIds: string[] = [];
  try {
    const reader = new SqliteStore(dbPath, { readonly: true });
    await waitFor(async () => (await reader.count({ type: 'auth.attempt' })) >= 40, 60_000);
    beforeIds = (await reader.query({})).map((e) => e.id);
    await reader.close();
    await apiary.kill9();
  } finally {
    try {
      process.kill(-hydra.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await hydraDone;
    await apiary.kill9();
  }
  const tried = new Set(hydraAttempts(hydraOut));
  const restarted = await startApiaryProcess(config, { dir });
  try {
    await restarted.stop();
    const store = new SqliteStore(dbPath, { readonly: true });
    assert.equal(store.integrityCheck(), 'ok');
    const after = await store.query({});
    await store.close();
    const afterIds = new Set(after.map((e) => e.id));
    for (const id of beforeIds) assert.ok(afterIds.has(id), `event ${id} stored before the kill is kept`);
    // Sessions whose close was recorded are complete.
    const bySession = new Map<string, string[]>();
    for (const e of after) bySession.set(e.session, [...(bySession.get(e.session) ?? []), e.type]);
    for (const [s, types] of bySession) {
      if (types.includes('connection.close')) assert.equal(types[0], 'connection.open', `session ${s} starts with its open`);
    }
    // What hydra tried but the store lacks can only come from the connections open at the kill:
    // 4 hydra tasks x 6 attempts per connection (sshd's MaxAuthTries, the default here).
    const storedPasswords = new Set(after.filter((e) => e.type === 'auth.attempt').map((e) => String((e.payload as { password?: string }).password)));
    const lost = [...tried].filter((p) => !storedPasswords.has(p));
    assert.ok(lost.length <= 4 * 6, `lost ${lost.length} attempts: ${lost.join(', ')}`);
    const unclosed = [...bySession.values()].filter((t) => t.includes('connection.open') && !t.includes('connection.close')).length;
    assert.ok(unclosed <= 8, `${unclosed} sessions without a close (open at the kill)`);
  } finally {
    await restarted.stop();
  }
});
