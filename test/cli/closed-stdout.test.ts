// Commands that print end quietly when their reader stops early (`apiary replay S --instant | head -1`,
// `apiary events | head`): status 0 and nothing on stderr, not an unhandled EPIPE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CLI, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

/** Runs `apiary ARGS`, closes its stdout after the first chunk (as head does) and waits for its exit. */
function runClosedEarly(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout.once('data', () => proc.stdout.destroy());
  const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stderr });
    }),
  );
}

test('replay --instant ends quietly when its reader closes stdout early', async () => {
  const dir = tempDir();
  const configPath = writeConfig(dir, {});
  mkdirSync(join(dir, 'data', 'recordings'), { recursive: true });
  // Far more than a pipe's buffer, so the replay is still writing when the reader has gone.
  const lines = [JSON.stringify({ version: 2, width: 80, height: 24 })];
  for (let i = 0; i < 20_000; i++) lines.push(JSON.stringify([i / 1000, 'o', `line ${i} ${'x'.repeat(60)}\r\n`]));
  writeFileSync(join(dir, 'data', 'recordings', 'abcd1234.cast'), `${lines.join('\n')}\n`);
  const r = await runClosedEarly(['replay', 'abcd1234', '--instant', '--config', configPath]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});

test('events --json ends quietly when its reader closes stdout early', async () => {
  const dir = tempDir();
  const configPath = writeConfig(dir, {});
  mkdirSync(join(dir, 'data'), { recursive: true });
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const events = [];
  for (let i = 0; i < 5_000; i++) events.push(makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), src: `10.0.0.${i % 200}`, payload: { transport: 'tcp' } }));
  await store.insertBatch(events);
  await store.close();
  const r = await runClosedEarly(['events', '--json', '--config', configPath]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});
