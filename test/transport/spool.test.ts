// The sensor's spool: durable before counted, torn tails cut, acknowledged segments removed, the
// size cap enforced by policy with an alert; its record decoder never throws on any bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, fdatasync, readdirSync, readFileSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeSegment, DROPS_FILE, readSpool, Spool, type SpoolIo, type SpoolOptions } from '../../src/transport/spool.js';
import { tempDir, waitFor } from '../helpers/apiary-process.js';
import { makeEvent } from '../helpers/events.js';

const ev = (i: number) => makeEvent({ type: 'connection.open', time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), src: '198.51.100.1', payload: { transport: 'tcp' } });
const opts = (dir: string, over: Partial<SpoolOptions> = {}): SpoolOptions => ({ dir, maxBytes: 10 * 1024 * 1024, dropPolicy: 'oldest', segmentEvents: 10, syncIntervalMs: 5, ...over });

test('events count as recorded only once synced; segments ship oldest first and go when acknowledged', async () => {
  const dir = tempDir();
  const s = new Spool(opts(dir));
  const events = Array.from({ length: 25 }, (_, i) => ev(i));
  for (const e of events) s.write(e);
  assert.equal(s.stats.recorded, 0, 'nothing counts before its sync has ended (the syncs run off the event loop)');
  await s.flush();
  assert.equal(s.stats.recorded, 25);
  assert.equal(s.stats.depth, 25);
  const a = s.next()!;
  assert.equal(a.records.length, 10, 'a segment holds at most segmentEvents, however many waited for one sync');
  assert.deepEqual(a.records.map((r) => JSON.parse(r)), events.slice(0, 10));
  assert.deepEqual(s.next()!.seq, a.seq, 'unacknowledged: the same segment again');
  s.ack(a.seq);
  const b = s.next()!;
  assert.notEqual(b.seq, a.seq);
  s.ack(b.seq);
  const c = s.next()!;
  assert.equal(c.records.length, 5, 'the active segment is sealed when nothing else waits');
  s.ack(c.seq);
  assert.equal(s.next(), undefined);
  assert.equal(s.stats.depth, 0);
  await s.close();
  await waitFor(() => readdirSync(dir).length === 0, 2000);
});

test('a segment whose content the collector refuses moves to rejected/, out of the queue, kept', async () => {
  const dir = tempDir();
  const s = new Spool(opts(dir));
  for (let i = 0; i < 15; i++) s.write(ev(i));
  await s.flush();
  const bad = s.next()!;
  const kept = s.reject(bad.seq)!;
  assert.equal(readSpool(join(dir, 'rejected')).length, 10);
  assert.ok(kept.startsWith(join(dir, 'rejected')));
  assert.equal(s.stats.depth, 5);
  assert.notEqual(s.next()!.seq, bad.seq);
  await s.close();
});

test('a torn record from a crash mid-write is cut at start-up; whole records before it stay', async () => {
  const dir = tempDir();
  const s = new Spool(opts(dir, { segmentEvents: 100 }));
  const written = Array.from({ length: 7 }, (_, i) => ev(i));
  for (const e of written) s.write(e);
  await s.flush();
  // What a kill -9 inside writeSync leaves: the start of a record without its end.
  const seg = readdirSync(dir).find((n) => n.startsWith('seg-'))!;
  appendFileSync(join(dir, seg), '1234abcd {"id":"01TORN');
  const again = new Spool(opts(dir, { segmentEvents: 100 }));
  assert.equal(again.stats.recoveredTorn, 1);
  assert.equal(again.stats.depth, 7);
  assert.deepEqual(readSpool(dir).map((r) => JSON.parse(r).id), written.map((e) => e.id));
  again.write(ev(100));
  await again.flush();
  assert.equal(readSpool(dir).length, 8, 'new records follow in a new segment, after the cut');
  await again.close();
});

test('full spool, policy oldest: whole oldest batches go, counted, with an alert at the first drop, then at most one a minute', async () => {
  const dir = tempDir();
  const drops: number[] = [];
  const size = Buffer.byteLength(JSON.stringify(ev(0))) + 10;
  const s = new Spool(opts(dir, { maxBytes: size * 25, onDrop: (d) => drops.push(d.dropped) }));
  const events = Array.from({ length: 40 }, (_, i) => ev(i));
  for (const e of events) {
    s.write(e);
    await s.flush();
  }
  assert.ok(s.stats.bytes <= size * 25);
  assert.equal(s.stats.dropped, 20, 'two segments of ten');
  assert.deepEqual(drops, [10], 'one alert for the episode');
  assert.equal(s.stats.recorded, 40);
  assert.equal(s.stats.depth, 20);
  assert.deepEqual(readSpool(dir).map((r) => JSON.parse(r).id), events.slice(20).map((e) => e.id), 'the newest 20 are kept');
  await s.close();
});

test('a segment dropped while in flight and then confirmed by the collector is not counted as dropped', async () => {
  const dir = tempDir();
  const size = Buffer.byteLength(JSON.stringify(ev(0))) + 10;
  const s = new Spool(opts(dir, { maxBytes: size * 15 }));
  for (let i = 0; i < 10; i++) s.write(ev(i));
  await s.flush();
  const inFlight = s.next()!;
  for (let i = 10; i < 20; i++) s.write(ev(i));
  await s.flush();
  assert.equal(s.stats.dropped, 10, 'the in-flight segment made room');
  s.ack(inFlight.seq);
  assert.equal(s.stats.dropped, 0, 'it reached the collector after all');
  await s.close();
});

test('full spool, policy newest: new events are refused and counted; nothing stored is touched', async () => {
  const dir = tempDir();
  const size = Buffer.byteLength(JSON.stringify(ev(0))) + 10;
  const drops: number[] = [];
  const s = new Spool(opts(dir, { maxBytes: size * 12, dropPolicy: 'newest', onDrop: (d) => drops.push(d.dropped) }));
  const events = Array.from({ length: 20 }, (_, i) => ev(i));
  for (const e of events) s.write(e);
  await s.flush();
  assert.equal(s.stats.recorded + s.stats.dropped, 20);
  assert.ok(s.stats.dropped >= 8);
  assert.deepEqual(drops, [1]);
  assert.deepEqual(readSpool(dir).map((r) => JSON.parse(r).id), events.slice(0, s.stats.recorded).map((e) => e.id), 'the first ones are kept');
  await s.close();
});

test('decodeSegment never throws and returns only whole, checksummed records, whatever the bytes', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const { records, validBytes } = decodeSegment(Buffer.from(bytes));
      assert.ok(validBytes <= bytes.length);
      assert.ok(records.length <= bytes.length / 10);
    }),
    { numRuns: 500 },
  );
  // A valid segment cut at any point decodes to a prefix of its records.
  const dir = tempDir();
  const s = new Spool(opts(dir, { segmentEvents: 100 }));
  for (let i = 0; i < 5; i++) s.write(ev(i));
  await s.flush();
  const whole = readSpool(dir);
  const buf = readFileSync(join(dir, readdirSync(dir).find((n) => n.startsWith('seg-'))!));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: buf.length }), (cut) => {
      const { records } = decodeSegment(buf.subarray(0, cut));
      assert.deepEqual(records, whole.slice(0, records.length));
    }),
  );
  await s.close();
});

test('a failed write or sync leaves no torn record: the events stay pending, are retried, and count only once durable', async () => {
  const dir = tempDir();
  const errors: string[] = [];
  let failures = 2;
  const io: SpoolIo = {
    // The first write reaches the file only in part, then fails (a full disk); the next sync fails too.
    write: (fd, buf, offset, length, done) => {
      if (failures === 2) {
        failures--;
        return writeSync(fd, buf, offset, Math.floor(length / 2)) && done(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }), 0);
      }
      write(fd, buf, offset, length, null, done);
    },
    fdatasync: (fd, done) => {
      if (failures === 1) {
        failures--;
        return done(new Error('EIO: i/o error'));
      }
      fdatasync(fd, done);
    },
  };
  const s = new Spool(opts(dir, { segmentEvents: 100, io, onError: (e) => errors.push(e.message) }));
  const events = Array.from({ length: 6 }, (_, i) => ev(i));
  for (const e of events) s.write(e);
  await s.flush();
  assert.equal(s.stats.recorded, 0, 'a failed write records nothing');
  assert.match(errors[0]!, /ENOSPC/);
  await waitFor(() => s.stats.recorded === 6, 5000);
  assert.match(errors[1]!, /EIO/);
  assert.equal(errors.length, 2);
  assert.deepEqual(readSpool(dir).map((r) => JSON.parse(r).id), events.map((e) => e.id), 'each event once, in order, nothing torn before them');
  await s.close();
  const again = new Spool(opts(dir, { segmentEvents: 100 }));
  assert.equal(again.stats.recoveredTorn, 0);
  assert.equal(again.stats.depth, 6);
  await again.close();
});

test('close() makes what is pending durable, also while a sync is in flight', async () => {
  const dir = tempDir();
  const s = new Spool(opts(dir, { segmentEvents: 100, syncIntervalMs: 10_000 }));
  for (let i = 0; i < 3; i++) s.write(ev(i));
  s.sync();
  for (let i = 3; i < 7; i++) s.write(ev(i));
  await s.close();
  assert.equal(s.stats.recorded, 7);
  assert.equal(readSpool(dir).length, 7);
});

test('close() behind a slow disk keeps segments to segmentEvents (each one shippable batch), and shipping sees nothing before it is durable', async () => {
  const dir = tempDir();
  const io: SpoolIo = {
    write: (fd, buf, offset, length, done) => write(fd, buf, offset, length, null, done),
    fdatasync: (fd, done) => setTimeout(() => fdatasync(fd, done), 100),
  };
  const s = new Spool(opts(dir, { segmentEvents: 10, io }));
  const events = Array.from({ length: 45 }, (_, i) => ev(i));
  for (const e of events) s.write(e);
  s.sync();
  assert.equal(s.idle, false);
  assert.equal(s.next(), undefined, 'nothing durable yet: nothing to ship');
  await s.close();
  assert.equal(s.stats.recorded, 45);
  const sizes = readdirSync(dir).filter((n) => n.startsWith('seg-')).sort().map((n) => decodeSegment(readFileSync(join(dir, n))).records.length);
  assert.deepEqual(sizes, [10, 10, 10, 10, 5]);
  assert.deepEqual(readSpool(dir).map((r) => JSON.parse(r).id), events.map((e) => e.id));
});

test('a failed write whose cut also fails: the segment is not sealed until the cut succeeds, nothing is torn or doubled', async () => {
  const dir = tempDir();
  let failWrite = false;
  const io: SpoolIo = {
    write: (fd, buf, offset, length, done) => {
      if (failWrite) {
        failWrite = false;
        // Half of the chunk reaches the file, then the disk fails.
        return writeSync(fd, buf, offset, Math.floor(length / 2)) && done(new Error('EIO: i/o error'), 0);
      }
      write(fd, buf, offset, length, null, done);
    },
    fdatasync: (fd, done) => fdatasync(fd, done),
  };
  const s = new Spool(opts(dir, { segmentEvents: 100, io, onError: () => {} }));
  const events = Array.from({ length: 5 }, (_, i) => ev(i));
  for (const e of events.slice(0, 2)) s.write(e);
  await s.flush();
  assert.equal(s.stats.recorded, 2);
  failWrite = true;
  for (const e of events.slice(2)) s.write(e);
  await s.flush();
  assert.equal(s.stats.recorded, 2, 'the failed write recorded nothing');
  // As if the cut-back had failed too: the torn tail still waits to be cut from this segment's file.
  const spool = s as unknown as { cutTo: number | undefined; active: { bytes: number } };
  spool.cutTo = spool.active.bytes;
  assert.equal(s.next(), undefined, 'a segment whose tail waits to be cut is not sealed for shipping');
  await waitFor(() => s.stats.recorded === 5, 5000);
  const a = s.next()!;
  assert.deepEqual(a.records.map((r) => JSON.parse(r).id), events.map((e) => e.id), 'each event once, in order, nothing torn');
  s.ack(a.seq);
  await s.close();
  // ack() removes the segment off the event loop.
  await waitFor(() => readSpool(dir).length === 0, 5000);
});

test('drops a run never reported to the collector are handed to the next run (even after a kill), and forgotten once reported', async () => {
  const dir = tempDir();
  const size = Buffer.byteLength(JSON.stringify(ev(0))) + 10;
  const first = new Spool(opts(dir, { maxBytes: size * 12, dropPolicy: 'newest' }));
  for (let i = 0; i < 20; i++) first.write(ev(i));
  await first.flush();
  const dropped = first.stats.dropped;
  assert.ok(dropped >= 8);
  // Were the process killed now (no close), the count saved at the first drop would be there for the next run.
  const saved = JSON.parse(readFileSync(join(dir, DROPS_FILE), 'utf8')) as { unreported: number };
  assert.ok(saved.unreported >= 1 && saved.unreported <= dropped);
  // No heartbeat got through; a clean stop saves them all, and the next run reports them with its own.
  await first.close();
  const second = new Spool(opts(dir, { maxBytes: size * 12, dropPolicy: 'newest' }));
  assert.equal(second.stats.dropped, dropped);
  second.dropsReported(second.stats.dropped);
  await second.close();
  const third = new Spool(opts(dir, { maxBytes: size * 12, dropPolicy: 'newest' }));
  assert.equal(third.stats.dropped, 0, 'reported: not counted again');
  await third.close();
});
