// MySQL benchmark: logins per second (failed and successful) and queries per second on an open
// connection, for the decoy MySQL (`apiary start`, every attempt and statement recorded in SQLite) and
// for Debian's MariaDB server on another loopback port, in the same run. Prints both and the ratios.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { apiaryArgs, freePort, nodeFlagsFor, waitForLine } from './helpers.js';
import { cpuMs } from './proc.js';
import { nativeScramble } from '../src/sensors/mysql/scramble.js';

const execFileP = promisify(execFile);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONNECTIONS ?? 16);
/**
 * Seconds of the same work, unmeasured, before each figure, for every server alike: a freshly started
 * Node process runs its first thousand logins in the interpreter and compiles as it goes, which is not
 * what a server that has been up for a while does (mariadbd has no such warm-up).
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const PASSWORD = 'Bench-Pw-123';

/**
 * The server process being measured, and its CPU per operation by figure: a rate on this loaded
 * 2-core machine swings with what else runs, the server's CPU per operation much less.
 */
let serverPid: number | undefined;
const serverCpu = new Map<string, number>();

/**
 * Runs WORK in CONCURRENCY loops for WARMUP_SECONDS, then for SECONDS; returns completed operations
 * per second, and records the server's CPU per operation under LABEL.
 */
async function rate(work: () => Promise<void>, label?: string): Promise<number> {
  if (WARMUP_SECONDS > 0) await loops(work, WARMUP_SECONDS);
  const before = serverPid !== undefined ? cpuMs(serverPid) : 0;
  const perSecond = await loops(work, SECONDS);
  if (label !== undefined && serverPid !== undefined) serverCpu.set(label, (cpuMs(serverPid) - before) / (perSecond * SECONDS));
  return perSecond;
}

async function loops(work: () => Promise<void>, seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

/** Client capabilities of the lean login: LONG_PASSWORD, CONNECT_WITH_DB, PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH. */
const LEAN_CAPS = 0x1 | 0x8 | 0x200 | 0x8000 | 0x80000;

/**
 * One login by a minimal client on a bare socket: greeting, a mysql_native_password handshake
 * response, OK (then COM_QUIT) or ERR. mysql2 spends several times the CPU of either server on a
 * login, so with it the login figures mostly measure the client; this one costs little more than
 * the socket, so the servers' own cost shows.
 */
function leanLogin(port: number, user: string, password: string, database: string): Promise<'ok' | 'denied'> {
  return new Promise((resolveLogin, reject) => {
    const sock = connect({ host: '127.0.0.1', port, noDelay: true });
    let buf: Buffer = Buffer.alloc(0);
    let stage: 'greeting' | 'answer' | 'done' = 'greeting';
    const fail = (err: Error): void => {
      stage = 'done';
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(10_000, () => fail(new Error('lean login timed out')));
    sock.on('error', (err) => {
      if (stage !== 'done') fail(err);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && stage !== 'done') {
        const len = buf[0]! | (buf[1]! << 8) | (buf[2]! << 16);
        if (buf.length < 4 + len) return;
        const payload = buf.subarray(4, 4 + len);
        buf = buf.subarray(4 + len);
        if (stage === 'greeting') {
          // v10 greeting: version NUL, id(4), salt part 1 (8), filler, caps, charset, status, caps, length, 10 reserved, salt part 2.
          const v = payload.indexOf(0, 1);
          const salt = Buffer.concat([payload.subarray(v + 5, v + 13), payload.subarray(v + 13 + 19, v + 13 + 19 + 12)]);
          const head = Buffer.alloc(32);
          head.writeUInt32LE(LEAN_CAPS, 0);
          head.writeUInt32LE(16 * 1024 * 1024, 4);
          head[8] = 45;
          const scramble = nativeScramble(password, salt);
          const body = Buffer.concat([head, Buffer.from(`${user}\0`), Buffer.from([scramble.length]), scramble, Buffer.from(`${database}\0mysql_native_password\0`)]);
          const frame = Buffer.alloc(4);
          frame.writeUIntLE(body.length, 0, 3);
          frame[3] = 1;
          sock.write(Buffer.concat([frame, body]));
          stage = 'answer';
        } else {
          stage = 'done';
          if (payload[0] === 0x00) {
            sock.end(Buffer.from([1, 0, 0, 0, 0x01]));
            sock.once('close', () => resolveLogin('ok'));
          } else if (payload[0] === 0xff && payload.readUInt16LE(1) === 1045) {
            sock.destroy();
            resolveLogin('denied');
          } else fail(new Error(`lean login: unexpected answer 0x${payload[0]?.toString(16)}`));
        }
      }
    });
  });
}

/** Failed and successful logins per second with the lean client. */
async function measureLean(port: number, user: string, database: string, server: string): Promise<{ failedLogins: number; logins: number }> {
  const failedLogins = await rate(async () => {
    if ((await leanLogin(port, user, 'wrong-password', database)) !== 'denied') throw new Error('a wrong password was accepted');
  }, `${server} lean failed`);
  const logins = await rate(async () => {
    if ((await leanLogin(port, user, PASSWORD, database)) !== 'ok') throw new Error('the bench password was refused');
  }, `${server} lean logins`);
  return { failedLogins, logins };
}

interface Figures {
  failedLogins: number;
  logins: number;
  queries: number;
}

async function measure(port: number, user: string, database: string, server: string): Promise<Figures> {
  const opts = { host: '127.0.0.1', port, user, database, connectTimeout: 10_000 };
  const failedLogins = await rate(async () => {
    try {
      const c = await mysql.createConnection({ ...opts, password: 'wrong-password' });
      await c.end();
      throw new Error('a wrong password was accepted');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ER_ACCESS_DENIED_ERROR') throw err;
    }
  }, `${server} failed`);
  const logins = await rate(async () => {
    const c = await mysql.createConnection({ ...opts, password: PASSWORD });
    await c.end();
  }, `${server} logins`);
  const conns = await Promise.all(Array.from({ length: CONCURRENCY }, () => mysql.createConnection({ ...opts, password: PASSWORD })));
  let i = 0;
  const queries = await rate(async () => {
    const c = conns[i++ % conns.length]!;
    await c.query("SELECT id, email FROM customers WHERE city = 'Madrid' ORDER BY id LIMIT 10");
  }, `${server} queries`);
  await Promise.all(conns.map((c) => c.end()));
  return { failedLogins, logins, queries };
}

async function startMariadb(dir: string, port: number): Promise<ChildProcess> {
  const data = join(dir, 'mariadb');
  const sock = join(dir, 'mariadb.sock');
  await execFileP('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { timeout: 120_000 });
  const proc = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${sock}`, `--port=${port}`, '--bind-address=127.0.0.1', '--user=root', '--skip-log-bin', '--max-connections=1000', '--skip-name-resolve', `--pid-file=${join(dir, 'mariadb.pid')}`], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    try {
      const c = await mysql.createConnection({ socketPath: sock, user: 'root' });
      await c.query(`CREATE USER 'bench'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('${PASSWORD}')`);
      await c.query('CREATE DATABASE webshop');
      await c.query('CREATE TABLE webshop.customers (id INT PRIMARY KEY AUTO_INCREMENT, first_name VARCHAR(64), last_name VARCHAR(64), email VARCHAR(255), phone VARCHAR(32), city VARCHAR(64), created_at DATETIME)');
      const cities = ['Madrid', 'Granada', 'Sevilla', 'Valencia', 'Barcelona'];
      const rows = Array.from({ length: 200 }, (_, k) => `('F${k}', 'L${k}', 'u${k}@example.org', '+34 600 000 ${k}', '${cities[k % cities.length]}', NOW())`).join(',');
      await c.query(`INSERT INTO webshop.customers (first_name, last_name, email, phone, city, created_at) VALUES ${rows}`);
      await c.query("GRANT ALL ON webshop.* TO 'bench'@'%'");
      await c.end();
      return proc;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  proc.kill('SIGTERM');
  throw new Error('mariadbd did not start');
}

/** Runs `apiary start` with the MySQL sensor using PLUGIN, measures it, stops it. */
async function measureApiary(dir: string, plugin: 'caching_sha2_password' | 'mysql_native_password'): Promise<Figures & { lean: { failedLogins: number; logins: number } }> {
  const config = join(dir, `apiary-${plugin}.yaml`);
  writeFileSync(
    config,
    stringify({
      sensor: 'bench',
      data_dir: join(dir, `data-${plugin}`),
      log: { level: 'warn' },
      limits: {
        per_source_connections: 4096,
        source_connections_s: 10_000_000,
        source_events_s: 10_000_000,
        source_event_bytes_s: 1024 ** 3,
        global_events_s: 10_000_000,
        global_event_bytes_s: 1024 ** 3,
        // Every failed login's password recovered: the figures are of the whole work of one.
        source_rsa_decryptions_s: 100_000,
        global_rsa_decryptions_s: 100_000,
        source_wordlist_checks_s: 1_000_000,
        global_wordlist_checks_s: 1_000_000,
      },
      auth: [{ user: 'bench', password: PASSWORD, allow: true }],
      services: { mysql: { listen: ['127.0.0.1:0'], auth_plugin: plugin } },
      decoy: { database: 'webshop' },
    }),
  );
  const apiary = spawn(process.execPath, apiaryArgs('start', '--config', config), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await waitForLine(apiary, /mysql\s+listening on 127\.0\.0\.1:(\d+)/);
    const port = Number(/:(\d+)$/.exec(line)![1]);
    serverPid = apiary.pid;
    const figures = await measure(port, 'bench', 'webshop', plugin);
    return { ...figures, lean: await measureLean(port, 'bench', 'webshop', plugin) };
  } finally {
    serverPid = undefined;
    if (apiary.exitCode === null) {
      apiary.kill('SIGTERM');
      await new Promise((r) => apiary.once('exit', r));
    }
  }
}

/**
 * The floor Node itself sets here: a bare TCP server in its own process that sends the same greeting
 * and OK and records nothing. Only logins are measured (it serves no queries).
 */
async function measureBareNode(): Promise<{ logins: number; leanLogins: number }> {
  const port = await freePort();
  const codec = pathToFileURL(resolve('dist/src/sensors/mysql/codec.js')).href;
  const code = `import { createServer } from 'node:net';
const { encodeGreeting, encodePacket, encodeOk, SERVER_CAPABILITIES } = await import(${JSON.stringify(codec)});
const greeting = encodePacket(encodeGreeting({ serverVersion: '8.0.36', connectionId: 1, salt: Buffer.alloc(20, 65), capabilities: SERVER_CAPABILITIES, charset: 255, status: 2, plugin: 'mysql_native_password' }), 0).bytes;
createServer({ noDelay: true }, (s) => { s.on('error', () => {}); s.write(greeting); let n = 0; s.on('data', () => { if (n++ === 0) s.write(encodePacket(encodeOk(), 2).bytes); else s.destroy(); }); }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const proc = spawn(process.execPath, [...nodeFlagsFor('start'), '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await waitForLine(proc, /ready/);
    serverPid = proc.pid;
    const logins = await rate(async () => {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'x', password: 'y' });
      await c.end();
    }, 'bare logins');
    const leanLogins = await rate(async () => {
      if ((await leanLogin(port, 'x', 'y', 'webshop')) !== 'ok') throw new Error('the bare server refused a login');
    }, 'bare lean logins');
    return { logins, leanLogins };
  } finally {
    serverPid = undefined;
    proc.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apiary-mysql-bench-'));
  let mariadb: ChildProcess | undefined;
  try {
    const mariaPort = await freePort();
    mariadb = await startMariadb(dir, mariaPort);
    const { stdout: mariaVersion } = await execFileP('mariadbd', ['--version']);

    // Each server is measured alone (the machine has few cores).
    const sha2 = await measureApiary(dir, 'caching_sha2_password');
    const native = await measureApiary(dir, 'mysql_native_password');
    serverPid = mariadb.pid;
    const m = await measure(mariaPort, 'bench', 'webshop', 'mariadb');
    const mLean = await measureLean(mariaPort, 'bench', 'webshop', 'mariadb');
    serverPid = undefined;
    const bare = await measureBareNode();
    const f = (n: number): string => n.toFixed(0).padStart(9);
    const r = (a: number, b: number): string => (a / b).toFixed(2).padStart(9);
    console.log(`mysql-bench: ${CONCURRENCY} concurrent clients (mysql2), ${SECONDS} s per figure after ${WARMUP_SECONDS} s of the same work; ${mariaVersion.trim()}`);
    console.log('                                        failed logins/s   logins/s  queries/s');
    console.log(`  apiary, caching_sha2 (8.x default)    ${f(sha2.failedLogins)}  ${f(sha2.logins)}  ${f(sha2.queries)}`);
    console.log(`  apiary, mysql_native_password         ${f(native.failedLogins)}  ${f(native.logins)}  ${f(native.queries)}`);
    console.log(`  mariadb server (mysql_native_password)${f(m.failedLogins)}  ${f(m.logins)}  ${f(m.queries)}`);
    console.log(`  bare Node TCP server, same packets    ${' '.repeat(9)}  ${f(bare.logins)}  ${' '.repeat(9)}`);
    console.log(`  ratio apiary native / mariadb         ${r(native.failedLogins, m.failedLogins)}  ${r(native.logins, m.logins)}  ${r(native.queries, m.queries)}`);
    console.log(`  ratio apiary native / bare Node       ${' '.repeat(9)}  ${r(native.logins, bare.logins)}`);
    console.log('  (apiary records every attempt and statement; with caching_sha2 a failed login costs an RSA decryption that recovers the password)');
    console.log('  lean client (bare socket, native scramble; little client CPU, so the servers\' cost shows):');
    console.log(`  apiary, caching_sha2 greeting           ${f(sha2.lean.failedLogins)}  ${f(sha2.lean.logins)}`);
    console.log(`  apiary, mysql_native_password           ${f(native.lean.failedLogins)}  ${f(native.lean.logins)}`);
    console.log(`  mariadb server                          ${f(mLean.failedLogins)}  ${f(mLean.logins)}`);
    console.log(`  bare Node TCP server, same packets      ${' '.repeat(9)}  ${f(bare.leanLogins)}`);
    console.log(`  ratio apiary native / mariadb           ${r(native.lean.failedLogins, mLean.failedLogins)}  ${r(native.lean.logins, mLean.logins)}`);
    console.log(`  ratio apiary native / bare Node         ${' '.repeat(9)}  ${r(native.lean.logins, bare.leanLogins)}`);
    const c = (label: string): string => (serverCpu.get(label)?.toFixed(3) ?? '-').padStart(9);
    console.log('  server CPU ms per operation (user + system, all threads; mysql2 | lean client):');
    console.log('                                        failed logins     logins    queries | lean failed  lean logins');
    for (const [name, key] of [['apiary, caching_sha2', 'caching_sha2_password'], ['apiary, mysql_native_password', 'mysql_native_password'], ['mariadb server', 'mariadb'], ['bare Node TCP server', 'bare']] as const) {
      console.log(`  ${name.padEnd(36)}${c(`${key} failed`)}  ${c(`${key} logins`)}  ${c(`${key} queries`)} |   ${c(`${key} lean failed`)}    ${c(`${key} lean logins`)}`);
    }
  } finally {
    mariadb?.kill('SIGTERM');
    if (mariadb && mariadb.exitCode === null) await new Promise((r) => mariadb!.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
