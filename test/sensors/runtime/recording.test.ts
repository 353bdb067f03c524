// Session recordings: the cap per session, and the space all recordings share, counted from the
// files already there; past it a recording stops with a line saying why, and a new session gets none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder, recordingSpace } from '../../../src/sensors/runtime/recording.js';
import { tempDir } from '../../helpers/apiary-process.js';

const lines = (path: string): unknown[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('recordings share one space: counted from the files there, a full space stops a recording and starts none', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'old.cast'), 'x'.repeat(10_000));
  writeFileSync(join(dir, 'notes.txt'), 'y'.repeat(50_000));
  const space = recordingSpace(dir, 30_000);
  assert.equal(space.inUse, 10_000, 'only .cast files count');

  const a = new AsciicastRecorder({ dir, session: 'a', width: 80, height: 24, maxBytes: 1 << 20, space });
  for (let i = 0; i < 100; i++) a.output('z'.repeat(1000));
  await a.close();
  const written = lines(a.path);
  assert.ok(written.length > 5 && written.length < 30, `${written.length} lines`);
  assert.deepEqual((written.at(-1) as unknown[]).slice(1), ['o', '\r\n[recording stopped: recordings space full]\r\n']);
  assert.ok(statSync(a.path).size + 10_000 <= 30_000, 'within the space, the stop line included');

  // What is left (less than a line of a) goes to other sessions; then one more starts.
  assert.ok(space.take(space.limit - space.inUse));
  const b = new AsciicastRecorder({ dir, session: 'b', width: 80, height: 24, maxBytes: 1 << 20, space });
  b.output('hello');
  await b.close();
  assert.equal(b.recording, false);
  assert.equal(existsSync(b.path), false, 'no file for a session started with the space full');
});

test('without a shared space, only the cap per session applies', async () => {
  const dir = tempDir();
  const r = new AsciicastRecorder({ dir, session: 'c', width: 80, height: 24, maxBytes: 5_000 });
  for (let i = 0; i < 20; i++) r.input('q'.repeat(1000));
  await r.close();
  const written = lines(r.path);
  assert.deepEqual((written.at(-1) as unknown[]).slice(1), ['o', '\r\n[recording stopped: size limit reached]\r\n']);
});

test('every writer into one recordings directory gets the same space; another limit counts it anew', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'old.cast'), 'x'.repeat(1_000));
  const shell = recordingSpace(dir, 50_000);
  assert.ok(shell.take(20_000));
  const feed = recordingSpace(join(dir, '.'), 50_000);
  assert.equal(feed, shell, 'the hpfeeds input and the shell share one budget');
  assert.equal(feed.take(30_000), false, 'what the shell wrote counts for the feed');
  assert.equal(recordingSpace(dir, 60_000).inUse, 1_000, 'a new limit counts the files on disk again');
});

test('a UTF-8 character split across two chunks is recorded whole, in each direction', async () => {
  const dir = tempDir();
  const r = new AsciicastRecorder({ dir, session: 'utf8', width: 80, height: 24, maxBytes: 1 << 20 });
  const e = Buffer.from('é€');
  r.output(e.subarray(0, 1));
  r.output(e.subarray(1, 3));
  r.output(e.subarray(3));
  r.input(e.subarray(0, 4));
  r.input(e.subarray(4));
  await r.close();
  const events = lines(r.path).slice(1) as [number, string, string][];
  assert.equal(events.filter((ev) => ev[1] === 'o').map((ev) => ev[2]).join(''), 'é€');
  assert.equal(events.filter((ev) => ev[1] === 'i').map((ev) => ev[2]).join(''), 'é€');
  assert.ok(!events.some((ev) => ev[2].includes('\ufffd')), 'no replacement characters');
});
