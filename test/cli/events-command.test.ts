// `apiary events`: --limit N lists the oldest N, --last N the newest N (printed oldest first too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli, tempDir, writeConfig } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

test('`apiary events --last N` lists the newest N events, oldest first; --limit N the oldest N; both at once is a usage error', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, {});
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  const events = ['01', '02', '03', '04', '05'].map((d) => makeEvent({ type: 'connection.open', time: `2025-01-${d}T00:00:00.000Z`, src: `198.51.100.${Number(d)}`, payload: { transport: 'tcp' } }));
  // Stored out of time order, as a late import or a sensor's spool would store them.
  await store.insertBatch([3, 0, 4, 1, 2].map((i) => events[i]!));
  await store.close();
  const times = async (...args: string[]): Promise<string[]> =>
    (await runCli(['events', '--config', config, '--json', ...args])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { time: string }).time.slice(0, 10));
  assert.deepEqual(await times('--last', '2'), ['2025-01-04', '2025-01-05']);
  assert.deepEqual(await times('--limit', '2'), ['2025-01-01', '2025-01-02']);
  assert.deepEqual(await times('--last', '9'), ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04', '2025-01-05']);
  assert.deepEqual(await times('--last', '1', '--until', '2025-01-03'), ['2025-01-02']);
  const table = await runCli(['events', '--config', config, '--last', '1']);
  assert.match(table.stdout, /2025-01-05T00:00:00\.000Z .*198\.51\.100\.5/);
  assert.match(table.stdout, /\n1 event\n$/);
  const both = await runCli(['events', '--config', config, '--last', '1', '--limit', '1'], { allowFail: true });
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /APIARY_CLI_USAGE.*--limit and --last/);
  const bad = await runCli(['events', '--config', config, '--last', '0'], { allowFail: true });
  assert.match(bad.stderr, /flag --last: expected a whole number of at least 1/);
});

test('`apiary events` refuses an unknown --type (suggesting the nearest) and an address --src cannot be, and finds IPv6 sources however written', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, {});
  const store = new SqliteStore(join(dir, 'data', 'apiary.db'));
  await store.insertBatch([
    makeEvent({ type: 'connection.open', time: '2025-01-01T00:00:00.000Z', src: '198.51.100.1', payload: { transport: 'tcp' } }),
    // As a sensor stores a client's address: compressed and lowercase, as the socket gives it.
    makeEvent({ type: 'connection.open', time: '2025-01-02T00:00:00.000Z', src: '2001:db8::7', payload: { transport: 'tcp' } }),
  ]);
  await store.close();
  const usage = async (...args: string[]): Promise<string> => {
    const r = await runCli(['events', '--config', config, ...args], { allowFail: true });
    assert.notEqual(r.code, 0, `${args.join(' ')} is refused`);
    return r.stderr;
  };
  assert.match(await usage('--type', 'nosuch.type'), /APIARY_CLI_USAGE.*flag --type: no event type "nosuch\.type"\. ?Event types \(docs\/events\.md\): connection\.open, /);
  assert.match(await usage('--type', 'auth.attempts'), /flag --type: .*did you mean auth\.attempt\?/);
  assert.match(await usage('--src', '999.1.1.1'), /APIARY_CLI_USAGE.*flag --src: expected an IPv4 or IPv6 address/);
  assert.match(await usage('--src', 'example.com'), /flag --src:/);
  const srcs = async (src: string): Promise<string[]> =>
    (await runCli(['events', '--config', config, '--json', '--src', src])).stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { src_ip: string }).src_ip);
  assert.deepEqual(await srcs('198.51.100.1'), ['198.51.100.1']);
  assert.deepEqual(await srcs('::ffff:198.51.100.1'), ['198.51.100.1']);
  assert.deepEqual(await srcs('2001:DB8:0:0::7'), ['2001:db8::7']);
  assert.deepEqual(await srcs('2001:db8::7'), ['2001:db8::7']);
  assert.deepEqual(await srcs('203.0.113.1'), []);
  const listed = (await runCli(['events', '--config', config, '--type', 'connection.open'])).stdout;
  assert.match(listed, /\n2 events\n$/);
  // The SOURCE column's port is told apart from an IPv6 address's last group, as in a URL.
  assert.match(listed, / \[2001:db8::7\]:\d+ /);
});
