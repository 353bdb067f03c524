// The sensors' event budget: per source (an address, or an IPv6 /64) and in all, events and bytes,
// with what a record cannot do without kept, each session's head kept, and the rest counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import type { EventSink } from '../../../src/events/emitter.js';
import { BudgetedSink, BURST_SECONDS, SESSION_HEAD_EVENTS, approxBytes } from '../../../src/sensors/runtime/event-budget.js';
import { startApiaryProcess } from '../../helpers/apiary-process.js';

function collecting(): EventSink & { events: ApiaryEvent[] } {
  const events: ApiaryEvent[] = [];
  return { events, write: (e) => void events.push(e), flush: async () => undefined };
}

let n = 0;
function ev(src: string, session: string, type: string, payload: Record<string, unknown>): ApiaryEvent {
  return { id: `e${n++}`, time: '2026-01-01T00:00:00.000Z', type, sensor: 's', session, protocol: 'ftp', src_ip: src, src_port: 1, dst_ip: '127.0.0.1', dst_port: 21, payload } as ApiaryEvent;
}
const cmd = (src: string, session: string, input = 'NOOP') => ev(src, session, 'command.input', { input, known: true });

test('a source past its event budget is counted, not recorded; another source, kept events and refills are not affected', () => {
  let now = 0;
  const out = collecting();
  const sink = new BudgetedSink(out, { sourceEventsPerSecond: 10, sourceBytesPerSecond: 1e9, globalEventsPerSecond: 1e6, globalBytesPerSecond: 1e9 }, () => now);
  for (let i = 0; i < 1000; i++) sink.write(cmd('198.51.100.1', 'a'));
  assert.equal(out.events.length, 10 * BURST_SECONDS, 'one burst passes');
  // Kept whatever the budget: the connection's pair, a capture, a login that worked; a download that
  // stored nothing is not a capture.
  sink.write(ev('198.51.100.1', 'a', 'file.download', { url: 'http://x/', outcome: 'stored', sha256: 'a'.repeat(64) }));
  for (const outcome of ['disabled', 'refused', 'failed']) sink.write(ev('198.51.100.1', 'a', 'file.download', { url: 'http://x/', outcome }));
  sink.write(ev('198.51.100.1', 'a', 'auth.attempt', { method: 'password', username: 'root', password: 'x', success: true }));
  sink.write(ev('198.51.100.1', 'a', 'connection.close', { duration_ms: 1, bytes_in: 1, bytes_out: 1, reason: 'client' }));
  assert.deepEqual(out.events.slice(-3).map((e) => [e.type, (e.payload as { outcome?: string }).outcome]), [['file.download', 'stored'], ['auth.attempt', undefined], ['connection.close', undefined]]);
  sink.write(ev('198.51.100.1', 'b', 'auth.attempt', { method: 'password', username: 'root', password: 'x', success: false }));
  // A new session's head passes within one burst of debt, then no more.
  const before = out.events.length;
  for (let s = 0; s < 100; s++) for (let i = 0; i < SESSION_HEAD_EVENTS + 2; i++) sink.write(cmd('198.51.100.1', `h${s}`));
  const heads = out.events.length - before;
  assert.ok(heads > 0 && heads <= 10 * BURST_SECONDS + SESSION_HEAD_EVENTS, `${heads} head events`);
  // Another source has its own budget.
  sink.write(cmd('203.0.113.5', 'c'));
  assert.equal(out.events[out.events.length - 1]!.src_ip, '203.0.113.5');
  // One summary for the source, at the end of the window (here: at report()).
  sink.report();
  const summary = out.events.filter((e) => e.type === 'connection.limited');
  assert.equal(summary.length, 1);
  assert.deepEqual({ ...summary[0]!.payload, window_s: 0 }, { limit: 'event_rate', refused: sink.dropped, window_s: 0 });
  assert.equal(summary[0]!.src_ip, '198.51.100.1');
  // Time refills the budget.
  for (let i = 0; i < 1000; i++) sink.write(cmd('192.0.2.7', 'r'));
  now += 2000;
  const again = out.events.length;
  for (let i = 0; i < 100; i++) sink.write(cmd('192.0.2.7', 'r'));
  assert.equal(out.events.length - again, 20, 'two seconds at 10 a second');
});

test('bytes count as well as events; an IPv6 /64 is one source; the global budget holds over all sources', () => {
  const out = collecting();
  const big = 'x'.repeat(16 * 1024);
  const bytes = new BudgetedSink(out, { sourceEventsPerSecond: 1e6, sourceBytesPerSecond: 4096, globalEventsPerSecond: 1e6, globalBytesPerSecond: 1e9 }, () => 0);
  for (let i = 0; i < 20; i++) bytes.write(cmd(`2001:db8:1:2::${i + 1}`, 'one', big));
  // One /64, 40 KiB of burst: two 16 KiB commands within it, then the session's head takes it down
  // to one burst of debt (three more), then nothing.
  assert.equal(out.events.length, 5);
  const out2 = collecting();
  const global = new BudgetedSink(out2, { sourceEventsPerSecond: 1e6, sourceBytesPerSecond: 1e9, globalEventsPerSecond: 5, globalBytesPerSecond: 1e9 }, () => 0);
  for (let s = 0; s < 20; s++) for (let i = 0; i < 20; i++) global.write(cmd(`198.51.100.${s + 1}`, `g${s}`));
  // The burst of 50, then sessions' heads down to one burst of debt: 100 at most of the 400.
  assert.ok(out2.events.length <= 2 * 5 * BURST_SECONDS, `${out2.events.length} passed the global budget of 50`);
  assert.ok(out2.events.length >= 5 * BURST_SECONDS);
});

test('approxBytes follows a payload\'s strings and fields without serialising it', () => {
  const p = { a: 'x'.repeat(1000), list: ['y'.repeat(500), 'z'], deep: { n: 1, s: 'w'.repeat(100) } };
  const real = JSON.stringify(p).length;
  const est = approxBytes(p);
  assert.ok(est > real * 0.9 && est < real * 1.2, `${est} for ${real}`);
});

test('apiary start: an FTP client sending NOOPs as fast as it can is held to its event budget, the rest summarised', async () => {
  const apiary = await startApiaryProcess({
    sensor: 'budget',
    services: { ftp: { listen: ['127.0.0.1:0'] } },
    limits: { source_events_s: 20 },
  });
  try {
    const port = apiary.ports.ftp!;
    await new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('NOOP\r\n'.repeat(5000));
        s.end('QUIT\r\n');
      });
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    await apiary.stop();
    const events = await apiary.events(['--limit', '100000']);
    const commands = events.filter((e) => e.type === 'command.input').length;
    assert.ok(commands <= 20 * BURST_SECONDS + SESSION_HEAD_EVENTS + 20, `${commands} commands stored`);
    const limited = events.filter((e) => e.type === 'connection.limited' && e.limit === 'event_rate');
    assert.ok(limited.length >= 1, 'summarised');
    const refused = limited.reduce((a, e) => a + (e.refused as number), 0);
    assert.ok(commands + refused >= 5000, `${commands} stored + ${refused} counted`);
    assert.ok(events.some((e) => e.type === 'connection.close'), 'the connection still has its close');
  } finally {
    await apiary.stop();
  }
});

test('the connection gate: new connections per source per second, and its caps, count an IPv6 /64 as one source', async () => {
  const { ConnectionGate, CONNECTION_BURST_SECONDS } = await import('../../../src/sensors/runtime/listener.js');
  const limited: [string, string, number][] = [];
  const gate = new ConnectionGate(3, 1000, (src, limit, refused) => void limited.push([src, limit, refused]), 5);
  let admitted = 0;
  for (let i = 0; i < 100; i++) {
    if (gate.acquire(`2001:db8:7:7::${(i % 9) + 1}`)) {
      admitted++;
      gate.release(`2001:db8:7:7::${(i % 9) + 1}`);
    }
  }
  assert.equal(admitted, 5 * CONNECTION_BURST_SECONDS, 'one burst of new connections for the /64');
  assert.ok(gate.acquire('198.51.100.4'), 'another source has its own rate');
  // Three open at once per source, the /64 being one.
  const other = ['2001:db8:9:9::1', '2001:db8:9:9::2', '2001:db8:9:9::3', '2001:db8:9:9::4'].map((a) => gate.acquire(a));
  assert.deepEqual(other, [true, true, true, false]);
  gate.flushSummaries();
  assert.deepEqual(limited.sort(), [['2001:db8:7:7::6', 'connection_rate', 50], ['2001:db8:9:9::4', 'per_source', 1]].sort());
});

test('RecentMap holds at most its max, keeps what is used, and forgets what is not', async () => {
  const { RecentMap } = await import('../../../src/sensors/runtime/recent-map.js');
  const m = new RecentMap<number>(100);
  m.set('kept', 0);
  for (let i = 0; i < 10_000; i++) {
    m.set(`k${i}`, i);
    if (i % 20 === 0) m.set('kept', (m.get('kept') ?? -1) + 1);
    assert.ok(m.size <= 100);
  }
  assert.equal(m.get('kept'), 500, 'used every 20 new keys, it stayed');
  assert.equal(m.get('k0'), undefined, 'an old key unused since is gone');
  assert.equal(m.get('k9999'), 9999);
  m.delete('k9999');
  assert.equal(m.get('k9999'), undefined);
});
